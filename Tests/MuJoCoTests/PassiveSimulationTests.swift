import Drivers
import MuJoCo
import Testing

@Suite("Passive simulation: gravity only, zero control")
struct PassiveSimulationTests {
    /// Steps `seconds` of simulated time from the `home` keyframe (or the default state) with
    /// all controls zero, and checks the state stays finite with no MuJoCo warnings (MuJoCo
    /// resets an unstable simulation itself, which only the warning count reveals).
    func simulatePassively(_ bundled: MJCFModel, seconds: Double = 10) throws -> MJData {
        let model = try bundled.load()
        let data = try MJData(model: model)
        if model.keyframeNames.contains("home") { try data.resetToKeyframe(named: "home") }
        data.ctrl.fill(0)
        let steps = Int((seconds / model.timestepSeconds).rounded())
        for _ in 0..<steps { data.step() }
        #expect(abs(data.timeSeconds - seconds) < 1e-6, "\(bundled): time advanced without resets")
        #expect(data.qpos.allFinite && data.qvel.allFinite, "\(bundled): state stays finite")
        #expect(data.warningCount == 0, "\(bundled): no MuJoCo warnings")
        return data
    }

    @Test("10 s of passive simulation stays finite", arguments: [MJCFModel.panda, .yam])
    func robotStaysFinite(_ bundled: MJCFModel) throws {
        _ = try simulatePassively(bundled)
    }

    @Test func frankaCube_cubeRestsOnTheTableAfter10Seconds() throws {
        let data = try simulatePassively(.frankaCube)
        let model = data.model
        let cube = data.position(of: try model.body(named: "cube"))
        let tableTop = data.position(of: try model.geom(named: "table")).z + model.size(of: try model.geom(named: "table")).z
        #expect(abs(cube.z - (tableTop + 0.025)) < 0.002, "cube centre at \(cube.z), table top at \(tableTop)")
        #expect(abs(cube.x - 0.5) < 0.01 && abs(cube.y + 0.2) < 0.01, "cube did not move: \(cube)")
        #expect(data.touching(try model.geom(named: "cube"), try model.geom(named: "table")))
        // The table carries the cube's weight (0.125 kg).
        let support = data.normalForce(between: try model.body(named: "cube"), and: .world)
        #expect(abs(support - model.mass(of: try model.body(named: "cube")) * 9.81) < 0.05, "support \(support) N")
    }

    @Test func yamGPUInsertion_cardStaysOnTheTableAfter10Seconds() throws {
        let data = try simulatePassively(.yamGPUInsertion)
        let card = data.position(of: try data.model.body(named: "gpu"))
        #expect(abs(card.z - 0.01) < 0.002, "card lies flat on the table: \(card)")
    }

