import Foundation

/// The fixed input normalisation of one learner: x̂ = (x − mean) / std, element by element over
/// the actor's input [state features…, base action…]. Set at construction (typically from the
/// offline data, `estimate(from:)`), never updated while training — the exported residual
/// carries the same vectors as `obs_mean` / `obs_std`, so the runtime normalises identically.
public struct ObservationNormalizer: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]
    public var dimensions: Int { mean.count }

    /// Fails unless both vectors have `mean.count > 0` equal lengths, every mean is finite and
    /// every std finite and positive.
    public init(mean: [Float], std: [Float]) throws(LearningError) {
        guard !mean.isEmpty, mean.count == std.count else {
            throw LearningError("normaliser: mean has \(mean.count) values, std \(std.count); both must have the input width")
        }
        if let bad = mean.firstIndex(where: { !$0.isFinite }) { throw LearningError("normaliser: mean[\(bad)] is \(mean[bad])") }
        if let bad = std.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw LearningError("normaliser: std[\(bad)] is \(std[bad]); standard deviations must be finite and positive")
        }
        self.mean = mean
        self.std = std
    }

    /// No normalisation: mean 0, std 1.
    public static func identity(dimensions: Int) -> ObservationNormalizer {
        try! ObservationNormalizer(mean: [Float](repeating: 0, count: dimensions), std: [Float](repeating: 1, count: dimensions))
    }

    /// Mean and standard deviation of the `input` column of a buffer's transitions, std floored
    /// at `minimumStd` (a constant feature would otherwise divide by zero). Identity when the
    /// buffer is empty.
    public static func estimate(from buffer: ReplayBuffer, minimumStd: Float = 1e-3) -> ObservationNormalizer {
        let d = buffer.inputDimensions
        guard buffer.count > 0 else { return identity(dimensions: d) }
        var sum = [Double](repeating: 0, count: d), squares = [Double](repeating: 0, count: d)
        for row in 0..<buffer.count {
            let x = buffer.inputs + row * d
            for j in 0..<d {
                sum[j] += Double(x[j])
                squares[j] += Double(x[j]) * Double(x[j])
            }
        }
        let n = Double(buffer.count)
        let mean = sum.map { Float($0 / n) }
        let std = (0..<d).map { j in max(Float(max(squares[j] / n - (sum[j] / n) * (sum[j] / n), 0).squareRoot()), minimumStd) }
        return try! ObservationNormalizer(mean: mean, std: std)
    }

    /// Mean and standard deviation of `inputs` (rows of the input width), std floored at
    /// `minimumStd`. Identity of `dimensions` when `inputs` is empty.
    public static func estimate(inputs: [[Float]], dimensions: Int, minimumStd: Float = 1e-3) -> ObservationNormalizer {
        let buffer = ReplayBuffer(capacity: max(inputs.count, 1), inputDimensions: dimensions, actionDimensions: 1)
        for x in inputs { buffer.append(input: x, action: [0], reward: 0, nextInput: x, done: false, monteCarloReturn: 0) }
        return estimate(from: buffer, minimumStd: minimumStd)
    }

    /// x̂ for `rows` rows of [rows, dimensions] (in place allowed). No allocation.
    func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int) {
        let d = dimensions
        mean.withUnsafeBufferPointer { m in
            std.withUnsafeBufferPointer { s in
                for row in 0..<rows {
                    let xr = x + row * d, yr = y + row * d
                    for j in 0..<d { yr[j] = (xr[j] - m[j]) / s[j] }
                }
            }
        }
    }
}
