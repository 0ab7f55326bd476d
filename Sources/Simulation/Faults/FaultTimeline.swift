/// The faults that concern one simulated device, asked by its loops as sim time passes.
///
/// `drop-state` and `delay-commands` apply to every device; `kill-driver` to the named arm
/// (or every arm without a name); `motor-error` to the named arm. One-shot faults (kill,
/// motor error) fire once, at the first check at or after their time.
///
/// Threading: `Sendable`; the one-shot bookkeeping is behind a lock.
final class FaultTimeline: Sendable {
    private struct Window: Sendable {
        var start: Double
        var duration: Double
    }

    private let stateDrops: [Window]
    private let commandDelays: [Window]
    private let kills: [Double]
    private let motorErrors: [Double]
    /// Indices of the one-shots that already fired.
    private let firedKills = LockedValue<Set<Int>>([])
    private let firedMotorErrors = LockedValue<Set<Int>>([])

    /// The faults of `faults` that apply to the arm called `arm`.
    init(_ faults: [SimFault], arm: String) {
        var stateDrops: [Window] = [], commandDelays: [Window] = []
        var kills: [Double] = [], motorErrors: [Double] = []
        for fault in faults {
            switch fault {
            case .dropState(let duration, let at): stateDrops.append(Window(start: at, duration: duration))
            case .delayCommands(let duration, let at): commandDelays.append(Window(start: at, duration: duration))
            case .killDriver(let target, let at) where target == nil || target == arm: kills.append(at)
            case .motorError(let target, let at) where target == arm: motorErrors.append(at)
            default: break
            }
        }
        self.stateDrops = stateDrops
        self.commandDelays = commandDelays
        self.kills = kills
        self.motorErrors = motorErrors
    }

    /// Whether state publishing is suppressed at sim time `t`.
    func isStateDropped(at t: Double) -> Bool {
        stateDrops.contains { t >= $0.start && t < $0.start + $0.duration }
    }

    /// How long a command arriving at sim time `t` waits before it is applied, s.
    func commandDelaySeconds(at t: Double) -> Double {
        commandDelays.filter { t >= $0.start }.map(\.duration).max() ?? 0
    }

    /// True once per `kill-driver` fault whose time has come.
    func takeDueKill(at t: Double) -> Bool {
        takeDue(kills, at: t, firedKills)
    }

    /// True once per `motor-error` fault whose time has come.
    func takeDueMotorError(at t: Double) -> Bool {
        takeDue(motorErrors, at: t, firedMotorErrors)
    }

    private func takeDue(_ times: [Double], at t: Double, _ fired: LockedValue<Set<Int>>) -> Bool {
        guard times.contains(where: { $0 <= t }) else { return false }
        return fired.withLock { fired in
            guard let index = times.indices.first(where: { times[$0] <= t && !fired.contains($0) }) else {
                return false
            }
            fired.insert(index)
            return true
        }
    }
}

/// Commands waiting out a `delay-commands` fault: each is applied once it has been held for
/// the delay that was in force when it arrived. Owned by one device thread.
struct DelayedCommandQueue {
    private var entries: [(dueAt: Double, bytes: [UInt8])] = []

    /// Adds `bytes`, received at sim time `t`, due `delay` later.
    mutating func add(_ bytes: [UInt8], receivedAt t: Double, delay: Double) {
        entries.append((t + delay, bytes))
    }

    /// The newest command that is due at `t`; older due ones are dropped, as a conflating
    /// socket would drop them.
    mutating func takeNewestDue(at t: Double) -> [UInt8]? {
        guard let last = entries.lastIndex(where: { $0.dueAt <= t }) else { return nil }
        let bytes = entries[last].bytes
        entries.removeFirst(last + 1)
        return bytes
    }

    mutating func removeAll() { entries.removeAll() }
}
