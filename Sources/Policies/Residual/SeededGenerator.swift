import Foundation

/// xoshiro256** (Blackman & Vigna), seeded through SplitMix64: a small, fast, seeded generator
/// whose whole state is four words, so the control thread draws from it without allocating.
///
/// Used for the residual's sampling noise and the handoff step. Streams are reproducible per
/// `(seed, stream)`: `init(seed:stream:)` mixes both through SplitMix64, so episode `k` of a run
/// with seed `s` draws the same numbers whenever it is replayed, whatever ran before it.
///
/// Thread: a value type; each owner draws from its own copy.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// Second Box–Muller variate, kept for the next `nextGaussian()` call.
    private var spareGaussian: Double?

    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        s0 = SeededGenerator.splitMix(&mixer)
        s1 = SeededGenerator.splitMix(&mixer)
        s2 = SeededGenerator.splitMix(&mixer)
        s3 = SeededGenerator.splitMix(&mixer)
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }  // the one state xoshiro cannot leave
    }

    @inline(__always)
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in `0...upperBound`, unbiased (Lemire's multiply-and-reject).
    public mutating func nextInteger(upTo upperBound: UInt64) -> UInt64 {
        if upperBound == .max { return next() }
        let range = upperBound + 1
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return product.high
    }

    /// Standard normal variate (Box–Muller; two per pair of uniforms, the second kept).
    public mutating func nextGaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        // 1 − u keeps the logarithm's argument in (0, 1].
        let radius = (-2 * log(1 - nextUnitInterval())).squareRoot()
        let angle = 2 * Double.pi * nextUnitInterval()
        spareGaussian = radius * sin(angle)
        return radius * cos(angle)
    }
}
