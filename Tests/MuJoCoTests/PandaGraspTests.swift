import Drivers
import MuJoCo
import Testing

/// Inverse kinematics by damped least squares on `ArmKinematics`, for test set-ups.
func solveIK(
    _ arm: ArmKinematics, position target: SIMD3<Double>, rotation targetRotation: MJRotationMatrix,
    from start: [Double], iterations: Int = 200
) -> [Double] {
    var q = start
    var jacobian = arm.makeJacobian()
    let n = arm.jointCount
    for _ in 0..<iterations {
        let pose = arm.pose(q: q)
        // Orientation error: ½ Σ current axis × desired axis.
        var rotationError = SIMD3<Double>.zero
        for column in 0..<3 {
            let current = SIMD3(pose.rotation[0, column], pose.rotation[1, column], pose.rotation[2, column])
            let desired = SIMD3(targetRotation[0, column], targetRotation[1, column], targetRotation[2, column])
            rotationError += cross(current, desired) / 2
        }
        let error = target - pose.position
        let e = [error.x, error.y, error.z, rotationError.x, rotationError.y, rotationError.z]
        arm.jacobian(q: q, into: &jacobian)
        // dq = Jᵀ (J Jᵀ + λ² I)⁻¹ e
        var a = [[Double]](repeating: [Double](repeating: 0, count: 7), count: 6)
        for r in 0..<6 {
            for c in 0..<6 { a[r][c] = (0..<n).reduce(0) { $0 + jacobian[r, $1] * jacobian[c, $1] } + (r == c ? 1e-4 : 0) }
            a[r][6] = e[r]
        }
        for pivot in 0..<6 {
            let best = (pivot..<6).max { abs(a[$0][pivot]) < abs(a[$1][pivot]) }!
            a.swapAt(pivot, best)
            for r in 0..<6 where r != pivot {
                let f = a[r][pivot] / a[pivot][pivot]
                for c in pivot..<7 { a[r][c] -= f * a[pivot][c] }
            }
        }
        let y = (0..<6).map { a[$0][6] / a[$0][$0] }
        for j in 0..<n {
            q[j] += (0..<6).reduce(0) { $0 + jacobian[$1, j] * y[$1] }
            q[j] = min(max(q[j], arm.jointLimits[j].lowerBound), arm.jointLimits[j].upperBound)
        }
    }
    return q
}

@Suite("Panda gripper")
struct PandaGraspTests {
    @Test func pandaPicksUpTheCubeWithJointPDAndGravityCompensation() throws {
        let model = try MJCFModel.frankaCube.load()
        let data = try MJData(model: model)
        try data.resetToKeyframe(named: "home")
        let arm = try ArmKinematics.panda()
        let joints = try (1...7).map { try model.joint(named: "joint\($0)") }
        let motors = try (1...7).map { try model.actuator(named: "joint\($0)") }
        let gripper = try model.actuator(named: "gripper")
        let cubeBody = try model.body(named: "cube")
        let cube = data.position(of: cubeBody)

        let home = joints.map { data.position(of: $0) }
        let down = arm.pose(q: home).rotation  // the ready pose: TCP pointing down, fingers along y
        let above = solveIK(arm, position: cube + [0, 0, 0.12], rotation: down, from: home)
        let grasp = solveIK(arm, position: cube + [0, 0, 0.005], rotation: down, from: above)
        let lifted = solveIK(arm, position: cube + [0, 0, 0.15], rotation: down, from: grasp)
        #expect(distanceBetween(arm.position(q: grasp), cube + [0, 0, 0.005]) < 0.002, "IK reaches the cube")

        let kp: [Double] = [600, 600, 600, 600, 250, 150, 50]
        let kd: [Double] = [50, 50, 50, 50, 20, 20, 10]
        /// Moves from the current target to `goal` over `seconds`, holding the gripper at `opening`.
        var target = home
        func move(to goal: [Double], seconds: Double, opening: Double) {
            let start = target
            let steps = Int(seconds / model.timestepSeconds)
            for step in 0..<steps {
                let s = min(1, Double(step) / Double(steps) * 1.25)
                let blend = s * s * (3 - 2 * s)
                for i in 0..<7 {
                    target[i] = start[i] + (goal[i] - start[i]) * blend
                    let torque = kp[i] * (target[i] - data.position(of: joints[i])) - kd[i] * data.velocity(of: joints[i])
                    data.setControl(torque, of: motors[i])
                    data.setAppliedForce(data.qfrcBias[model.dofAddress(of: joints[i])], on: joints[i])
                }
                data.setControl(opening, of: gripper)
                data.step()
            }
        }
        move(to: above, seconds: 1.5, opening: 0.04)
        move(to: grasp, seconds: 1.0, opening: 0.04)
        move(to: grasp, seconds: 0.6, opening: 0)
        let squeeze = data.normalForce(between: cubeBody, and: try model.body(named: "left_finger"))
        move(to: lifted, seconds: 1.0, opening: 0)
        move(to: lifted, seconds: 0.5, opening: 0)

        let held = data.position(of: cubeBody)
        #expect(squeeze > 5, "fingers squeeze the cube (\(squeeze) N)")
        #expect(held.z > cube.z + 0.1, "cube lifted off the table: \(held)")
        #expect(distanceBetween(held, data.position(of: try model.site(named: "ee"))) < 0.02, "cube stays between the fingers")
        #expect(data.warningCount == 0)
    }
}

func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    let x: Double = a.y * b.z - a.z * b.y
    let y: Double = a.z * b.x - a.x * b.z
    let z: Double = a.x * b.y - a.y * b.x
    return SIMD3(x, y, z)
}

func distanceBetween(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
    let d = a - b
    return (d * d).sum().squareRoot()
}
