import Drivers
import MuJoCo
import TestSupport
import Testing

@Suite("Site Jacobians against finite differences of forward kinematics")
struct JacobianTests {
    /// Angular velocity that turns `from` into `to` over unit time, for small rotations:
    /// vee of the skew part of to · fromᵀ.
    func smallRotation(from: MJRotationMatrix, to: MJRotationMatrix) -> SIMD3<Double> {
        let d = to * from.transposed
        return SIMD3(d[2, 1] - d[1, 2], d[0, 2] - d[2, 0], d[1, 0] - d[0, 1]) / 2
    }

    @Test func pandaEESiteJacobianMatchesCentralDifferences() throws {
        let model = try MJCFModel.panda.load()
        let data = try MJData(model: model)
        let ee = try model.site(named: "ee")
        var jacobian = MJJacobian(model: model)
        let h = 1e-6
        for q in FrankaDH.configurations(random: 3) {
            for i in 0..<7 { data.qpos[i] = q[i] }
            data.kinematics()
            data.siteJacobian(ee, into: &jacobian)
            for j in 0..<7 {
                data.qpos[j] = q[j] + h
                data.kinematics()
                let plus = data.pose(of: ee)
                data.qpos[j] = q[j] - h
                data.kinematics()
                let minus = data.pose(of: ee)
                data.qpos[j] = q[j]
                let linear = (plus.position - minus.position) / (2 * h)
                let angular = smallRotation(from: minus.rotation, to: plus.rotation) / (2 * h)
                for r in 0..<3 {
                    #expect(abs(jacobian.linear(r, j) - linear[r]) < 1e-5, "∂p\(r)/∂q\(j) at \(q)")
                    #expect(abs(jacobian.angular(r, j) - angular[r]) < 1e-5, "∂ω\(r)/∂q\(j) at \(q)")
                }
            }
            // Finger joints do not move the TCP.
            for j in 7..<model.nv { #expect(jacobian.linear(0, j) == 0 && jacobian.angular(2, j) == 0) }
        }
    }

    @Test func armJacobianMatchesFiniteDifferencesForBothArms() throws {
        for arm in [try ArmKinematics.panda(), try ArmKinematics.yam()] {
            var jacobian = arm.makeJacobian()
            var rng = SeededRandom(seed: 42)
            let q = arm.jointLimits.map { Double.random(in: $0, using: &rng) }
            arm.jacobian(q: q, into: &jacobian)
            let h = 1e-6
            for j in 0..<arm.jointCount {
                var qPlus = q, qMinus = q
                qPlus[j] += h
                qMinus[j] -= h
                let plus = arm.pose(q: qPlus), minus = arm.pose(q: qMinus)
                let linear = (plus.position - minus.position) / (2 * h)
                let angular = smallRotation(from: minus.rotation, to: plus.rotation) / (2 * h)
                for r in 0..<3 {
                    #expect(abs(jacobian[r, j] - linear[r]) < 1e-5, "\(arm.endEffectorSiteName) linear row \(r) joint \(j)")
                    #expect(abs(jacobian[r + 3, j] - angular[r]) < 1e-5, "\(arm.endEffectorSiteName) angular row \(r) joint \(j)")
                }
            }
        }
    }
}
