import PLDCore
import Safety
import Testing

/// Stages 2–5 for an `ee_delta` arm: box, scale, step cap, workspace box.
@Suite struct EndEffectorStageTests {
    /// Box x [0.3, 0.8], y [−0.3, 0.3], z [0.05, 0.6]; caps 0.01 m, 0.05 rad; deoxys scales
    /// 0.05 m and 1 rad per unit.
    static let safety = """
          max_step:
            translation_m: 0.01
            rotation_rad: 0.05
            joint_rad: 0.05
        """
    let chain: SafetyChain
    let home = SIMD3(0.5, 0.0, 0.3)

    init() throws {
        chain = try SafetyChain(config: try makeConfig([.frankaEE()], safety: Self.safety))
    }

    func apply(_ a: ActionVector, at position: SIMD3<Double>) -> SafetyOutput {
        chain.apply(a, states: [armState(Array(repeating: 0, count: 7), ee: position, link: .franka)],
                    previous: chain.holding, periodS: 0.05)
    }

    @Test func tenMetreDeltaIsCappedToMaxStepKeepingDirectionAndInsideTheWorkspace() {
        // 10 m along (1, 1, 1)/√3: 115 normalised units per axis at 0.05 m per unit.
        let perAxis = 10 / 3.0.squareRoot() / 0.05
        let out = apply(action(7, [0: perAxis, 1: perAxis, 2: perAxis]), at: home)
        let t = out.commands[0].translationM
        #expect(out.commands[0].mode == .endEffectorDelta)
        #expect(abs(length(t) - 0.01) < 1e-12)
        let direction = t / length(t)
        #expect(length(direction - SIMD3(1, 1, 1) / 3.0.squareRoot()) < 1e-12)
        let target = home + t
        #expect(all(target .>= SIMD3(0.3, -0.3, 0.05)) && all(target .<= SIMD3(0.8, 0.3, 0.6)))
        // Three box clamps (115 → 1), then one step cap of the 0.0866 m vector.
        #expect(out.events.count == 4)
        #expect(out.events.count(of: .actionClamped) == 3 && out.events.count(of: .stepCapped) == 1)
        for axis in 0..<3 {
            let e = out.events[axis]
            #expect(e.stage == .actionBox && e.element == axis && abs(e.requested - perAxis) < 1e-9 && e.applied == 1)
        }
        let cap = out.events[3]
        #expect(cap.stage == .stepCap && cap.element == 0 && cap.arm == 0)
        #expect(abs(cap.requested - 0.05 * 3.0.squareRoot()) < 1e-12 && cap.applied == 0.01)
        #expect(!out.latchesEStop)
    }

    @Test func stepCapKeepsTheDirectionOfAnInBoxAction() {
        let out = apply(action(7, [0: 0.6, 1: -0.8]), at: home)
        #expect(length(out.commands[0].translationM - SIMD3(0.006, -0.008, 0)) < 1e-12)
        #expect(out.events.count == 1 && out.events[0].kind == .stepCapped)
    }

    @Test func rotationAngleIsCappedKeepingTheAxis() {
        // 0.3 rad about z → 0.05 rad about z; x/y components stay zero.
        let out = apply(action(7, [5: 0.3]), at: home)
        #expect(length(out.commands[0].rotationRad - SIMD3(0, 0, 0.05)) < 1e-12)
        #expect(out.events.count == 1)
        let e = out.events[0]
        #expect(e.kind == .stepCapped && e.element == 3 && abs(e.requested - 0.3) < 1e-12 && e.applied == 0.05)
    }

    @Test func smallDeltaPassesUnchanged() {
        let out = apply(action(7, [0: 0.1, 1: -0.05, 3: 0.02, 6: 1]), at: home)
        #expect(out.commands[0].translationM == SIMD3(0.1 * 0.05, -0.05 * 0.05, 0))
        #expect(out.commands[0].rotationRad == SIMD3(0.02, 0, 0))
        #expect(out.commands[0].gripper == 1)
        #expect(out.events.isEmpty)
    }

    @Test func targetOutsideTheWorkspaceIsClampedOntoTheBoundary() {
        // 5 mm from the +x face, asking for +8 mm in x and −6 mm in y.
        let measured = SIMD3(0.795, 0.0, 0.3)
        let out = apply(action(7, [0: 0.16, 1: -0.12]), at: measured)
        let target = measured + out.commands[0].translationM
        #expect(abs(target.x - 0.8) < 1e-12)
        #expect(abs(target.y - -0.006) < 1e-12)
        #expect(out.events.count == 1)
        let e = out.events[0]
        #expect(e.kind == .workspaceClamped && e.stage == .workspace && e.element == 0)
        #expect(abs(e.requested - 0.803) < 1e-12 && abs(e.applied - 0.8) < 1e-12)
    }

    @Test func armOutsideTheWorkspaceReturnsAtStepCapSpeed() {
        // 0.1 m below the floor of the box, no motion asked: the box pulls it back up 1 cm.
        let measured = SIMD3(0.5, 0.0, -0.05)
        let out = apply(action(7), at: measured)
        #expect(length(out.commands[0].translationM - SIMD3(0, 0, 0.01)) < 1e-12)
        #expect(out.events.count(of: .workspaceClamped) == 1 && out.events.count(of: .stepCapped) == 1)
        #expect(out.events[1].stage == .workspace)
    }

    @Test func measuredPoseComesFromForwardKinematicsWhenTheStateHasNone() throws {
        // Stub FK: the end effector sits at (q1, q2, q3).
        let stub = ForwardKinematics(jointCount: 7) { q in Pose(translation: SIMD3(q[0], q[1], q[2]), rotation: .identity) }
        let chain = try SafetyChain(config: try makeConfig([.frankaEE()], safety: Self.safety), kinematics: ["franka": stub])
        let state = armState([0.795, 0.298, 0.3, 0, 0, 0, 0], link: .franka)
        // +7 mm in x, +5 mm in y (8.6 mm, under the cap): both leave the box.
        let out = chain.apply(action(7, [0: 0.14, 1: 0.1]), states: [state], previous: chain.holding, periodS: 0.05)
        let target = SIMD3(0.795, 0.298, 0.3) + out.commands[0].translationM
        #expect(abs(target.x - 0.8) < 1e-12 && abs(target.y - 0.3) < 1e-12 && abs(target.z - 0.3) < 1e-12)
        #expect(out.events.count(of: .workspaceClamped) == 2)
        #expect(out.events.array.filter { $0.kind == .workspaceClamped }.map(\.element) == [0, 1])
    }

    @Test func measuredPoseOfTheStateWinsOverForwardKinematics() throws {
        let far = ForwardKinematics(jointCount: 7) { _ in Pose(translation: SIMD3(5, 5, 5), rotation: .identity) }
        let chain = try SafetyChain(config: try makeConfig([.frankaEE()], safety: Self.safety), kinematics: ["franka": far])
        let state = armState(Array(repeating: 0, count: 7), ee: home, link: .franka)
        let out = chain.apply(action(7, [0: 0.1]), states: [state], previous: chain.holding, periodS: 0.05)
        #expect(out.events.isEmpty && length(out.commands[0].translationM - SIMD3(0.005, 0, 0)) < 1e-15)
    }

    @Test func armWithoutPoseOrKinematicsHolds() {
        let state = armState(Array(repeating: 0, count: 7), link: .franka)
        let out = chain.apply(action(7, [0: 0.1]), states: [state], previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].mode == .hold)
        #expect(out.events.count == 1 && out.events[0].kind == .workspaceClamped && out.events[0].element == -1)
    }
}
