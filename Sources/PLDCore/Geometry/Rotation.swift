import Foundation

/// A 3×3 rotation matrix, row-major (`m[r * 3 + c]`), mapping body vectors to world vectors.
///
/// A value type with inline storage: safe on the control thread (no allocation).
public struct Rotation: Sendable, Equatable {
    public var m: InlineArray<9, Double>

    public static let identity = Rotation(rowMajor: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    public init(rowMajor values: InlineArray<9, Double>) { m = values }

    public subscript(row: Int, column: Int) -> Double {
        get { m[row * 3 + column] }
        set { m[row * 3 + column] = newValue }
    }

    /// Rotation by `angle` rad about the unit vector `axis` (Rodrigues).
    public init(axis: SIMD3<Double>, angle: Double) {
        let (s, c) = (sin(angle), cos(angle))
        let t = 1 - c
        let (x, y, z) = (axis.x, axis.y, axis.z)
        m = [
            t * x * x + c, t * x * y - s * z, t * x * z + s * y,
            t * x * y + s * z, t * y * y + c, t * y * z - s * x,
            t * x * z - s * y, t * y * z + s * x, t * z * z + c,
        ]
    }

    /// Rotation from an axis-angle vector (direction = axis, length = angle in rad), the form
    /// deoxys goals use.
    public init(axisAngle v: SIMD3<Double>) {
        let angle = (v * v).sum().squareRoot()
        self = angle < 1e-12 ? .identity : Rotation(axis: v / angle, angle: angle)
    }

    /// Rotation of a unit quaternion (w, x, y, z).
    public init(quaternion q: Quaternion) {
        let (w, x, y, z) = (q.w, q.x, q.y, q.z)
        m = [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ]
    }

    public static func * (a: Rotation, b: Rotation) -> Rotation {
        var out = Rotation.identity
        for r in 0..<3 {
            for c in 0..<3 { out[r, c] = a[r, 0] * b[0, c] + a[r, 1] * b[1, c] + a[r, 2] * b[2, c] }
        }
        return out
    }

    public static func * (a: Rotation, v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(
            a[0, 0] * v.x + a[0, 1] * v.y + a[0, 2] * v.z,
            a[1, 0] * v.x + a[1, 1] * v.y + a[1, 2] * v.z,
            a[2, 0] * v.x + a[2, 1] * v.y + a[2, 2] * v.z)
    }

    public var transposed: Rotation {
        Rotation(rowMajor: [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]])
    }

    /// The axis-angle vector of this rotation (angle in [0, π]).
    public var axisAngle: SIMD3<Double> { Quaternion(rotation: self).axisAngle }

    /// Largest element-wise difference to `other`.
    public func maxDifference(to other: Rotation) -> Double {
        var largest = 0.0
        for i in 0..<9 { largest = max(largest, abs(m[i] - other.m[i])) }
        return largest
    }

    public static func == (a: Rotation, b: Rotation) -> Bool {
        for i in 0..<9 where a.m[i] != b.m[i] { return false }
        return true
    }
}
