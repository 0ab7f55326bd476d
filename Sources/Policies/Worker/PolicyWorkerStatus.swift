import Wire

/// Round-trip latency over the most recent replies (up to `PolicyLatencyStats.window`), ms.
public struct PolicyLatencyStats: Sendable, Equatable {
    public static let window = 256

    public var count = 0
    public var lastMilliseconds = Double.nan
    public var meanMilliseconds = Double.nan
    public var minMilliseconds = Double.nan
    public var p50Milliseconds = Double.nan
    public var p95Milliseconds = Double.nan
    public var maxMilliseconds = Double.nan

    public init() {}

    init(samples: [Double], last: Double) {
        count = samples.count
        guard !samples.isEmpty else { return }
        let sorted = samples.sorted()
        lastMilliseconds = last
        meanMilliseconds = sorted.reduce(0, +) / Double(sorted.count)
        minMilliseconds = sorted[0]
        maxMilliseconds = sorted[sorted.count - 1]
        p50Milliseconds = sorted[min(sorted.count - 1, sorted.count / 2)]
        p95Milliseconds = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))]
    }
}

/// A snapshot of the policy worker for the status stream. Counters only grow while the
/// worker lives.
public struct PolicyWorkerStatus: Sendable {
    public var url: String
    public var running = false
    /// A connection is open (openpi: metadata received; REST: the last exchange worked).
    public var connected = false
    public var connectAttempts = 0
    /// Successful connects; more than one means reconnects.
    public var connections = 0
    /// Metadata of the current or last connection (openpi's metadata frame).
    public var metadata = OpenPIDict()
    /// Requests taken off the request queue.
    public var requestsReceived = 0
    /// Requests replaced by a newer one before they could be sent (only the newest is sent).
    public var requestsSuperseded = 0
    /// Requests dropped because their observation was older than `max_chunk_age_s` by the
    /// time the worker could send them (e.g. after a reconnect).
    public var requestsStale = 0
    public var requestsSent = 0
    public var replies = 0
    public var chunksPushed = 0
    /// Chunks dropped because the chunk queue was full (the control side was not taking
    /// them); the oldest one waiting goes.
    public var chunksDropped = 0
    public var errors: [PolicyErrorKind: Int] = [:]
    /// The most recent error, one line.
    public var lastError: String?
    public var lastErrorKind: PolicyErrorKind?
    /// Delay before the next connect attempt, s (0 while connected).
    public var backoffSeconds = 0.0
    public var latency = PolicyLatencyStats()
    public var lastServerInferMilliseconds: Double?
    public var lastChunkSteps = 0
    public var lastChunkDimensions = 0
    public var lastObservationTick: UInt64?
    /// Camera frames used by the most recent request that was sent.
    public var lastCameraFrames: [CameraFrameUse] = []
    /// Requests that reused a camera frame (same sequence) the previous request had sent.
    public var repeatedCameraFrames = 0

    public var errorCount: Int { errors.values.reduce(0, +) }

    public init(url: String) { self.url = url }
}

/// One request as the recorder wants it: what was sent, from which camera frames, and what
/// came back.
public struct PolicyRequestRecord: Sendable, Equatable {
    public var tick: UInt64
    /// Monotonic ns when the control thread took the observation.
    public var takenAtNanos: UInt64
    /// Monotonic ns when the worker sent it.
    public var sentNanos: UInt64
    /// Monotonic ns when the reply arrived; nil if the request failed.
    public var replyNanos: UInt64?
    public var cameraFrames: [CameraFrameUse]
    /// Nil on success.
    public var error: PolicyErrorKind?
    public var steps: Int
    public var roundTripMilliseconds: Double
    public var serverInferMilliseconds: Double?
}
