import PLDCore

/// Stage 7: joint velocity and acceleration (method-and-safety.md §8.4 step 5), per joint of a
/// `joint_position` arm, with Δ = target − measured q and T the tick period:
/// - velocity: |Δ| / T ≤ `joint_velocity_fraction` · velocity limit;
/// - acceleration: |Δ − Δ_prev| / T² ≤ `joint_acceleration_fraction` · acceleration limit,
///   where Δ_prev is the previous tick's step (`ArmCommand.jointStepsRad`; 0 after a hold).
///
/// The acceleration limit bounds speeding up and reversing. It never extends a step beyond what
/// the earlier stages allowed (the result lies between the measured q and their target): a
/// joint that stage 5 or 6 stops at a box or a limit stops there, and the driver's interpolator
/// (deoxys SMOOTH_JOINT_POSITION, the YAM driver's PD) smooths that stop. A reversal therefore
/// passes through a tick of standing still.
///
/// `ee_delta` arms are bounded in Cartesian space instead: translation speed ≤
/// `max_step.translation_m` / T and rotation speed ≤ `max_step.rotation_rad` / T through the
/// step cap (`SafetyDefaults.check` flags caps above the hardware's Cartesian limits, e.g. FR3
/// 3.0 m/s); their joint limits are enforced by the Franka's own reflexes and deoxys' OSC
/// null-space limits.
enum RateLimits {
    static func apply(
        _ command: inout ArmCommand, q: InlineArray<8, Double>, previousSteps: InlineArray<8, Double>, arm: SafetyArm,
        velocityFraction: Double, accelerationFraction: Double, periodS: Double, events: inout SafetyEventBuffer
    ) {
        for j in 0..<command.jointCount {
            let maxStep = velocityFraction * arm.velocityLimitRadPerS[j] * periodS
            let maxStepChange = accelerationFraction * arm.accelerationLimitRadPerS2[j] * periodS * periodS
            let requested = command.jointTargetsRad[j]
            let step = requested - q[j]

            let fast = min(max(step, -maxStep), maxStep)
            if fast != step {
                events.record(SafetyEvent(kind: .velocityLimited, stage: .velocity, arm: arm.index, element: j,
                                          requested: requested, applied: q[j] + fast))
            }
            var smooth = min(max(fast, previousSteps[j] - maxStepChange), previousSteps[j] + maxStepChange)
            smooth = min(max(smooth, min(0, fast)), max(0, fast))
            if smooth != fast {
                events.record(SafetyEvent(kind: .accelerationLimited, stage: .acceleration, arm: arm.index, element: j,
                                          requested: q[j] + fast, applied: q[j] + smooth))
            }
            if smooth != step { command.jointTargetsRad[j] = q[j] + smooth }
        }
    }
}
