import Foundation
import MuJoCo

/// Forward and inverse kinematics of one YAM arm of a MuJoCo scene, for the scripted planners:
/// the pose of the arm's `grasp` site (between the finger pads; z = where the finger tips
/// point, y = the axis the fingers close along) as a function of the six joints, and damped
/// least-squares IK on the site's Jacobian (`mj_jacSite`).
///
/// Works on a scratch `MJData` it owns (only this arm's joints are written; everything else
/// keeps whatever the scratch holds), so it never touches the live physics state.
///
/// Threading: not thread-safe; one owner (the policy handler thread) at a time.
final class YAMArmKinematics {
    let model: MJModel
    private let data: MJData
    private let site: MJSiteID
    private let qposAddress: [Int]
    private let dofAddress: [Int]
    /// Joint limits the solutions stay inside, rad (the model's ranges minus ``limitMarginRad``).
    let lowerRad: [Double]
    let upperRad: [Double]
    private var jacobian: MJJacobian
    private var normal = [Double](repeating: 0, count: 36)
    private var work = [Double](repeating: 0, count: 36)

    /// Kept between solutions and the model's joint ranges, rad: more than the safety chain's
    /// 0.05 rad margin, so no planned target is ever clamped.
    static let limitMarginRad = 0.07
    /// How many metres of position error one radian of orientation error weighs in the IK.
    let metersPerRadian = 0.15

    /// Binds to the arm whose names start with `prefix` (`left_`, `right_`). `lowerRad` /
    /// `upperRad` (six each, e.g. the robot config's `joint_limits`) tighten the model's ranges.
    init(model: MJModel, prefix: String, lowerRad configLower: [Double]? = nil, upperRad configUpper: [Double]? = nil)
        throws(MuJoCoError)
    {
        self.model = model
        data = try MJData(model: model)
        site = try model.site(named: "\(prefix)grasp")
        var qpos: [Int] = [], dofs: [Int] = [], lower: [Double] = [], upper: [Double] = []
        for i in 1...6 {
            let joint = try model.joint(named: "\(prefix)joint\(i)")
            qpos.append(model.qposAddress(of: joint))
            dofs.append(model.dofAddress(of: joint))
            let range = model.range(of: joint) ?? -Double.pi...Double.pi
            lower.append(max(range.lowerBound, configLower?[safe: i - 1] ?? -.infinity) + Self.limitMarginRad)
            upper.append(min(range.upperBound, configUpper?[safe: i - 1] ?? .infinity) - Self.limitMarginRad)
        }
        qposAddress = qpos
        dofAddress = dofs
        lowerRad = lower
        upperRad = upper
        jacobian = MJJacobian(model: model)
    }

    /// World pose of the grasp site for joints `q` (rad).
    func pose(_ q: [Double]) -> MJPose {
        set(q)
        return data.pose(of: site)
    }

