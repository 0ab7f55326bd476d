import PLDCore

/// Stage 5: the end-effector target stays in the arm's `safety.workspaces` box (SERL's safety
/// box, applied to the target: method-and-safety.md §8.4 step 3).
///
/// - `ee_delta`: target = measured position + translation delta, clamped into the box per axis;
///   the delta becomes clamped target − measured. When the arm is already outside the box that
///   delta points back in and can exceed the step cap, so it is capped again (the arm returns
///   at step-cap speed).
/// - `joint_position`: the target joints go through forward kinematics. Outside the box, the
///   joint step is scaled back toward the measured q by bisection (`bisectionSteps`, each step
///   evaluated and only an inside point accepted), so the result is inside the box. An arm
///   already outside its box may move only if that brings its end effector closer to the box;
///   otherwise it stands still at the measured q.
///
/// Only the position is boxed; the configuration has no orientation limits.
enum WorkspaceLimit {
    /// Halvings of the joint step when scaling back: 12 leaves the boundary within 1/4096 of
    /// the step (12 µrad of a 0.05 rad step).
    static let bisectionSteps = 12

    /// The measured end-effector position: the state's pose when the link provides one (Franka
    /// `O_T_EE`), else forward kinematics of the measured q; nil without either.
    static func measuredPosition(of state: ArmState, arm: SafetyArm) -> SIMD3<Double>? {
        if state.hasEEPose { return SIMD3(state.eePose[12], state.eePose[13], state.eePose[14]) }
        return arm.kinematics?.position(state.q)
    }

    static func clampEndEffector(
        _ command: inout ArmCommand, measured: SIMD3<Double>, box: (min: SIMD3<Double>, max: SIMD3<Double>),
        translationCapM: Double, arm: Int, events: inout SafetyEventBuffer
    ) {
        let target = measured + command.translationM
        let clamped = target.clamped(lowerBound: box.min, upperBound: box.max)
        guard clamped != target else { return }
        for axis in 0..<3 where clamped[axis] != target[axis] {
            events.record(SafetyEvent(kind: .workspaceClamped, stage: .workspace, arm: arm, element: axis,
                                      requested: target[axis], applied: clamped[axis]))
        }
        command.translationM = clamped - measured
        StepCap.cap(&command.translationM, to: translationCapM, element: 0, arm: arm, stage: .workspace, events: &events)
    }

    static func scaleBackJoints(
        _ command: inout ArmCommand, q: InlineArray<8, Double>, box: (min: SIMD3<Double>, max: SIMD3<Double>),
        kinematics: ForwardKinematics, arm: Int, stage: SafetyStage, events: inout SafetyEventBuffer
    ) {
        let target = kinematics.position(command.jointTargetsRad)
        if contains(box, target) { return }
        let current = kinematics.position(q)
        var fraction = 0.0
        var reached = current
        if contains(box, current) {
            var outside = 1.0
            for _ in 0..<bisectionSteps {
                let middle = (fraction + outside) / 2
                let position = kinematics.position(interpolate(q, command.jointTargetsRad, middle, count: command.jointCount))
                if contains(box, position) {
                    fraction = middle
                    reached = position
                } else {
                    outside = middle
                }
            }
        } else if distanceOutside(box, target) < distanceOutside(box, current) {
            return  // Outside already, and this step leads back toward the box.
        }
        command.jointTargetsRad = interpolate(q, command.jointTargetsRad, fraction, count: command.jointCount)
        let axis = worstAxis(box, target)
        events.record(SafetyEvent(kind: .workspaceClamped, stage: stage, arm: arm, element: axis,
                                  requested: target[axis], applied: reached[axis]))
    }

    static func contains(_ box: (min: SIMD3<Double>, max: SIMD3<Double>), _ p: SIMD3<Double>) -> Bool {
        all(p .>= box.min) && all(p .<= box.max)
    }

    static func distanceOutside(_ box: (min: SIMD3<Double>, max: SIMD3<Double>), _ p: SIMD3<Double>) -> Double {
        let excess = p - p.clamped(lowerBound: box.min, upperBound: box.max)
        return (excess * excess).sum().squareRoot()
    }

    /// The axis on which `p` lies farthest outside the box (0 when it is inside or not finite).
    private static func worstAxis(_ box: (min: SIMD3<Double>, max: SIMD3<Double>), _ p: SIMD3<Double>) -> Int {
        var axis = 0
        var worst = 0.0
        for i in 0..<3 {
            let excess = max(box.min[i] - p[i], p[i] - box.max[i])
            if excess > worst {
                worst = excess
                axis = i
            }
        }
        return axis
    }

    private static func interpolate(_ from: InlineArray<8, Double>, _ to: InlineArray<8, Double>, _ t: Double, count: Int) -> InlineArray<8, Double> {
        var out = from
        for j in 0..<count { out[j] = from[j] + t * (to[j] - from[j]) }
        return out
    }
}
