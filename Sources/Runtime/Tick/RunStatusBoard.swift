import PLDCore
import Synchronization

/// Run-wide counters and the current position of the run, written by the control thread with
/// relaxed atomics and read by the status, report and terminal threads. No locks.
public final class RunStatusBoard: @unchecked Sendable {
    // @unchecked: the counter storage holds only atomics.
    public enum Counter: Int, CaseIterable, Sendable {
        case policyStalls, safetyEvents, estops, resetTimeouts, resultsDropped, episodes, successes, recorderDroppedSteps
    }

    private let counters: UnsafeMutablePointer<Atomic<UInt64>>
    private let episodeValue = Atomic<UInt64>(0)
    private let stepValue = Atomic<Int>(0)
    private let phaseValue = Atomic<Int>(0)
    private let handoffValue = Atomic<Int>(-1)

    public init() {
        counters = .allocate(capacity: Counter.allCases.count)
        for i in 0..<Counter.allCases.count { (counters + i).initialize(to: Atomic(0)) }
    }

    deinit {
        counters.deinitialize(count: Counter.allCases.count)
        counters.deallocate()
    }

    func count(_ counter: Counter, by amount: UInt64 = 1) {
        counters[counter.rawValue].add(amount, ordering: .relaxed)
    }

    public func value(_ counter: Counter) -> UInt64 { counters[counter.rawValue].load(ordering: .relaxed) }

    func beginEpisode(_ index: UInt64, handoffStep: Int?) {
        episodeValue.store(index, ordering: .relaxed)
        handoffValue.store(handoffStep ?? -1, ordering: .relaxed)
    }

    func endEpisode(success: Bool) {
        count(.episodes)
        if success { count(.successes) }
    }

    func publishTick(episode: UInt64, step: Int, phase: TickPipeline.Phase) {
        stepValue.store(step, ordering: .relaxed)
        let code: Int = switch phase {
        case .connecting: 0
        case .reset: 1
        case .settle: 2
        case .episode: 3
        case .finished: 4
        }
        phaseValue.store(code, ordering: .relaxed)
    }

    public var episode: UInt64 { episodeValue.load(ordering: .relaxed) }
    public var step: Int { stepValue.load(ordering: .relaxed) }
    /// "connecting", "resetting", "settling", "running", "finished".
    public var phase: String {
        ["connecting", "resetting", "settling", "running", "finished"][phaseValue.load(ordering: .relaxed)]
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