    /// Joints (rad) that put the grasp site at `target`, starting the search from `seed`.
    /// Damped least squares on the 6×6 site Jacobian, each iteration's step capped at
    /// 0.2 rad and clamped to the limits; orientation errors weigh as much as position errors
    /// of ``metersPerRadian`` per radian.
    /// - Returns: the best joints found and their remaining position (m) and rotation (rad)
    ///   errors; callers decide whether that is close enough.
    func solve(_ target: MJPose, seed: [Double], iterations: Int = 60)
        -> (q: [Double], positionErrorM: Double, rotationErrorRad: Double)
    {
        var q = clamped(seed)
        var best = (q: q, positionErrorM: Double.infinity, rotationErrorRad: Double.infinity)
        var error = [Double](repeating: 0, count: 6)
        let damping = 1e-4
        for _ in 0..<iterations {
            set(q)
            let current = data.pose(of: site)
            let dp = target.position - current.position
            let dr = Self.rotationError(from: current.rotation, to: target.rotation)
            let positionError = (dp * dp).sum().squareRoot(), rotationError = (dr * dr).sum().squareRoot()
            if positionError + metersPerRadian * rotationError
                < best.positionErrorM + metersPerRadian * best.rotationErrorRad
            {
                best = (q, positionError, rotationError)
            }
            if positionError < 2e-5 && rotationError < 2e-4 { break }
            data.siteJacobian(site, into: &jacobian)
            // Rows: 3 translational (m), 3 rotational scaled to metres.
            for i in 0..<3 {
                error[i] = dp[i]
                error[3 + i] = metersPerRadian * dr[i]
            }
            // Normal equations (J Jᵀ + λ I) y = e, then Δq = Jᵀ y.
            for r in 0..<6 {
                for c in 0..<6 {
                    var sum = 0.0
                    for k in 0..<6 { sum += row(r, dofAddress[k]) * row(c, dofAddress[k]) }
                    normal[r * 6 + c] = sum + (r == c ? damping : 0)
                }
            }
            guard SmallMatrix.invert(&normal, n: 6, work: &work) else { break }
            var y = [Double](repeating: 0, count: 6)
            for r in 0..<6 {
                var sum = 0.0
                for c in 0..<6 { sum += normal[r * 6 + c] * error[c] }
                y[r] = sum
            }
            var step = [Double](repeating: 0, count: 6)
            var largest = 0.0
            for k in 0..<6 {
                var sum = 0.0
                for r in 0..<6 { sum += row(r, dofAddress[k]) * y[r] }
                step[k] = sum
                largest = max(largest, abs(sum))
            }
            let scale = largest > 0.2 ? 0.2 / largest : 1
            for k in 0..<6 { q[k] += scale * step[k] }
            q = clamped(q)
        }
        return best
    }

    /// Joint torques (N·m) that gravity's pull on a point mass of `massKg` at `offset` (in the
    /// grasp site's frame) puts on the joints at `q`: τ = Jₚ(point)ᵀ · (0, 0, −m g), with the
    /// point's Jacobian from the site's, Jₚ(point) = Jₚ(site) − [r]ₓ J_r(site).
    func gravityTorques(_ q: [Double], massKg: Double, offset: SIMD3<Double>) -> [Double] {
        set(q)
        data.siteJacobian(site, into: &jacobian)
        let pose = data.pose(of: site)
        let r = pose.rotation * offset
        return dofAddress.map { column in
            let vz = jacobian.linear(2, column) + jacobian.angular(0, column) * r.y - jacobian.angular(1, column) * r.x
            return -massKg * 9.81 * vz
        }
    }

    /// The joints inside the limits.
    func clamped(_ q: [Double]) -> [Double] {
        (0..<6).map { min(max(q[$0], lowerRad[$0]), upperRad[$0]) }
    }

    /// Entry of the stacked Jacobian: rows 0–2 translational, 3–5 rotational scaled to metres.
    private func row(_ r: Int, _ column: Int) -> Double {
        r < 3 ? jacobian.linear(r, column) : metersPerRadian * jacobian.angular(r - 3, column)
    }

    private func set(_ q: [Double]) {
        for k in 0..<6 { data.qpos[qposAddress[k]] = q[k] }
        data.kinematics()
    }

    /// The rotation vector (axis × angle, world frame) that turns `current` into `target`.
    static func rotationError(from current: MJRotationMatrix, to target: MJRotationMatrix) -> SIMD3<Double> {
        rotationVector(target * current.transposed)
    }

    /// Axis × angle of a rotation matrix.
    static func rotationVector(_ r: MJRotationMatrix) -> SIMD3<Double> {
        let cosine = min(1, max(-1, (r[0, 0] + r[1, 1] + r[2, 2] - 1) / 2))
        let angle = acos(cosine)
        let axis = SIMD3(r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1])
        if angle < 1e-9 { return .zero }
        if angle > .pi - 1e-6 {
            // Half-turn: the axis from the symmetric part.
            var v = SIMD3(r[0, 0], r[1, 1], r[2, 2])
            for i in 0..<3 { v[i] = max(0, (v[i] + 1) / 2).squareRoot() }
            if r[0, 1] < 0 { v.y = -v.y }
            if r[0, 2] < 0 { v.z = -v.z }
            return v * angle
        }
        let sine = sin(angle)
        return axis / (2 * sine) * angle
    }
}
