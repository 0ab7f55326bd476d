import Foundation
import PLDCore

/// Turns asynchronously arriving base chunks into one base action per control tick.
///
/// Time base: action i of a chunk is for tick `observationTick + i`. The scheduler:
/// - plays at most the first `execute_steps` actions of each chunk (its *window*; the whole
///   chunk when absent) — the open-loop horizon the policy was meant to run;
/// - drops, on arrival, actions whose tick has passed (counted), and the whole chunk if none is
///   left;
/// - at each tick plays the **newest** chunk whose window covers the tick — a newer chunk was
///   planned from a more recent observation, so it takes over as soon as it arrives (LeRobot's
///   `latest_only`; with `execute_steps` this is "play ≤ n actions, then switch to the newest");
/// - never plays from a chunk whose observation is older than `max_chunk_age_s` at `now`;
/// - with ensembling, averages every fresh chunk's action for the tick instead (ACT temporal
///   ensembling): chunks ordered oldest first, i = 0, 1, …, m−1, weights w_i = exp(−k·i),
///   a = Σ w_i a_i / Σ w_i with k = `ensembling.decay_k` (ACT: 0.01). As in ACT the *oldest*
///   prediction weighs most; a larger k trusts it more, k = 0 is the plain mean;
/// - asks for the next chunk (`shouldRequest`) when the playable actions left after this tick
///   are ≤ `refill_threshold_steps` and no request is outstanding. A request is outstanding
///   until a chunk observed at or after its tick arrives, or `requestTimeoutTicks` ticks pass
///   (counted), so a lost reply cannot wedge the loop;
/// - reports a stall (the tick holds the arm) when there is no playable fresh action.
///
/// Thread: the control thread only (the tick pops chunks from the worker's `SPSCQueue` and
/// hands them to `accept`). After init: no allocation, no locks, no blocking, no logging —
/// chunks are copied into slots allocated once. `now` and `BaseChunk.observationNanos` must
/// come from the same monotonic clock.
public final class ChunkScheduler: @unchecked Sendable {
    // @unchecked: confined to the control thread by contract; the slot storage is raw memory.

    public struct Settings: Sendable, Equatable {
        public var actionDimensions: Int
        /// Playable actions per chunk (nil: all).
        public var executeSteps: Int?
        public var refillThresholdSteps: Int
        public var maxChunkAgeNanos: UInt64
        public var ensembling: Bool
        public var decayK: Double
        /// Ticks after which an unanswered request is given up.
        public var requestTimeoutTicks: Int
        /// Chunks kept at once (the oldest is evicted beyond this). With ensembling, at least
        /// the number of chunks that overlap.
        public var capacity: Int

        public init(
            actionDimensions: Int, executeSteps: Int? = nil, refillThresholdSteps: Int = 4,
            maxChunkAgeNanos: UInt64 = 1_000_000_000, ensembling: Bool = false, decayK: Double = 0.01,
            requestTimeoutTicks: Int = 100, capacity: Int = 8
        ) {
            self.actionDimensions = actionDimensions
            self.executeSteps = executeSteps
            self.refillThresholdSteps = refillThresholdSteps
            self.maxChunkAgeNanos = maxChunkAgeNanos
            self.ensembling = ensembling
            self.decayK = decayK
            self.requestTimeoutTicks = requestTimeoutTicks
            self.capacity = capacity
        }

        /// From the policy config. `requestTimeoutTicks` is the request timeout in ticks
        /// (e.g. `request_timeout_s` × control rate, rounded up).
        public init(config: ChunkConfig, actionDimensions: Int, requestTimeoutTicks: Int, capacity: Int = 8) {
            self.init(
                actionDimensions: actionDimensions, executeSteps: config.executeSteps,
                refillThresholdSteps: config.refillThresholdSteps,
                maxChunkAgeNanos: UInt64((config.maxChunkAgeS * 1e9).rounded()),
                ensembling: config.ensembling.enabled, decayK: config.ensembling.decayK,
                requestTimeoutTicks: requestTimeoutTicks, capacity: capacity)
        }
    }

