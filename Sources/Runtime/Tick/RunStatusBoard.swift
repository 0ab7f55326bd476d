import PLDCore
import Synchronization

/// Run-wide counters and the current position of the run, written by the control thread with
/// relaxed atomics and read by the status, report and terminal threads. No locks.
public final class RunStatusBoard: @unchecked Sendable {
    // @unchecked: the counter storage holds only atomics.
    public enum Counter: Int, CaseIterable, Sendable {
        case policyStalls, safetyEvents, estops, resetTimeouts, resultsDropped, episodes, successes, recorderDroppedSteps
        /// Operator judgements (s/f keys, mark commands) and operator-requested resets/pauses.
        case interventions, manualResets
        /// Faults by kind: an arm's state went stale (driver lost or state dropped), the base
        /// policy stopped answering, a camera froze.
        case faultsDriver, faultsPolicy, faultsCamera
        /// Episodes that ended aborted (any reason).
        case episodesAborted
        /// Episode ticks the learner's queue could not take (it fell behind).
        case learnerDroppedSteps
        /// Driver faults while resetting or settling between episodes (also in `faultsDriver`):
        /// the arms held until the state was fresh again; no episode was aborted.
        case faultsBetweenEpisodes
    }

    /// Where the run is, as operators see it (the `RunState` of the operator protocol).
    public enum State: Int, Sendable, CaseIterable {
        case starting = 1, running, paused, estopped, resetting, stopping, faulted, finished
        public var name: String {
            ["", "starting", "running", "paused", "estopped", "resetting", "stopping", "faulted", "finished"][rawValue]
        }
    }

    /// Why the run paused by itself (nil: an operator paused it, or it is not paused).
    public enum PauseCause: Int, Sendable {
        case operatorRequest = 0, repeatedFaults, resetGate, deadman
    }

