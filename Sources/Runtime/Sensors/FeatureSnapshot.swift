/// Most feature streams and values per stream the control thread sees.
public let featureSnapshotMaxFeatures = 8
public let featureSnapshotMaxValues = 32

/// The latest value of every configured feature stream, in inline storage, as the control
/// thread reads it from a `TripleBuffer` each tick (written by the sensor thread).
public struct FeatureSnapshot: Sendable {
    public var featureCount = 0
    /// Values of feature `f` at `[f * featureSnapshotMaxValues + i]`.
    public var values = InlineArray<256, Double>(repeating: 0)
    public var counts = InlineArray<8, Int>(repeating: 0)
    public var sequences = InlineArray<8, UInt64>(repeating: 0)
    /// Monotonic ns at which the sensor thread received each feature (0 = never).
    public var receivedNanos = InlineArray<8, UInt64>(repeating: 0)

    public init(featureCount: Int = 0) { self.featureCount = featureCount }

    public func value(feature: Int, index: Int) -> Double { values[feature * featureSnapshotMaxValues + index] }

    public func ageNanos(feature: Int, now: UInt64) -> UInt64 {
        let received = receivedNanos[feature]
        return received == 0 || now < received ? .max : now - received
    }
}
