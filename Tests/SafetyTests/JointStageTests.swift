import PLDCore
import Safety
import Testing

/// Stages 4–7 for `joint_position` arms: step cap, workspace through forward kinematics, joint
/// limits with their margin and source policy.
@Suite struct JointStageTests {
    /// Rates wide open (20 rad/s, 200 rad/s², fraction 1) so only the stage under test acts.
    static let wideOpen = """
          max_step:
            joint_rad: 0.05
          joint_limits:
            source: tightest
            margin_rad: 0.1
          joint_velocity_fraction: 1.0
          joint_acceleration_fraction: 1.0
        """

    // MARK: Workspace through forward kinematics (planar two-link arm)

    /// x [0.2, 0.8], y [−0.3, 0.3], z [−0.1, 0.1]; step cap 0.5 rad so the box is what binds.
    static func planarChain() throws -> SafetyChain {
        let arm = TestArm.joints("planar", count: 2, lower: -3, upper: 3, velocity: 20, acceleration: 200,
                                 workspace: ([0.2, -0.3, -0.1], [0.8, 0.3, 0.1]))
        let safety = wideOpen.replacingOccurrences(of: "joint_rad: 0.05", with: "joint_rad: 0.5")
        return try SafetyChain(config: try makeConfig([arm], safety: safety), kinematics: ["planar": TwoLinkArm.kinematics])
    }

    @Test func jointTargetLeavingTheWorkspaceIsScaledBackOntoTheBoundary() throws {
        let chain = try Self.planarChain()
        // From (0, 0.5) (inside, y = 0.144 m) toward (0.4, 0.5), where y = 0.391 m is outside.
        let requested = TwoLinkArm.position(0.4, 0.5)
        #expect(requested.y > 0.3)
        let out = chain.apply(action(3, [0: 0.4, 1: 0.5, 2: 0]), states: [armState([0, 0.5])], previous: chain.holding, periodS: 0.05)
        let command = out.commands[0]
        #expect(command.mode == .jointTargets)
        // Scaled along the step: joint 2 did not move, joint 1 stopped part way.
        #expect(command.jointTargetsRad[1] == 0.5)
        #expect(command.jointTargetsRad[0] > 0.2 && command.jointTargetsRad[0] < 0.4)
        let reached = TwoLinkArm.position(command.jointTargetsRad[0], command.jointTargetsRad[1])
        #expect(reached.y <= 0.3 && reached.y > 0.3 - 1e-4, "on the +y face, within the bisection's resolution")
        #expect(out.events.count == 1)
        let e = out.events[0]
        #expect(e.kind == .workspaceClamped && e.stage == .workspace && e.arm == 0 && e.element == 1)
        #expect(abs(e.requested - requested.y) < 1e-12 && e.applied == reached.y)
    }

