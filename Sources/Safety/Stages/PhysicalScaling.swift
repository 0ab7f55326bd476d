import PLDCore

/// Stage 3: the arm's (boxed) segment becomes a physical command.
/// - `ee_delta`: translation = a[0..<3] · translation_m_per_unit (deoxys default 0.05 m),
///   rotation = a[3..<6] · rotation_rad_per_unit (deoxys default 1.0 rad), both relative to the
///   measured pose (deoxys-wire.md §5.2, §6.3).
/// - `joint_position`: the values are absolute joint targets in rad and pass unchanged
///   (`joint_rad_per_unit` scales the residual where the action is composed, not here).
/// - gripper: converted to 0 open … 1 closed per its convention, clamped to [0, 1] (an event
///   when that changes it), then binarised if a threshold is set.
enum PhysicalScaling {
    static func command(from action: ActionVector, arm: SafetyArm, events: inout SafetyEventBuffer) -> ArmCommand {
        let o = arm.segmentOffset
        var command: ArmCommand
        switch arm.kind {
        case .eeDelta:
            command = ArmCommand(mode: .endEffectorDelta, jointCount: arm.jointCount)
            command.translationM = SIMD3(action[o], action[o + 1], action[o + 2]) * arm.translationScaleM
            command.rotationRad = SIMD3(action[o + 3], action[o + 4], action[o + 5]) * arm.rotationScaleRad
        case .jointPosition:
            command = ArmCommand(mode: .jointTargets, jointCount: arm.jointCount)
            for j in 0..<arm.jointCount { command.jointTargetsRad[j] = action[o + j] }
        }
        if let element = arm.gripperElement {
            let requested = GripperConversion.closedness(action[o + element], convention: arm.gripper.convention)
            let clamped = min(max(requested, 0), 1)
            if clamped != requested {
                events.record(SafetyEvent(kind: .actionClamped, stage: .gripper, arm: arm.index, element: element,
                                          requested: requested, applied: clamped))
            }
            command.gripper = GripperConversion.binarised(clamped, threshold: arm.gripper.binarizeThreshold)
        }
        return command
    }
}
