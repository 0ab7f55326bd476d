/// A rotation as a 3×3 matrix, stored by rows (MuJoCo's `xmat` layout). Column `j` is the
/// frame's `j`-th axis expressed in the parent (world) frame.
public struct MJRotationMatrix: Hashable, Sendable {
    public var row0: SIMD3<Double>
    public var row1: SIMD3<Double>
    public var row2: SIMD3<Double>

    public init(row0: SIMD3<Double>, row1: SIMD3<Double>, row2: SIMD3<Double>) {
        self.row0 = row0
        self.row1 = row1
        self.row2 = row2
    }

    /// The identity rotation.
    public static let identity = MJRotationMatrix(row0: [1, 0, 0], row1: [0, 1, 0], row2: [0, 0, 1])

    /// Reads nine row-major values (`xmat`, `site_xmat`).
    init(rowMajor m: UnsafePointer<Double>) {
        row0 = SIMD3(m[0], m[1], m[2])
        row1 = SIMD3(m[3], m[4], m[5])
        row2 = SIMD3(m[6], m[7], m[8])
    }

    /// Element at `row`, `column` (both 0…2).
    public subscript(row: Int, column: Int) -> Double {
        switch row {
        case 0: row0[column]
        case 1: row1[column]
        default: row2[column]
        }
    }

    /// The transpose, which is the inverse rotation.
    public var transposed: MJRotationMatrix {
        MJRotationMatrix(
            row0: [row0.x, row1.x, row2.x], row1: [row0.y, row1.y, row2.y], row2: [row0.z, row1.z, row2.z])
    }

    /// Rotates a vector.
    public static func * (r: MJRotationMatrix, v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3((r.row0 * v).sum(), (r.row1 * v).sum(), (r.row2 * v).sum())
    }

    /// Composes rotations: `(a * b) * v == a * (b * v)`.
    public static func * (a: MJRotationMatrix, b: MJRotationMatrix) -> MJRotationMatrix {
        let bt = b.transposed
        return MJRotationMatrix(
            row0: [(a.row0 * bt.row0).sum(), (a.row0 * bt.row1).sum(), (a.row0 * bt.row2).sum()],
            row1: [(a.row1 * bt.row0).sum(), (a.row1 * bt.row1).sum(), (a.row1 * bt.row2).sum()],
            row2: [(a.row2 * bt.row0).sum(), (a.row2 * bt.row1).sum(), (a.row2 * bt.row2).sum()])
    }

    /// The same rotation as a unit quaternion (w, x, y, z) with w ≥ 0.
    public var quaternion: MJQuaternion {
        // Shepperd's method: pick the largest diagonal combination for numerical stability.
        let m00 = row0.x, m11 = row1.y, m22 = row2.z
        let trace = m00 + m11 + m22
        var q: MJQuaternion
        if trace > 0 {
            let s = (trace + 1).squareRoot() * 2
            q = MJQuaternion(w: 0.25 * s, x: (row2.y - row1.z) / s, y: (row0.z - row2.x) / s, z: (row1.x - row0.y) / s)
        } else if m00 > m11 && m00 > m22 {
            let s = (1 + m00 - m11 - m22).squareRoot() * 2
            q = MJQuaternion(w: (row2.y - row1.z) / s, x: 0.25 * s, y: (row0.y + row1.x) / s, z: (row0.z + row2.x) / s)
        } else if m11 > m22 {
            let s = (1 + m11 - m00 - m22).squareRoot() * 2
            q = MJQuaternion(w: (row0.z - row2.x) / s, x: (row0.y + row1.x) / s, y: 0.25 * s, z: (row1.z + row2.y) / s)
        } else {
            let s = (1 + m22 - m00 - m11).squareRoot() * 2
            q = MJQuaternion(w: (row1.x - row0.y) / s, x: (row0.z + row2.x) / s, y: (row1.z + row2.y) / s, z: 0.25 * s)
        }
        return q.w < 0 ? MJQuaternion(w: -q.w, x: -q.x, y: -q.y, z: -q.z) : q
    }
}

/// A unit quaternion in MuJoCo's order (w, x, y, z).
public struct MJQuaternion: Hashable, Sendable {
    public var w: Double
    public var x: Double
    public var y: Double
    public var z: Double

    public init(w: Double, x: Double, y: Double, z: Double) {
        self.w = w
        self.x = x
        self.y = y
        self.z = z
    }

    /// The identity rotation (1, 0, 0, 0).
    public static let identity = MJQuaternion(w: 1, x: 0, y: 0, z: 0)

    /// The rotation as a matrix.
    public var rotationMatrix: MJRotationMatrix {
        let (w, x, y, z) = (self.w, self.x, self.y, self.z)
        return MJRotationMatrix(
            row0: [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            row1: [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            row2: [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)])
    }
}

/// Position and orientation of a frame (site, body) in the world frame or, from
/// `ArmKinematics`, in an arm's base frame.
public struct MJPose: Hashable, Sendable {
    /// Position in metres.
    public var position: SIMD3<Double>
    /// Orientation as a rotation matrix.
    public var rotation: MJRotationMatrix
    /// The same orientation as a quaternion (w, x, y, z), w ≥ 0.
    public var quaternion: MJQuaternion

    public init(position: SIMD3<Double>, rotation: MJRotationMatrix) {
        self.position = position
        self.rotation = rotation
        self.quaternion = rotation.quaternion
    }

    /// The identity pose at the origin.
    public static let identity = MJPose(position: .zero, rotation: .identity)

    /// This pose expressed in the frame of `reference` (both given in the same parent frame):
    /// `reference⁻¹ · self`.
    public func relative(to reference: MJPose) -> MJPose {
        let inverse = reference.rotation.transposed
        return MJPose(position: inverse * (position - reference.position), rotation: inverse * rotation)
    }
}
