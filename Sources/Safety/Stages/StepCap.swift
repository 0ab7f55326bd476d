import PLDCore

/// Stage 4: the largest physical change per tick (`safety.max_step`; DROID 0.075 m / 0.15 rad /
/// 0.2 rad per step, SERL 15 mm / 0.1 rad: method-and-safety.md §8.4 step 2).
/// - `ee_delta`: the translation vector's length ≤ `translation_m` and the rotation angle ≤
///   `rotation_rad`, each scaled as a whole so the direction is kept.
/// - `joint_position`: |target − measured q| ≤ `joint_rad`, per joint.
enum StepCap {
    static func capEndEffector(_ command: inout ArmCommand, caps: StepCapConfig, arm: Int, events: inout SafetyEventBuffer) {
        cap(&command.translationM, to: caps.translationM, element: 0, arm: arm, stage: .stepCap, events: &events)
        cap(&command.rotationRad, to: caps.rotationRad, element: 3, arm: arm, stage: .stepCap, events: &events)
    }

    static func capJoints(_ command: inout ArmCommand, q: InlineArray<8, Double>, capRad: Double, arm: Int, events: inout SafetyEventBuffer) {
        for j in 0..<command.jointCount {
            let requested = command.jointTargetsRad[j]
            let applied = min(max(requested, q[j] - capRad), q[j] + capRad)
            guard applied != requested else { continue }
            command.jointTargetsRad[j] = applied
            events.record(SafetyEvent(kind: .stepCapped, stage: .stepCap, arm: arm, element: j, requested: requested, applied: applied))
        }
    }

    /// Scales `vector` down to length `limit` when longer, keeping its direction.
    static func cap(_ vector: inout SIMD3<Double>, to limit: Double, element: Int, arm: Int, stage: SafetyStage, events: inout SafetyEventBuffer) {
        let length = (vector * vector).sum().squareRoot()
        guard length > limit else { return }
        vector *= limit / length
        events.record(SafetyEvent(kind: .stepCapped, stage: stage, arm: arm, element: element, requested: length, applied: limit))
    }
}