    @Test func jointTargetInsideTheWorkspacePassesUnchanged() throws {
        let chain = try Self.planarChain()
        let out = chain.apply(action(3, [0: 0.1, 1: 0.5]), states: [armState([0, 0.5])], previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].jointTargets == [0.1, 0.5])
        #expect(out.events.isEmpty)
    }

    @Test func armOutsideTheWorkspaceMayOnlyMoveBackTowardIt() throws {
        let chain = try Self.planarChain()
        let outside = armState([0.5, 0.5])  // y = 0.444 m
        let back = chain.apply(action(3, [0: 0.4, 1: 0.5]), states: [outside], previous: chain.holding, periodS: 0.05)
        #expect(back.commands[0].jointTargets == [0.4, 0.5])
        #expect(back.events.isEmpty)
        let farther = chain.apply(action(3, [0: 0.6, 1: 0.5]), states: [outside], previous: chain.holding, periodS: 0.05)
        #expect(farther.commands[0].jointTargets == [0.5, 0.5], "stands still at the measured q")
        #expect(farther.events.count == 1 && farther.events[0].kind == .workspaceClamped)
        #expect(farther.events[0].applied == TwoLinkArm.position(0.5, 0.5).y)
    }

    @Test func jointArmWithAWorkspaceNeedsForwardKinematics() throws {
        let arm = TestArm.joints("planar", count: 2, workspace: ([0.2, -0.3, -0.1], [0.8, 0.3, 0.1]))
        let config = try makeConfig([arm])
        #expect(throws: SafetySetupError(arm: "planar", "has a workspace box but no forward kinematics to check joint targets against it")) {
            _ = try SafetyChain(config: config)
        }
        #expect(throws: SafetySetupError.self) {
            _ = try SafetyChain(config: config, kinematics: ["planar": ForwardKinematics(jointCount: 3) { _ in .identity }])
        }
    }

    // MARK: Step cap and joint limits

    let limited = TestArm.joints("arm", count: 3, lower: -2, upper: 2, velocity: 20, acceleration: 200)

    @Test func jointStepIsCappedPerJoint() throws {
        let chain = try SafetyChain(config: try makeConfig([limited], safety: Self.wideOpen))
        let out = chain.apply(action(4, [0: 0.3, 1: -0.02, 2: -1.0]), states: [armState([0, 0, 0])], previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].jointTargets == [0.05, -0.02, -0.05])
        #expect(out.events.array.map(\.element) == [0, 2])
        #expect(out.events.array.allSatisfy { $0.kind == .stepCapped && $0.stage == .stepCap })
        #expect(out.events[0].requested == 0.3 && out.events[0].applied == 0.05)
        #expect(out.events[1].requested == -1.0 && out.events[1].applied == -0.05)
    }

    @Test func beyondLimitJointTargetIsClampedToLimitMinusMargin() throws {
        let chain = try SafetyChain(config: try makeConfig([limited], safety: Self.wideOpen))
        // Limits ±2, margin 0.1: targets stay in [−1.9, 1.9].
        let out = chain.apply(action(4, [0: 5.0, 1: -1.92, 2: 0.5]), states: [armState([1.88, -1.87, 0.5])],
                              previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].jointTargets == [1.9, -1.9, 0.5])
        let e = out.events.array
        #expect(e.count == 3)
        #expect(e[0].kind == .stepCapped && e[0].element == 0 && e[0].requested == 5.0 && abs(e[0].applied - 1.93) < 1e-12)
        #expect(e[1].kind == .jointLimitClamped && e[1].stage == .jointLimits && e[1].element == 0)
        #expect(abs(e[1].requested - 1.93) < 1e-12 && e[1].applied == 1.9)
        #expect(e[2].kind == .jointLimitClamped && e[2].element == 1 && e[2].requested == -1.92 && e[2].applied == -1.9)
    }

    @Test func jointAlreadyBeyondItsMarginMayHoldOrMoveBackButNotFartherOut() throws {
        let chain = try SafetyChain(config: try makeConfig([limited], safety: Self.wideOpen))
        let state = armState([1.95, 0, 0])  // inside the hardware limit, beyond the margin
        let out = chain.apply(action(4, [0: 2.5]), states: [state], previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].jointTargetsRad[0] == 1.95)
        #expect(out.events.count(of: .jointLimitClamped) == 1)
        let back = chain.apply(action(4, [0: 1.0]), states: [state], previous: chain.holding, periodS: 0.05)
        #expect(abs(back.commands[0].jointTargetsRad[0] - 1.9) < 1e-12, "one step cap back toward the band")
        #expect(back.events.count(of: .jointLimitClamped) == 0)
    }

    @Test func driverLimitsApplyPerTheSourcePolicy() throws {
        let driver = DriverJointLimits(lowerRad: [-1.5, -3, -3], upperRad: [1.0, 3, 3], velocityRadPerS: [0, 0, 0])
        func upperBound(_ source: String, _ driverLimits: [String: DriverJointLimits]) throws -> [Double] {
            let safety = Self.wideOpen.replacingOccurrences(of: "source: tightest", with: "source: \(source)")
            let chain = try SafetyChain(config: try makeConfig([limited], safety: safety), driverLimits: driverLimits)
            return (0..<3).map { chain.arms[0].upperBoundRad[$0] }
        }
        #expect(try upperBound("tightest", ["arm": driver]) == [0.9, 1.9, 1.9])
        #expect(try upperBound("tightest", [:]) == [1.9, 1.9, 1.9])
        #expect(try upperBound("config", ["arm": driver]) == [1.9, 1.9, 1.9])
        #expect(try upperBound("driver", ["arm": driver]) == [0.9, 2.9, 2.9])
        #expect(throws: SafetySetupError.self) { _ = try upperBound("driver", [:]) }
        #expect(throws: SafetySetupError.self) { _ = try upperBound("tightest", ["arm": DriverJointLimits(lowerRad: [0], upperRad: [1])]) }
        #expect(throws: SafetySetupError.self) { _ = try upperBound("tightest", ["nobody": driver]) }
    }

    @Test func marginLeavingNoRoomIsASetupError() throws {
        let narrow = TestArm.joints("arm", count: 1, lower: 0, upper: 0.15)
        #expect(throws: SafetySetupError.self) {
            _ = try SafetyChain(config: try makeConfig([narrow], safety: Self.wideOpen))
        }
    }
}
