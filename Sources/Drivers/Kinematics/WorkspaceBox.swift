/// An axis-aligned box of end-effector positions, in metres, in an arm's base frame: the
/// workspace limit of the safety chain (SERL's "safety box").
public struct WorkspaceBox: Hashable, Sendable, CustomStringConvertible {
    /// Lowest x, y and z inside the box.
    public var min: SIMD3<Double>
    /// Highest x, y and z inside the box.
    public var max: SIMD3<Double>

    /// A box from its corners; every component of `min` must not exceed that of `max`.
    public init(min: SIMD3<Double>, max: SIMD3<Double>) {
        precondition(all(min .<= max), "workspace box min \(min) exceeds max \(max)")
        self.min = min
        self.max = max
    }

    /// Whether `position` is inside the box or on its boundary.
    public func contains(_ position: SIMD3<Double>) -> Bool {
        all(position .>= min) && all(position .<= max)
    }

    /// The point of the box nearest to `position` (each axis clamped).
    public func clamped(_ position: SIMD3<Double>) -> SIMD3<Double> {
        position.clamped(lowerBound: min, upperBound: max)
    }

    /// How far `position` lies outside the box, in metres (0 inside).
    public func distanceOutside(_ position: SIMD3<Double>) -> Double {
        let excess = position - clamped(position)
        return (excess * excess).sum().squareRoot()
    }

    public var description: String { "[\(min.x), \(max.x)] × [\(min.y), \(max.y)] × [\(min.z), \(max.z)] m" }
}
