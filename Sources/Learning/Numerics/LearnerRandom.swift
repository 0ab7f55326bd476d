import Foundation

/// xoshiro256** seeded through SplitMix64 — the same generator as `Policies.SeededGenerator`,
/// but with its state readable and settable, so a learner checkpoint can store it and a resumed
/// run draws exactly the numbers the original would have drawn.
///
/// Gaussians come in Box–Muller pairs and `fillGaussian` uses both halves, so there is no
/// cached spare: the four state words are the whole state.
///
/// Thread: a value type; each owner draws from its own copy.
public struct LearnerRandom: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        state = (Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer))
        if state.0 | state.1 | state.2 | state.3 == 0 { state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// Restores a state read from `state` (a checkpoint). Nil for the all-zero state, which
    /// xoshiro cannot leave.
    public init?(state: (UInt64, UInt64, UInt64, UInt64)) {
        guard state.0 | state.1 | state.2 | state.3 != 0 else { return nil }
        self.state = state
    }

    public static func == (a: LearnerRandom, b: LearnerRandom) -> Bool { a.state == b.state }

    static func splitMix(_ value: inout UInt64) -> UInt64 {
        value &+= 0x9E37_79B9_7F4A_7C15
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<bound (bound > 0), unbiased (Lemire's multiply-and-reject).
    @inline(__always)
    public mutating func nextIndex(below bound: Int) -> Int {
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Standard normal variates into `x[0..<count]` (Box–Muller in double, both halves used; an
    /// odd count discards the last half).
    public mutating func fillGaussian(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i < count {
            let radius = (-2 * Foundation.log(1 - nextUnit())).squareRoot()
            let angle = 2 * Double.pi * nextUnit()
            x[i] = Float(radius * cos(angle))
            if i + 1 < count { x[i + 1] = Float(radius * sin(angle)) }
            i += 2
        }
    }

    /// Uniform variates in [low, high) into `x[0..<count]`.
    public mutating func fillUniform(_ x: UnsafeMutablePointer<Float>, count: Int, low: Float, high: Float) {
        let width = Double(high - low)
        for i in 0..<count { x[i] = low + Float(nextUnit() * width) }
    }
}
