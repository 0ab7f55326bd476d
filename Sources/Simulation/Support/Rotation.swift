import Foundation

/// A 3×3 rotation matrix, row-major: `m[3·row + column]`.
///
/// Small on purpose: the simulated NUC only needs axis-angle goals, products, and the
/// conversions to and from libfranka's column-major 4×4 `O_T_EE`.
public struct RotationMatrix: Sendable, Equatable {
    /// Row-major elements.
    public var m: [Double]

    /// The rotation with row-major elements `m` (9 values; not checked for orthonormality).
    public init(rowMajor m: [Double]) {
        precondition(m.count == 9, "a rotation matrix has 9 elements, got \(m.count)")
        self.m = m
    }

    public static let identity = RotationMatrix(rowMajor: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    public subscript(row: Int, column: Int) -> Double {
        get { m[3 * row + column] }
        set { m[3 * row + column] = newValue }
    }

    /// The rotation by `|v|` rad about `v / |v|` (Rodrigues); identity for a zero vector.
    public init(axisAngle v: SIMD3<Double>) {
        let angle = (v * v).sum().squareRoot()
        guard angle > 1e-12 else {
            self = .identity
            return
        }
        let k = v / angle
        let c = cos(angle), s = sin(angle), t = 1 - c
        self.init(rowMajor: [
            t * k.x * k.x + c, t * k.x * k.y - s * k.z, t * k.x * k.z + s * k.y,
            t * k.x * k.y + s * k.z, t * k.y * k.y + c, t * k.y * k.z - s * k.x,
            t * k.x * k.z - s * k.y, t * k.y * k.z + s * k.x, t * k.z * k.z + c,
        ])
    }

    /// `self · other`.
    public static func * (a: RotationMatrix, b: RotationMatrix) -> RotationMatrix {
        var out = [Double](repeating: 0, count: 9)
        for row in 0..<3 {
            for column in 0..<3 {
                out[3 * row + column] = (0..<3).reduce(0) { $0 + a[row, $1] * b[$1, column] }
            }
        }
        return RotationMatrix(rowMajor: out)
    }

    /// The rotation vector (axis · angle, angle in [0, π]) of this matrix.
    public var axisAngle: SIMD3<Double> {
        let cosine = max(-1, min(1, (self[0, 0] + self[1, 1] + self[2, 2] - 1) / 2))
        let angle = acos(cosine)
        if angle < 1e-9 { return .zero }
        if .pi - angle < 1e-6 {
            // Near π the skew part vanishes: take the axis from the diagonal.
            let x = max(0, (self[0, 0] + 1) / 2).squareRoot()
            let y = max(0, (self[1, 1] + 1) / 2).squareRoot() * (self[0, 1] >= 0 ? 1 : -1)
            let z = max(0, (self[2, 2] + 1) / 2).squareRoot() * (self[0, 2] >= 0 ? 1 : -1)
            let axis = SIMD3(x, y, z)
            return axis / (axis * axis).sum().squareRoot() * angle
        }
        let skew = SIMD3(self[2, 1] - self[1, 2], self[0, 2] - self[2, 0], self[1, 0] - self[0, 1])
        return skew / (2 * sin(angle)) * angle
    }

    /// Largest element-wise difference to `other`.
    public func maxDifference(to other: RotationMatrix) -> Double {
        zip(m, other.m).map { abs($0 - $1) }.max() ?? 0
    }
}

/// An end-effector pose in the robot base frame: position in m and orientation.
public struct CartesianPose: Sendable, Equatable {
    public var positionMeters: SIMD3<Double>
    public var rotation: RotationMatrix

    public init(positionMeters: SIMD3<Double>, rotation: RotationMatrix) {
        self.positionMeters = positionMeters
        self.rotation = rotation
    }

    /// The pose of a libfranka `O_T_EE`-style homogeneous transform, column-major 4×4
    /// (`t[4·column + row]`, translation in elements 12, 13, 14).
    public init(columnMajor t: [Double]) {
        precondition(t.count == 16, "a homogeneous transform has 16 elements, got \(t.count)")
        positionMeters = SIMD3(t[12], t[13], t[14])
        rotation = RotationMatrix(rowMajor: [t[0], t[4], t[8], t[1], t[5], t[9], t[2], t[6], t[10]])
    }

    /// The column-major 4×4 homogeneous transform of this pose (libfranka layout).
    public var columnMajor: [Double] {
        let r = rotation
        return [
            r[0, 0], r[1, 0], r[2, 0], 0,
            r[0, 1], r[1, 1], r[2, 1], 0,
            r[0, 2], r[1, 2], r[2, 2], 0,
            positionMeters.x, positionMeters.y, positionMeters.z, 1,
        ]
    }
}