    public let settings: Settings
    public private(set) var counters = ChunkSchedulerCounters()
    /// True while a request is out and unanswered.
    public private(set) var requestOutstanding = false
    /// Tick of the outstanding request.
    public private(set) var requestTick: UInt64 = 0
    /// Chunks held now.
    public private(set) var chunkCount = 0

    private struct Slot {
        var occupied: Bool
        var observationTick: UInt64
        var observationNanos: UInt64
        /// First tick past the chunk's window.
        var windowEnd: UInt64
        var played: Bool
    }

    private let chunks: UnsafeMutablePointer<BaseChunk>
    private let slots: UnsafeMutablePointer<Slot>  // slots[i] describes chunks[i]; chunks never move
    private let order: UnsafeMutablePointer<Int>  // ensembling scratch: fresh slot indices
    private let weights: UnsafeMutablePointer<Double>  // w_i = exp(−k·i)
    private var resetNanos: UInt64 = 0
    private var sawChunk = false

    public init(_ settings: Settings) {
        precondition((1...actionMaxDimensions).contains(settings.actionDimensions), "chunk scheduler: action width \(settings.actionDimensions)")
        precondition((1...64).contains(settings.capacity), "chunk scheduler: capacity \(settings.capacity) outside 1...64")
        precondition(settings.requestTimeoutTicks >= 1, "chunk scheduler: request timeout must be at least one tick")
        precondition(settings.executeSteps.map { $0 >= 1 } ?? true, "chunk scheduler: execute_steps must be positive")
        self.settings = settings
        chunks = .allocate(capacity: settings.capacity)
        chunks.initialize(repeating: BaseChunk(steps: 1, dimensions: 1, observationTick: 0, observationNanos: 0), count: settings.capacity)
        slots = .allocate(capacity: settings.capacity)
        slots.initialize(repeating: Slot(occupied: false, observationTick: 0, observationNanos: 0, windowEnd: 0, played: false), count: settings.capacity)
        order = .allocate(capacity: settings.capacity)
        order.initialize(repeating: 0, count: settings.capacity)
        weights = .allocate(capacity: settings.capacity)
        for i in 0..<settings.capacity { (weights + i).initialize(to: exp(-settings.decayK * Double(i))) }
    }

    deinit {
        chunks.deinitialize(count: settings.capacity)
        chunks.deallocate()
        slots.deinitialize(count: settings.capacity)
        slots.deallocate()
        order.deallocate()
        weights.deallocate()
    }

    /// Starts an episode (or recovers from a reconnect): forgets every chunk and any
    /// outstanding request. Chunks observed before `now` are refused from here on, so a late
    /// reply to the previous episode's request cannot leak into this one. Counters are kept.
    public func reset(now: UInt64) {
        for i in 0..<settings.capacity where slots[i].occupied {
            if !slots[i].played { counters.chunksDroppedUnplayed += 1 }
            slots[i].occupied = false
        }
        chunkCount = 0
        requestOutstanding = false
        resetNanos = now
        sawChunk = false
    }

    /// The tick could not send the request `next` asked for (queue full): forget it, so the
    /// next tick asks again.
    public func cancelRequest() {
        requestOutstanding = false
    }

    /// Takes a chunk popped from the worker's queue during tick `tick` (before `next(tick:now:)`
    /// of the same tick).
    @discardableResult
    public func accept(_ chunk: BaseChunk, tick: UInt64) -> ChunkAcceptance {
        if chunk.observationNanos < resetNanos {
            counters.chunksRejected += 1
            return .rejectedBeforeReset
        }
        if requestOutstanding && chunk.observationTick >= requestTick { requestOutstanding = false }
        guard chunk.dimensions == settings.actionDimensions else {
            counters.chunksRejected += 1
            return .rejectedDimensions
        }
        guard chunk.observationTick <= tick else {
            counters.chunksRejected += 1
            return .rejectedFutureTick
        }
        let window = UInt64(min(chunk.steps, settings.executeSteps ?? chunk.steps))
        let windowEnd = chunk.observationTick + window
        let late = Int(min(window, tick - chunk.observationTick))
        counters.actionsDroppedLate += late
        guard windowEnd > tick else {
            counters.chunksLate += 1
            return .late
        }
        var index = 0
        if chunkCount == settings.capacity {
            // Full: evict the oldest observation.
            for i in 1..<settings.capacity where slots[i].observationTick < slots[index].observationTick { index = i }
            if !slots[index].played { counters.chunksDroppedUnplayed += 1 }
        } else {
            while slots[index].occupied { index += 1 }
            chunkCount += 1
        }
        chunks[index] = chunk
        slots[index] = Slot(occupied: true, observationTick: chunk.observationTick, observationNanos: chunk.observationNanos, windowEnd: windowEnd, played: false)
        counters.chunksAccepted += 1
        sawChunk = true
        return .accepted(lateActions: late)
    }