    @Test func savedStateRestoresAndReplaysIdentically() throws {
        let model = try MJCFModel.frankaCube.load()
        let data = try MJData(model: model)
        try data.resetToKeyframe(named: "home")
        data.step(count: 100)
        var saved = MJState(model: model)
        data.saveState(into: &saved)
        data.step(count: 200)
        let first = data.qpos.values
        data.restoreState(saved)
        #expect(data.timeSeconds == saved.timeSeconds)
        data.step(count: 200)
        // Same state and controls give the same trajectory (to rounding: MuJoCo's solver keeps
        // scratch state beyond what MJState holds).
        for (replayed, original) in zip(data.qpos.values, first) { #expect(abs(replayed - original) < 1e-9) }
        // And a different state gives a different one: the comparison can fail.
        data.restoreState(saved)
        data.qvel[0] = 0.5
        data.step(count: 200)
        #expect(abs(data.qpos[0] - first[0]) > 1e-3)

        // A full copy (mj_copyData) carries the state, and copying into it again refreshes it.
        let snapshot = try MJData(copying: data)
        #expect(snapshot.qpos.values == data.qpos.values && snapshot.timeSeconds == data.timeSeconds)
        data.step(count: 10)
        #expect(snapshot.timeSeconds < data.timeSeconds)
        snapshot.copy(from: data)
        #expect(snapshot.qpos.values == data.qpos.values && snapshot.timeSeconds == data.timeSeconds)
    }

    @Test func massMatrixIsSymmetricPositiveDiagonalAndBiasHoldsGravity() throws {
        let model = try MJCFModel.panda.load()
        let data = try MJData(model: model)
        for (i, q) in [0, -0.785, 0, -2.356, 0, 1.571, 0.785].enumerated() { data.qpos[i] = q }
        data.forward()
        var mass = [Double](repeating: 0, count: model.nv * model.nv)
        data.fullMassMatrix(into: &mass)
        for i in 0..<model.nv {
            #expect(mass[i * model.nv + i] > 0)
            for j in 0..<model.nv { #expect(abs(mass[i * model.nv + j] - mass[j * model.nv + i]) < 1e-12) }
        }
        // Applying the bias force as a generalized force holds the arm still for a step.
        let joints = try (1...7).map { try model.joint(named: "joint\($0)") }
        for joint in joints { data.setAppliedForce(data.qfrcBias[model.dofAddress(of: joint)], on: joint) }
        let before = joints.map { data.position(of: $0) }
        data.step(count: 20)
        for (joint, q) in zip(joints, before) { #expect(abs(data.position(of: joint) - q) < 1e-4) }
    }

    @Test func yamJointsAtTheirRangeLimitsAreAcceptedAndTCPIsAboveTheBaseAtZero() throws {
        let arm = try ArmKinematics.yam(endEffectorSite: "tcp")
        #expect(arm.withinJointLimits(arm.jointLimits.map(\.lowerBound)))
        #expect(arm.withinJointLimits(arm.jointLimits.map(\.upperBound)))
        #expect(!arm.withinJointLimits(arm.jointLimits.map { $0.upperBound + 0.01 }))
        let zero = arm.pose(q: [0, 0, 0, 0, 0, 0])
        #expect(zero.position.x.isFinite && zero.position.y.isFinite && zero.position.z.isFinite)
        #expect(zero.position.z > 0.05, "TCP above the base at zero: \(zero.position)")
        for q in [arm.jointLimits.map(\.lowerBound), arm.jointLimits.map(\.upperBound)] {
            let p = arm.position(q: q)
            #expect(p.x.isFinite && p.y.isFinite && p.z.isFinite)
        }

        // The model's limit constraint holds a joint commanded past its range.
        let model = try MJCFModel.yam.load()
        let data = try MJData(model: model)
        let joint2 = try model.joint(named: "joint2")
        data.setControl(28, of: try model.actuator(named: "joint2"))
        data.step(count: 1000)
        #expect(data.position(of: joint2) < 3.66519 + 0.03, "joint2 stops at its upper limit")
    }

    @Test func yamGripperServoOpensBothCoupledFingers() throws {
        let model = try MJCFModel.yam.load()
        let data = try MJData(model: model)
        data.setControl(0.03, of: try model.actuator(named: "gripper"))
        data.step(count: 1000)
        let finger1 = data.position(of: try model.joint(named: "finger1"))
        let finger2 = data.position(of: try model.joint(named: "finger2"))
        #expect(abs(finger1 - 0.03) < 0.002 && abs(finger2 - 0.03) < 0.002, "fingers at \(finger1), \(finger2)")
    }

    @Test func workspaceBoxContainsAndClamps() throws {
        let box = WorkspaceBox(min: [0.35, -0.3, 0.0], max: [0.7, 0.3, 0.5])
        #expect(box.contains([0.5, 0, 0.2]))
        #expect(!box.contains([0.8, 0, 0.2]))
        #expect(box.clamped([0.8, 0, -0.1]) == [0.7, 0, 0])
        // The ready pose TCP (0.307, 0, 0.487) is just behind this box.
        #expect(abs(box.distanceOutside([0.8, 0, 0.2]) - 0.1) < 1e-12)
        let arm = try ArmKinematics.panda()
        #expect(arm.endEffector(at: [0, -0.785, 0, -2.356, 0, 1.571, 0.785], isInside: box) == false)
        #expect(arm.endEffector(at: [0, 0.3, 0, -2.0, 0, 2.3, 0.785], isInside: WorkspaceBox(min: [0.2, -0.2, 0], max: [0.8, 0.2, 0.6])))
    }
}
