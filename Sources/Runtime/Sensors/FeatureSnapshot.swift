import PLDCore

/// The latest value of every configured feature stream, in inline storage, as the control
/// thread reads it from a `TripleBuffer` each tick (written by the sensor thread). Streams are
/// packed: stream f's values start at `offsets[f]` (`FeatureLimits` bounds the totals).
public struct FeatureSnapshot: Sendable {
    public var featureCount = 0
    /// Values of feature `f` at `[offsets[f] + i]`, i < `counts[f]`.
    public var values = InlineArray<512, Double>(repeating: 0)
    public var offsets = InlineArray<8, Int>(repeating: 0)
    /// Values received so far per stream (0 before the first message; at most its dims).
    public var counts = InlineArray<8, Int>(repeating: 0)
    public var sequences = InlineArray<8, UInt64>(repeating: 0)
    /// Monotonic ns at which the sensor thread received each feature (0 = never).
    public var receivedNanos = InlineArray<8, UInt64>(repeating: 0)

    /// - Parameter dims: each stream's declared width (their sum at most `FeatureLimits.values`).
    public init(dims: [Int] = []) {
        featureCount = dims.count
        let starts = FeatureLimits.offsets(dims: dims)
        for f in 0..<min(dims.count, FeatureLimits.streams) { offsets[f] = starts[f] }
    }

    public func value(feature: Int, index: Int) -> Double { values[offsets[feature] + index] }

    public func ageNanos(feature: Int, now: UInt64) -> UInt64 {
        let received = receivedNanos[feature]
        return received == 0 || now < received ? .max : now - received
    }
}