    /// The base action for tick `tick` at monotonic time `now` (ns), or a stall.
    public func next(tick: UInt64, now: UInt64) -> ChunkDecision {
        // Forget chunks whose window has passed.
        for i in 0..<settings.capacity where slots[i].occupied && slots[i].windowEnd <= tick {
            if !slots[i].played { counters.chunksDroppedUnplayed += 1 }
            slots[i].occupied = false
            chunkCount -= 1
        }
        if requestOutstanding && tick >= requestTick &+ UInt64(settings.requestTimeoutTicks) {
            requestOutstanding = false
            counters.requestTimeouts += 1
        }

        // Fresh chunks covering this tick (every chunk left covers it: its observation tick is
        // ≤ every tick since its arrival and its window has not ended).
        var fresh = 0
        var newest = -1
        var remainingEnd = tick + 1
        for s in 0..<settings.capacity where slots[s].occupied {
            let slot = slots[s]
            guard slot.observationTick <= tick else { continue }
            let age = now > slot.observationNanos ? now - slot.observationNanos : 0
            guard age <= settings.maxChunkAgeNanos else { continue }
            order[fresh] = s
            fresh += 1
            if newest < 0 || slot.observationTick >= slots[newest].observationTick { newest = s }
            remainingEnd = max(remainingEnd, slot.windowEnd)
        }

        var decision = ChunkDecision(
            action: ActionVector(count: settings.actionDimensions), stall: nil, shouldRequest: false,
            chunkObservationTick: 0, contributingChunks: 0, remainingSteps: 0)
        if fresh == 0 {
            let reason: ChunkStall = chunkCount > 0 ? .tooOld : (sawChunk ? .exhausted : .noChunk)
            decision.stall = reason
            switch reason {
            case .noChunk: counters.stallsNoChunk += 1
            case .exhausted: counters.stallsExhausted += 1
            case .tooOld: counters.stallsTooOld += 1
            }
        } else if !settings.ensembling || fresh == 1 {
            let step = Int(tick - slots[newest].observationTick)
            let row = step * actionMaxDimensions
            for d in 0..<settings.actionDimensions { decision.action[d] = chunks[newest].actions[row + d] }
            slots[newest].played = true
            decision.contributingChunks = 1
            decision.chunkObservationTick = slots[newest].observationTick
        } else {
            // Oldest first (insertion sort of ≤ capacity indices; ties by arrival).
            for a in 1..<fresh {
                let key = order[a]
                var b = a - 1
                while b >= 0 && slots[order[b]].observationTick > slots[key].observationTick {
                    order[b + 1] = order[b]
                    b -= 1
                }
                order[b + 1] = key
            }
            var weightSum = 0.0
            for rank in 0..<fresh {
                let s = order[rank]
                let w = weights[rank]
                let row = Int(tick - slots[s].observationTick) * actionMaxDimensions
                for d in 0..<settings.actionDimensions { decision.action[d] += w * chunks[s].actions[row + d] }
                weightSum += w
                slots[s].played = true
            }
            for d in 0..<settings.actionDimensions { decision.action[d] /= weightSum }
            decision.contributingChunks = fresh
            decision.chunkObservationTick = slots[newest].observationTick
            counters.ensembledTicks += 1
        }
        if decision.stall == nil {
            counters.actionsPlayed += 1
            decision.remainingSteps = Int(remainingEnd - (tick + 1))
        }
        if !requestOutstanding && decision.remainingSteps <= settings.refillThresholdSteps {
            requestOutstanding = true
            requestTick = tick
            counters.requests += 1
            decision.shouldRequest = true
        }
        return decision
    }
}
