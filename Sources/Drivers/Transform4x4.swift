import PLDCore
/// Rigid transforms as 4×4 column-major matrices (libfranka's `O_T_EE` layout: element
/// (row r, column c) at `c·4 + r`, translation at 12…14), the form `ArmState.eePose` and the
/// calibration's base poses use. Value math, no allocation.
public enum Transform4x4 {
    public static let identity: InlineArray<16, Double> = ArmState.identityPose

    /// From a position (m) and a unit quaternion (w, x, y, z; normalised here).
    public static func from(position p: (Double, Double, Double), quaternionWxyz q: (Double, Double, Double, Double)) -> InlineArray<16, Double> {
        var (w, x, y, z) = q
        let norm = (w * w + x * x + y * y + z * z).squareRoot()
        if norm > 0 { (w, x, y, z) = (w / norm, x / norm, y / norm, z / norm) } else { (w, x, y, z) = (1, 0, 0, 0) }
        var m = identity
        m[0] = 1 - 2 * (y * y + z * z)
        m[1] = 2 * (x * y + w * z)
        m[2] = 2 * (x * z - w * y)
        m[4] = 2 * (x * y - w * z)
        m[5] = 1 - 2 * (x * x + z * z)
        m[6] = 2 * (y * z + w * x)
        m[8] = 2 * (x * z + w * y)
        m[9] = 2 * (y * z - w * x)
        m[10] = 1 - 2 * (x * x + y * y)
        m[12] = p.0
        m[13] = p.1
        m[14] = p.2
        return m
    }

    /// a · b.
    public static func multiply(_ a: InlineArray<16, Double>, _ b: InlineArray<16, Double>) -> InlineArray<16, Double> {
        var out = InlineArray<16, Double>(repeating: 0)
        for c in 0..<4 {
            for r in 0..<4 {
                var sum = 0.0
                for k in 0..<4 { sum += a[k * 4 + r] * b[c * 4 + k] }
                out[c * 4 + r] = sum
            }
        }
        return out
    }

    /// The inverse of a rigid transform: (Rᵀ, −Rᵀt).
    public static func inverse(_ m: InlineArray<16, Double>) -> InlineArray<16, Double> {
        var out = identity
        for r in 0..<3 {
            for c in 0..<3 { out[c * 4 + r] = m[r * 4 + c] }
        }
        for r in 0..<3 {
            out[12 + r] = -(out[r] * m[12] + out[4 + r] * m[13] + out[8 + r] * m[14])
        }
        return out
    }

    /// The translation column, m.
    public static func translation(_ m: InlineArray<16, Double>) -> (x: Double, y: Double, z: Double) { (m[12], m[13], m[14]) }

    /// As an array (allocates), column-major.
    public static func array(_ m: InlineArray<16, Double>) -> [Double] { (0..<16).map { m[$0] } }
}
