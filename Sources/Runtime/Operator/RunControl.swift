import Synchronization

/// Operator requests to the control thread, and the control thread's answers: atomics only.
///
/// Threading contract:
/// - The operator thread (and the live view's key handler) *write* requests: `pause`, `resume`,
///   `stopAfterEpisode`, `requestReset()`, `requestMark(_:)`.
/// - The control thread *reads* them once per tick, acts in its own phase logic, and answers
///   a reset request through `answerReset(_:)` (the operator thread waits a bounded time for
///   the answer, so a stuck control thread makes `pld reset` say "pending", never hang).
/// - E-stop does not go through here: the operator thread calls `Egress.estop` itself, which
///   reaches the wire even while the control thread is stuck.
public final class RunControl: Sendable {
    private let paused = Atomic<Bool>(false)
    private let stopAfter = Atomic<Bool>(false)
    private let resetAsked = Atomic<UInt64>(0)
    private let resetDone = Atomic<UInt64>(0)
    private let resetVerdict = Atomic<Int>(0)
    private let mark = Atomic<Int>(0)

    public init() {}

    // MARK: Pause / resume / stop (any thread writes, the tick reads)

    public func setPaused(_ value: Bool) { paused.store(value, ordering: .releasing) }
    public var isPaused: Bool { paused.load(ordering: .acquiring) }
    public func requestStopAfterEpisode() { stopAfter.store(true, ordering: .releasing) }
    public var stopAfterEpisode: Bool { stopAfter.load(ordering: .acquiring) }

    // MARK: Reset (request, answered by the control thread)

    /// Why the control thread refused a reset; `.accepted` starts the reset procedure.
    public enum ResetVerdict: Equatable, Sendable {
        case accepted
        /// Gate `index` of `reset.gates` does not hold.
        case gateFailed(index: Int)
        /// The run has no `reset:` section, so there is no procedure to run; the latch is
        /// cleared and the run continues from where the arms are.
        case noProcedure
        /// The run is finishing; nothing is reset.
        case finishing

        var code: Int {
            switch self {
            case .accepted: 1
            case .noProcedure: 2
            case .finishing: 3
            case let .gateFailed(index): 100 + index
            }
        }

        init?(code: Int) {
            switch code {
            case 1: self = .accepted
            case 2: self = .noProcedure
            case 3: self = .finishing
            case 100...: self = .gateFailed(index: code - 100)
            default: return nil
            }
        }
    }

    /// Operator thread: asks for a reset; returns the ticket to wait on.
    public func requestReset() -> UInt64 { resetAsked.add(1, ordering: .acquiringAndReleasing).newValue }

    /// Control thread: the newest unanswered reset ticket, if any.
    var pendingReset: UInt64? {
        let asked = resetAsked.load(ordering: .acquiring)
        return asked != resetDone.load(ordering: .relaxed) ? asked : nil
    }

    /// Control thread: answers every reset ticket up to `ticket`.
    func answerReset(_ ticket: UInt64, _ verdict: ResetVerdict) {
        resetVerdict.store(verdict.code, ordering: .relaxed)
        resetDone.store(ticket, ordering: .releasing)
    }

    /// Operator thread: the verdict for `ticket`, or nil while unanswered.
    public func resetVerdict(for ticket: UInt64) -> ResetVerdict? {
        guard resetDone.load(ordering: .acquiring) >= ticket else { return nil }
        return ResetVerdict(code: resetVerdict.load(ordering: .relaxed))
    }

    // MARK: Operator marks (s/f keys, `KIND_MARK_SUCCESS/FAILURE`)

    public enum Mark: Int, Sendable { case success = 1, failure = 2 }

    public func requestMark(_ value: Mark) { mark.store(value.rawValue, ordering: .releasing) }

    /// Control thread: takes the pending mark (at most one per tick).
    func takeMark() -> Mark? {
        let value = mark.exchange(0, ordering: .acquiringAndReleasing)
        return Mark(rawValue: value)
    }
}
