import PLDCore
import Safety
import Testing

/// Gripper conventions, binarisation and the [0, 1] clamp.
@Suite struct GripperTests {
    @Test func conventionsConvertToZeroOpenOneClosed() {
        #expect(GripperConversion.closedness(0.3, convention: .zeroOpenOneClosed) == 0.3)
        #expect(GripperConversion.closedness(0.3, convention: .zeroClosedOneOpen) == 0.7)
        #expect(GripperConversion.closedness(1, convention: .zeroClosedOneOpen) == 0)
        // deoxys: a < 0 opens to 0.08·|a| m of the 0.08 m stroke; a ≥ 0 grasps.
        #expect(GripperConversion.closedness(-1, convention: .negativeOpenPositiveClosed) == 0)
        #expect(GripperConversion.closedness(-0.25, convention: .negativeOpenPositiveClosed) == 0.75)
        #expect(GripperConversion.closedness(0, convention: .negativeOpenPositiveClosed) == 1)
        #expect(GripperConversion.closedness(0.4, convention: .negativeOpenPositiveClosed) == 1)
    }

    @Test func binarisationSnapsAtTheThreshold() {
        #expect(GripperConversion.binarised(0.49, threshold: 0.5) == 0)
        #expect(GripperConversion.binarised(0.5, threshold: 0.5) == 1)
        #expect(GripperConversion.binarised(0.3, threshold: 0.2) == 1)
        #expect(GripperConversion.binarised(0.3, threshold: nil) == 0.3)
    }

    /// One-joint arm + gripper with the given gripper section; returns the gripper command for
    /// a policy value.
    func gripperCommand(_ gripperYAML: String, _ value: Double) throws -> (Double?, SafetyOutput) {
        var arm = TestArm.joints("arm", count: 1)
        arm.segmentYAML = gripperYAML
        let chain = try SafetyChain(config: try makeConfig([arm]))
        let out = chain.apply(action(2, [1: value]), states: [armState([0])], previous: chain.holding, periodS: 0.05)
        return (out.commands[0].gripper, out)
    }

    @Test func chainConvertsAndBinarisesPerTheSegment() throws {
        let iTwoRT = "      gripper:\n        convention: zero_closed_one_open\n        binarize_threshold: 0.5"
        #expect(try gripperCommand(iTwoRT, 0.7).0 == 0, "70 % open is open")
        #expect(try gripperCommand(iTwoRT, 0.4).0 == 1, "40 % open is closed")
        let deoxys = "      gripper:\n        convention: negative_open_positive_closed"
        #expect(try gripperCommand(deoxys, -0.5).0 == 0.5)
        #expect(try gripperCommand(deoxys, 0.2).0 == 1)
        let openpi = "      gripper:\n        convention: zero_open_one_closed"
        #expect(try gripperCommand(openpi, 0.25).0 == 0.25)
        #expect(try gripperCommand("", 0.25).0 == 0.25, "default convention is openpi's")
    }

    @Test func gripperOutsideZeroToOneIsClampedWithAnEvent() throws {
        let (below, out) = try gripperCommand("", -0.5)
        #expect(below == 0)
        #expect(out.events.count == 1)
        let e = out.events[0]
        #expect(e.kind == .actionClamped && e.stage == .gripper && e.element == 1 && e.requested == -0.5 && e.applied == 0)

        // 1.5 is outside the action box first: boxed to 1, which is a valid gripper value.
        let (above, boxed) = try gripperCommand("", 1.5)
        #expect(above == 1)
        #expect(boxed.events.count == 1 && boxed.events[0].stage == .actionBox && boxed.events[0].applied == 1)
    }

    @Test func armWithoutGripperSendsNone() throws {
        var arm = TestArm.joints("arm", count: 2)
        arm.hasGripper = false
        let chain = try SafetyChain(config: try makeConfig([arm]))
        #expect(chain.actionDimension == 2)
        let out = chain.apply(action(2), states: [armState([0, 0])], previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].gripper == nil && out.commands[0].mode == .jointTargets)
    }
}
