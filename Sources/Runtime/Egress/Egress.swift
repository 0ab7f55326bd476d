import Drivers
import Foundation
import PLDCore
import Synchronization

/// The only writer of command sockets, and the e-stop latch.
///
/// Contract:
/// - The arm links (and so their command sockets) are used only by the holder of an atomic
///   ownership word. The control thread takes it around its two link phases per tick (read
///   states; send commands) with a single compare-exchange — never waiting: if the word is
///   taken (an e-stop is being sent), the control thread skips that phase and counts it.
/// - The e-stop latch is an atomic flag checked on every send: while latched, only hold
///   commands go out, whatever the tick computed.
/// - ``estop(now:)`` may be called from any thread (operator thread, signal handler thread,
///   safety fault path): it raises the latch, takes the ownership word (retrying for a bounded
///   time if the control thread is mid-phase — a phase is tens of µs), and sends a hold to every
///   arm itself, so the stop reaches the wire even when the control thread is stuck in its
///   compute phase, which runs outside the ownership word.
public final class Egress: @unchecked Sendable {
    // @unchecked: `arms` is only touched by the ownership-word holder (see contract).
    public let arms: [ArmLink]
    private let owner = Atomic<Int>(0)  // 0 free, 1 control thread, 2 e-stop sender
    private let latched = Atomic<Bool>(false)
    private let skippedPhases = Atomic<UInt64>(0)
    private let estopHolds = Atomic<UInt64>(0)
    private let latchReason = Mutex<String>("")

    public init(arms: [ArmLink]) { self.arms = arms }

    public var isLatched: Bool { latched.load(ordering: .acquiring) }
    /// Phases the control thread skipped because an e-stop sender held the links.
    public var phasesSkipped: UInt64 { skippedPhases.load(ordering: .relaxed) }
    /// Hold rounds sent by ``estop(now:)``.
    public var estopHoldRounds: UInt64 { estopHolds.load(ordering: .relaxed) }
    /// Why the latch was raised (read off the control thread).
    public var reason: String { latchReason.withLock { $0 } }

    /// Control thread: runs `body` with the links if the ownership word is free; otherwise
    /// skips it (counted) and returns false. Wait-free.
    @inline(__always)
    public func withLinks(_ body: ([ArmLink]) -> Void) -> Bool {
        guard owner.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged else {
            skippedPhases.add(1, ordering: .relaxed)
            return false
        }
        body(arms)
        owner.store(0, ordering: .releasing)
        return true
    }

    /// Raises the latch and sends a hold to every arm from the calling thread. Safe from any
    /// thread; returns once the holds are on the wire, or false if the links stayed busy for
    /// `timeoutNanos` (the latch is raised either way, so the next control-thread send phase
    /// sends holds).
    @discardableResult
    public func estop(reason: String, now: () -> UInt64, timeoutNanos: UInt64 = 50_000_000) -> Bool {
        latchReason.withLock { if $0.isEmpty { $0 = reason } }
        latched.store(true, ordering: .releasing)
        let deadline = now() + timeoutNanos
        while !owner.compareExchange(expected: 0, desired: 2, ordering: .acquiring).exchanged {
            if now() > deadline { return false }
            sched_yield()
        }
        let t = now()
        for arm in arms { arm.hold(now: t) }
        owner.store(0, ordering: .releasing)
        estopHolds.add(1, ordering: .relaxed)
        return true
    }

    /// Clears the latch (after a reset procedure has run).
    public func clearLatch() {
        latchReason.withLock { $0 = "" }
        latched.store(false, ordering: .releasing)
    }
}