    private let counters: UnsafeMutablePointer<Atomic<UInt64>>
    private let episodeValue = Atomic<UInt64>(0)
    private let stepValue = Atomic<Int>(0)
    private let phaseValue = Atomic<Int>(0)
    private let handoffValue = Atomic<Int>(-1)
    private let taskStageValue = Atomic<Int>(0)
    private let stateValue = Atomic<Int>(State.starting.rawValue)
    private let pauseCauseValue = Atomic<Int>(0)
    private let faultDetailValue = Atomic<Int>(0)
    /// Per arm (at most `maxArms`): monotonic ns of the newest state, and whether it is stale.
    public static let maxArms = 4
    private let armReceivedAt = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: 4)
    private let armStale = UnsafeMutablePointer<Atomic<Bool>>.allocate(capacity: 4)
    private let rollingSuccessBits = Atomic<UInt64>(0)
    private let rollingCountValue = Atomic<Int>(0)
    /// Control thread only: the last `rollingWindow` outcomes, bit i = slot i (1 = success).
    /// A plain integer rather than an `InlineArray`: a debug build instantiates the generic
    /// array's metadata on first write — a heap allocation on the control thread at the first
    /// episode end (caught by `aSteadyStateTickAllocatesNothingOverTenThousandTicks`).
    private var windowBits: UInt64 = 0
    private var windowNext = 0
    private var windowCount = 0
    /// At most 64 (one bit per outcome in `windowBits`).
    public static let rollingWindow = 50

    public init() {
        counters = .allocate(capacity: Counter.allCases.count)
        for i in 0..<Counter.allCases.count { (counters + i).initialize(to: Atomic(0)) }
        for i in 0..<Self.maxArms {
            (armReceivedAt + i).initialize(to: Atomic(0))
            (armStale + i).initialize(to: Atomic(true))
        }
    }

    deinit {
        counters.deinitialize(count: Counter.allCases.count)
        counters.deallocate()
        armReceivedAt.deinitialize(count: Self.maxArms)
        armReceivedAt.deallocate()
        armStale.deinitialize(count: Self.maxArms)
        armStale.deallocate()
    }

    /// Control thread, each tick: arm `index`'s newest state time and staleness.
    func publishArm(_ index: Int, receivedAtNanos: UInt64, stale: Bool) {
        guard index < Self.maxArms else { return }
        armReceivedAt[index].store(receivedAtNanos, ordering: .relaxed)
        armStale[index].store(stale, ordering: .relaxed)
    }

    /// Arm `index`'s newest state: when it arrived (monotonic ns, 0 = never) and whether the
    /// control thread considers it stale.
    public func arm(_ index: Int) -> (receivedAtNanos: UInt64, stale: Bool) {
        guard index < Self.maxArms else { return (0, true) }
        return (armReceivedAt[index].load(ordering: .relaxed), armStale[index].load(ordering: .relaxed))
    }

    func count(_ counter: Counter, by amount: UInt64 = 1) {
        counters[counter.rawValue].add(amount, ordering: .relaxed)
    }

    public func value(_ counter: Counter) -> UInt64 { counters[counter.rawValue].load(ordering: .relaxed) }

    /// Control thread: the task stage the episode is in (index into the config's stages).
    func publishStage(_ stage: Int) { taskStageValue.store(stage, ordering: .relaxed) }

    /// The task stage the current (or last) episode is in.
    public var taskStage: Int { taskStageValue.load(ordering: .relaxed) }

    func beginEpisode(_ index: UInt64, handoffStep: Int?) {
        episodeValue.store(index, ordering: .relaxed)
        handoffValue.store(handoffStep ?? -1, ordering: .relaxed)
    }

    /// `completed`: the episode ran to a verdict (success, timeout, operator failure mark);
    /// only those enter the rolling success rate — an e-stop or a fault says nothing about the
    /// policy.
    func endEpisode(success: Bool, completed: Bool) {
        count(.episodes)
        if success { count(.successes) }
        if !completed { count(.episodesAborted); return }
        // Control thread only (the window is its state); readers see the published rate.
        let slot: UInt64 = 1 << UInt64(windowNext)
        windowBits = success ? windowBits | slot : windowBits & ~slot
        windowNext = (windowNext + 1) % Self.rollingWindow
        windowCount = min(windowCount + 1, Self.rollingWindow)
        // Slots at or past `windowCount` were never written and stay 0.
        let wins = windowBits.nonzeroBitCount
        rollingSuccessBits.store(Double(Double(wins) / Double(windowCount)).bitPattern, ordering: .relaxed)
        rollingCountValue.store(windowCount, ordering: .relaxed)
    }

    func publish(state: State, pauseCause: PauseCause = .operatorRequest, faultDetail: Int = 0) {
        stateValue.store(state.rawValue, ordering: .relaxed)
        pauseCauseValue.store(pauseCause.rawValue, ordering: .relaxed)
        faultDetailValue.store(faultDetail, ordering: .relaxed)
    }

    public var state: State { State(rawValue: stateValue.load(ordering: .relaxed)) ?? .starting }
    public var pauseCause: PauseCause { PauseCause(rawValue: pauseCauseValue.load(ordering: .relaxed)) ?? .operatorRequest }
    /// Extra code for the current state (the failing gate's index + 1 for `.resetGate`).
    public var stateDetail: Int { faultDetailValue.load(ordering: .relaxed) }
    /// Why the run is paused, one phrase (operator request, or what made it pause itself).
    public var pauseDescription: String {
        switch pauseCause {
        case .operatorRequest: return "paused by an operator"
        case .repeatedFaults:
            let kind = ["driver", "policy", "camera"][min(max(stateDetail, 0), 2)]
            return "paused itself after repeated faults (last: \(kind)); `pld resume` or `pld reset` continues"
        case .resetGate: return "paused: a reset gate does not hold"
        case .deadman: return "paused: dead-man"
        }
    }
    /// Success rate over the last `rollingWindow` episodes (0 before the first).
    public var rollingSuccessRate: Double { Double(bitPattern: rollingSuccessBits.load(ordering: .relaxed)) }
    /// Episodes in the rolling window (≤ 50).
    public var rollingCount: Int { rollingCountValue.load(ordering: .relaxed) }

    func publishTick(episode: UInt64, step: Int, phase: TickPipeline.Phase) {
        stepValue.store(step, ordering: .relaxed)
        let code: Int = switch phase {
        case .connecting: 0
        case .reset: 1
        case .settle: 2
        case .episode: 3
        case .finished: 4
        case .estopped: 5
        case .recovering: 6
        }
        phaseValue.store(code, ordering: .relaxed)
    }

    public var episode: UInt64 { episodeValue.load(ordering: .relaxed) }
    public var step: Int { stepValue.load(ordering: .relaxed) }
    /// "connecting", "resetting", "settling", "running", "finished", "estopped", "recovering".
    public var phase: String {
        ["connecting", "resetting", "settling", "running", "finished", "estopped", "recovering"][phaseValue.load(ordering: .relaxed)]
    }
    /// Handoff step of the current episode; nil when the residual never acts.
    public var handoffStep: Int? {
        let value = handoffValue.load(ordering: .relaxed)
        return value < 0 ? nil : value
    }
}

/// Per-stage compute time of the tick, in lock-free histograms other threads read.
public final class StageTimings: Sendable {
    public enum Stage: Int, CaseIterable, Sendable {
        case read, base, residual, safety, egress, task
        public var name: String { ["read", "base", "residual", "safety", "egress", "task"][rawValue] }
    }

    public let histograms: [AtomicHistogram]

    public init() { histograms = Stage.allCases.map { _ in AtomicHistogram() } }

    /// Records the time since `mark` for `stage` and returns now (the next stage's mark).
    @inline(__always)
    @discardableResult
    func record(_ stage: Stage, since mark: UInt64) -> UInt64 {
        let now = monotonicNanos()
        histograms[stage.rawValue].record(now &- mark)
        return now
    }
}
