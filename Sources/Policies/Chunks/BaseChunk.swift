import PLDCore

/// Longest action chunk kept (openpi ALOHA: 50; DROID: 10–16; OFT: 25).
public let baseChunkMaxSteps = 64

/// One action chunk from the base VLA, in inline storage so the policy worker can hand it to the
/// control thread through an `SPSCQueue` without allocating on either side.
///
/// Time base: action `i` is meant for tick `observationTick + i` (the server plans from the
/// observation it was given); the chunk scheduler drops the ones whose tick has passed.
public struct BaseChunk: Sendable {
    /// Number of actions (rows).
    public var steps: Int
    /// Width of each action, in the policy's normalised action space.
    public var dimensions: Int
    /// Row-major `[step * actionMaxDimensions + dimension]`.
    public var actions = InlineArray<2048, Double>(repeating: 0)
    /// The tick whose observation produced this chunk.
    public var observationTick: UInt64
    /// Monotonic ns when that observation was taken (the tick's time).
    public var observationNanos: UInt64
    /// Monotonic ns when the reply arrived on the worker.
    public var receivedNanos: UInt64 = 0
    /// Server-side inference time from the reply's timing block, ms (NaN when absent).
    public var serverInferMilliseconds: Double = .nan
    /// Worker-side request → reply time, ms.
    public var roundTripMilliseconds: Double = .nan

    public init(steps: Int, dimensions: Int, observationTick: UInt64, observationNanos: UInt64) {
        precondition((1...baseChunkMaxSteps).contains(steps), "chunk of \(steps) steps")
        precondition((1...actionMaxDimensions).contains(dimensions), "chunk of \(dimensions) dimensions")
        self.steps = steps
        self.dimensions = dimensions
        self.observationTick = observationTick
        self.observationNanos = observationNanos
    }

    public subscript(step: Int, dimension: Int) -> Double {
        get { actions[step * actionMaxDimensions + dimension] }
        set { actions[step * actionMaxDimensions + dimension] = newValue }
    }

    /// Action `step` as a vector.
    public func action(_ step: Int) -> ActionVector {
        var vector = ActionVector(count: dimensions)
        for d in 0..<dimensions { vector[d] = self[step, d] }
        return vector
    }
}

/// Most numeric observation values one request carries (state vectors, features; not images).
public let policyRequestMaxValues = 128

/// What the control thread sends the policy worker when the scheduler wants a new chunk: the
/// numeric observation values, in the order of the policy config's non-image inputs
/// (each input's sources concatenated), plus the tick and time they were taken at. Images are
/// added by the worker from the latest camera frames. Inline storage: no allocation on push.
public struct PolicyRequest: Sendable {
    public var tick: UInt64
    public var takenAtNanos: UInt64
    public var valueCount = 0
    public var values = InlineArray<128, Double>(repeating: 0)
    /// Index into the worker's prompt table (the task prompt, or a stage's prompt).
    public var promptIndex = 0

    public init(tick: UInt64, takenAtNanos: UInt64) {
        self.tick = tick
        self.takenAtNanos = takenAtNanos
    }

    /// Appends a value; false (and nothing appended) when full.
    @discardableResult
    public mutating func append(_ value: Double) -> Bool {
        guard valueCount < policyRequestMaxValues else { return false }
        values[valueCount] = value
        valueCount += 1
        return true
    }
}
