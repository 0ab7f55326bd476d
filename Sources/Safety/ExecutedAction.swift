import PLDCore

extension SafetyChain {
    /// Writes the command sent to arm `arm` back into `action`'s segment for that arm, in the
    /// action space (the inverse of stage 3, `PhysicalScaling`): what the arm was actually told
    /// to do, in the units of the policy's actions — the executed action episodes record.
    ///
    /// - `ee_delta`: translation / translation_m_per_unit, rotation / rotation_rad_per_unit;
    ///   a hold is a zero delta.
    /// - `joint_position`: the joint targets, rad; a hold is the measured joints.
    /// - gripper: the command's closedness in the policy's convention; a hold (or no gripper
    ///   command) leaves the element as it was, so pass last tick's executed action in.
    ///
    /// Control thread; no allocation.
    public func writeExecuted(_ command: ArmCommand, arm index: Int, measured: ArmState, into action: inout ActionVector) {
        let arm = arms[index]
        let o = arm.segmentOffset
        switch arm.kind {
        case .eeDelta:
            let hold = command.mode != .endEffectorDelta
            action[o] = hold ? 0 : command.translationM.x / arm.translationScaleM
            action[o + 1] = hold ? 0 : command.translationM.y / arm.translationScaleM
            action[o + 2] = hold ? 0 : command.translationM.z / arm.translationScaleM
            action[o + 3] = hold ? 0 : command.rotationRad.x / arm.rotationScaleRad
            action[o + 4] = hold ? 0 : command.rotationRad.y / arm.rotationScaleRad
            action[o + 5] = hold ? 0 : command.rotationRad.z / arm.rotationScaleRad
        case .jointPosition:
            let hold = command.mode != .jointTargets
            for j in 0..<arm.jointCount { action[o + j] = hold ? measured.q[j] : command.jointTargetsRad[j] }
        }
        if let element = arm.gripperElement, let gripper = command.gripper {
            action[o + element] = GripperConversion.policyValue(closedness: gripper, convention: arm.gripper.convention)
        }
    }
}
