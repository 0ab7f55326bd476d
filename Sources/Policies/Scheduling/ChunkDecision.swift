import PLDCore

/// Why the chunk scheduler has no base action for a tick. The tick holds the arm and counts it.
public enum ChunkStall: String, Sendable, CaseIterable {
    /// No chunk since `reset` (episode start, or a reconnect before the first reply).
    case noChunk = "no_chunk"
    /// Chunks arrived, but every playable action's tick has passed: the next chunk is late.
    case exhausted
    /// The chunk covering this tick was planned from an observation older than
    /// `max_chunk_age_s`; acting on it would be acting on a stale world.
    case tooOld = "too_old"
}

/// What the control thread does with the base policy this tick.
public struct ChunkDecision: Sendable {
    /// The base action a_b for this tick; meaningful only when `stall` is nil.
    public var action: ActionVector
    /// Nil when `action` is valid; otherwise why there is none (hold the arm).
    public var stall: ChunkStall?
    /// Send a new observation to the policy worker now (and, if the request cannot be queued,
    /// call `ChunkScheduler.cancelRequest()`).
    public var shouldRequest: Bool
    /// Observation tick of the newest chunk that contributed (0 when stalled).
    public var chunkObservationTick: UInt64
    /// How many chunks were averaged (1 without ensembling; 0 when stalled).
    public var contributingChunks: Int
    /// Playable actions left after this tick's (across the chunks still fresh).
    public var remainingSteps: Int

    public var isStall: Bool { stall != nil }
}

/// Counters since the scheduler was created (`reset` keeps them; diff them per episode).
public struct ChunkSchedulerCounters: Sendable, Equatable {
    /// Chunks stored with at least one playable action.
    public var chunksAccepted = 0
    /// Chunks whose every playable action's tick had passed on arrival.
    public var chunksLate = 0
    /// Chunks refused: wrong action width, an observation tick in the future, or an
    /// observation taken before the last `reset` (a reply to a previous episode's request).
    public var chunksRejected = 0
    /// Chunks removed (window passed, storage full, or reset) without any action played.
    public var chunksDroppedUnplayed = 0
    /// Actions whose tick had passed when their chunk arrived.
    public var actionsDroppedLate = 0
    /// Base actions handed out.
    public var actionsPlayed = 0
    /// Ticks whose action averaged more than one chunk.
    public var ensembledTicks = 0
    public var stallsNoChunk = 0
    public var stallsExhausted = 0
    public var stallsTooOld = 0
    /// Requests asked for (`shouldRequest` true).
    public var requests = 0
    /// Requests given up on after `requestTimeoutTicks` without a reply.
    public var requestTimeouts = 0

    public init() {}

    public subscript(stall: ChunkStall) -> Int {
        switch stall {
        case .noChunk: stallsNoChunk
        case .exhausted: stallsExhausted
        case .tooOld: stallsTooOld
        }
    }

    public var stalls: Int { stallsNoChunk + stallsExhausted + stallsTooOld }
}

/// What `ChunkScheduler.accept` did with a chunk.
public enum ChunkAcceptance: Sendable, Equatable {
    /// Stored; `lateActions` of its playable actions were already in the past.
    case accepted(lateActions: Int)
    /// Every playable action was in the past; nothing stored.
    case late
    case rejectedDimensions
    case rejectedFutureTick
    case rejectedBeforeReset
}
