import Foundation

/// A unit quaternion (w, x, y, z), MuJoCo's order. Value type, no allocation.
public struct Quaternion: Sendable, Equatable {
    public var w: Double, x: Double, y: Double, z: Double

    public init(w: Double, x: Double, y: Double, z: Double) {
        self.w = w
        self.x = x
        self.y = y
        self.z = z
    }

    public static let identity = Quaternion(w: 1, x: 0, y: 0, z: 0)

    /// The quaternion of a rotation matrix (Shepperd's method, numerically safe for all angles).
    public init(rotation r: Rotation) {
        let trace = r[0, 0] + r[1, 1] + r[2, 2]
        if trace > 0 {
            let s = (trace + 1).squareRoot() * 2
            self.init(w: s / 4, x: (r[2, 1] - r[1, 2]) / s, y: (r[0, 2] - r[2, 0]) / s, z: (r[1, 0] - r[0, 1]) / s)
        } else if r[0, 0] > r[1, 1] && r[0, 0] > r[2, 2] {
            let s = (1 + r[0, 0] - r[1, 1] - r[2, 2]).squareRoot() * 2
            self.init(w: (r[2, 1] - r[1, 2]) / s, x: s / 4, y: (r[0, 1] + r[1, 0]) / s, z: (r[0, 2] + r[2, 0]) / s)
        } else if r[1, 1] > r[2, 2] {
            let s = (1 + r[1, 1] - r[0, 0] - r[2, 2]).squareRoot() * 2
            self.init(w: (r[0, 2] - r[2, 0]) / s, x: (r[0, 1] + r[1, 0]) / s, y: s / 4, z: (r[1, 2] + r[2, 1]) / s)
        } else {
            let s = (1 + r[2, 2] - r[0, 0] - r[1, 1]).squareRoot() * 2
            self.init(w: (r[1, 0] - r[0, 1]) / s, x: (r[0, 2] + r[2, 0]) / s, y: (r[1, 2] + r[2, 1]) / s, z: s / 4)
        }
        self = normalized
    }

    public var norm: Double { (w * w + x * x + y * y + z * z).squareRoot() }

    public var normalized: Quaternion {
        let n = norm
        return n > 0 ? Quaternion(w: w / n, x: x / n, y: y / n, z: z / n) : .identity
    }

    /// Axis-angle vector with angle in [0, π] (the shorter way round).
    public var axisAngle: SIMD3<Double> {
        var q = normalized
        if q.w < 0 { q = Quaternion(w: -q.w, x: -q.x, y: -q.y, z: -q.z) }
        let s = (q.x * q.x + q.y * q.y + q.z * q.z).squareRoot()
        guard s > 1e-12 else { return SIMD3(2 * q.x, 2 * q.y, 2 * q.z) }
        let angle = 2 * atan2(s, q.w)
        return SIMD3(q.x, q.y, q.z) * (angle / s)
    }

    public static func * (a: Quaternion, b: Quaternion) -> Quaternion {
        Quaternion(
            w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
            x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
            y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
            z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w)
    }

    /// Spherical interpolation from `a` (t = 0) to `b` (t = 1), along the shorter arc
    /// (signs aligned first, as deoxys's interpolator does).
    public static func slerp(_ a: Quaternion, _ b: Quaternion, _ t: Double) -> Quaternion {
        var b = b
        var dot = a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z
        if dot < 0 {
            b = Quaternion(w: -b.w, x: -b.x, y: -b.y, z: -b.z)
            dot = -dot
        }
        if dot > 0.9995 {
            return Quaternion(
                w: a.w + t * (b.w - a.w), x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y), z: a.z + t * (b.z - a.z)
            ).normalized
        }
        let theta = acos(min(1, dot))
        let (sa, sb) = (sin((1 - t) * theta) / sin(theta), sin(t * theta) / sin(theta))
        return Quaternion(w: sa * a.w + sb * b.w, x: sa * a.x + sb * b.x, y: sa * a.y + sb * b.y, z: sa * a.z + sb * b.z)
    }
}

/// A rigid transform: rotation then translation (m), `p_world = rotation * p_body + translation`.
public struct Pose: Sendable, Equatable {
    public var rotation: Rotation
    public var translation: SIMD3<Double>

    public init(rotation: Rotation = .identity, translation: SIMD3<Double> = .zero) {
        self.rotation = rotation
        self.translation = translation
    }

    public static let identity = Pose()

    /// The same pose, position first (reads naturally where a goal is built from a position).
    public init(translation: SIMD3<Double>, rotation: Rotation) {
        self.init(rotation: rotation, translation: translation)
    }

    /// From a libfranka column-major 4×4 given as 16 doubles.
    /// - Precondition: `t.count == 16`.
    public init(columnMajor t: [Double]) {
        precondition(t.count == 16, "a homogeneous transform has 16 elements, got \(t.count)")
        self.init(columnMajor: InlineArray<16, Double> { t[$0] })
    }

    /// ``columnMajor`` as an array (for protobuf fields and plant states).
    public var columnMajorArray: [Double] {
        let t = columnMajor
        return (0..<16).map { t[$0] }
    }

    /// From a libfranka column-major 4×4 (`O_T_EE`).
    public init(columnMajor t: InlineArray<16, Double>) {
        rotation = Rotation(rowMajor: [t[0], t[4], t[8], t[1], t[5], t[9], t[2], t[6], t[10]])
        translation = SIMD3(t[12], t[13], t[14])
    }

    /// libfranka column-major 4×4.
    public var columnMajor: InlineArray<16, Double> {
        let r = rotation
        return [
            r[0, 0], r[1, 0], r[2, 0], 0, r[0, 1], r[1, 1], r[2, 1], 0, r[0, 2], r[1, 2], r[2, 2], 0,
            translation.x, translation.y, translation.z, 1,
        ]
    }

    public static func * (a: Pose, b: Pose) -> Pose {
        Pose(rotation: a.rotation * b.rotation, translation: a.rotation * b.translation + a.translation)
    }

    public var inverse: Pose {
        let rt = rotation.transposed
        return Pose(rotation: rt, translation: -(rt * translation))
    }
}
