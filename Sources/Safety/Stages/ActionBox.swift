import PLDCore

/// Stage 2: every *normalised* element of the arm's segment is clamped to
/// `safety.action_box` ([low, high], default [−1, 1]; method-and-safety.md §8.4 step 1).
///
/// Normalised elements are the six `ee_delta` translation/rotation values and the gripper.
/// `joint_position` targets are absolute radians (ActionSegmentKind's openpi/ALOHA semantics),
/// not normalised: clamping them to [−1, 1] would throw a YAM shoulder at 2.5 rad to 1 rad.
/// They are bounded by the step cap, the joint limits and the rate limits instead.
enum ActionBox {
    static func apply(_ action: inout ActionVector, arm: SafetyArm, low: Double, high: Double, events: inout SafetyEventBuffer) {
        for element in 0..<arm.normalisedMotionElements {
            clamp(&action, element: element, arm: arm, low: low, high: high, events: &events)
        }
        if let gripper = arm.gripperElement {
            clamp(&action, element: gripper, arm: arm, low: low, high: high, events: &events)
        }
    }

    private static func clamp(_ action: inout ActionVector, element: Int, arm: SafetyArm, low: Double, high: Double, events: inout SafetyEventBuffer) {
        let i = arm.segmentOffset + element
        let requested = action[i]
        let applied = min(max(requested, low), high)
        guard applied != requested else { return }
        action[i] = applied
        events.record(SafetyEvent(kind: .actionClamped, stage: .actionBox, arm: arm.index, element: element,
                                  requested: requested, applied: applied))
    }
}
