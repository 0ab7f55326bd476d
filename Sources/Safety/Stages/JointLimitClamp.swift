import PLDCore

/// Stage 6: joint targets stay inside the arm's position limits minus
/// `safety.joint_limits.margin_rad` (method-and-safety.md §8.4 step 4; the limits after the
/// `config | driver | tightest` source policy, see `SafetyArm`).
///
/// A joint already beyond its band (a margin raised since, or the arm pushed there) may hold or
/// move back toward the band, never farther out; it is not yanked inside in one tick, which
/// would break the step cap.
enum JointLimitClamp {
    static func apply(_ command: inout ArmCommand, q: InlineArray<8, Double>, arm: SafetyArm, events: inout SafetyEventBuffer) {
        for j in 0..<command.jointCount {
            let low = min(arm.lowerBoundRad[j], q[j])
            let high = max(arm.upperBoundRad[j], q[j])
            let requested = command.jointTargetsRad[j]
            let applied = min(max(requested, low), high)
            guard applied != requested else { continue }
            command.jointTargetsRad[j] = applied
            events.record(SafetyEvent(kind: .jointLimitClamped, stage: .jointLimits, arm: arm.index, element: j,
                                      requested: requested, applied: applied))
        }
    }
}
