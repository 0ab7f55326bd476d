import PLDCore

/// A configured limit looser than the hardware or than published practice.
public struct SafetyLimitIssue: Sendable, Equatable, CustomStringConvertible {
    /// Field path in the robot config, e.g. `arms[0].joint_limits.velocity_rad_per_s[4]`.
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

extension SafetyDefaults {
    /// Every limit in `config` that is looser than the hardware of its arm, or whose per-tick
    /// caps allow more than the hardware's Cartesian/joint speeds or DROID's caps (the loosest
    /// published practice, `droidStepCap`). Empty when the configuration is no looser.
    ///
    /// - Parameter hardware: the model of each arm, by name (`panda`, `fr3`, `yam`, or your
    ///   own); arms without an entry are not checked against hardware.
    ///
    /// Step caps are compared as speeds (cap / tick period), so configurations at different
    /// tick rates compare fairly. Runs at start-up, not on the control thread.
    public static func check(_ config: RobotConfig, hardware: [String: HardwareLimits]) -> [SafetyLimitIssue] {
        var issues: [SafetyLimitIssue] = []
        let periodS = config.control.periodS
        let caps = config.safety.maxStep
        for (index, arm) in config.arms.enumerated() {
            guard let model = hardware[arm.name] else { continue }
            issues += check(arm.jointLimits, against: model, path: "arms[\(index)].joint_limits")
            guard let segment = config.actionSpace.segments.first(where: { $0.arm == arm.name }) else { continue }
            let armNote = "(arm `\(arm.name)`)"
            switch segment.kind {
            case .eeDelta:
                if let limit = model.cartesianTranslationMPerS, caps.translationM / periodS > limit {
                    issues.append(speedIssue("safety.max_step.translation_m", caps.translationM, "m", periodS, limit, "the \(model.model)'s Cartesian limit \(armNote)"))
                }
                if let limit = model.cartesianRotationRadPerS, caps.rotationRad / periodS > limit {
                    issues.append(speedIssue("safety.max_step.rotation_rad", caps.rotationRad, "rad", periodS, limit, "the \(model.model)'s Cartesian limit \(armNote)"))
                }
            case .jointPosition:
                if let slowest = model.velocityRadPerS.min(), caps.jointRad / periodS > slowest {
                    issues.append(speedIssue("safety.max_step.joint_rad", caps.jointRad, "rad", periodS, slowest, "the \(model.model)'s slowest joint \(armNote)"))
                }
            }
        }
        let droid = droidStepCap
        let usesEE = config.actionSpace.segments.contains { $0.kind == .eeDelta }
        let usesJoints = config.actionSpace.segments.contains { $0.kind == .jointPosition }
        if usesEE && caps.translationM / periodS > droid.translationM * droid.rateHz {
            issues.append(speedIssue("safety.max_step.translation_m", caps.translationM, "m", periodS, droid.translationM * droid.rateHz, "DROID's cap (0.075 m at 15 Hz)"))
        }
        if usesEE && caps.rotationRad / periodS > droid.rotationRad * droid.rateHz {
            issues.append(speedIssue("safety.max_step.rotation_rad", caps.rotationRad, "rad", periodS, droid.rotationRad * droid.rateHz, "DROID's cap (0.15 rad at 15 Hz)"))
        }
        if usesJoints, let jointRad = droid.jointRad, caps.jointRad / periodS > jointRad * droid.rateHz {
            issues.append(speedIssue("safety.max_step.joint_rad", caps.jointRad, "rad", periodS, jointRad * droid.rateHz, "DROID's cap (0.2 rad at 15 Hz)"))
        }
        return issues
    }

    /// Every per-joint limit in `limits` looser than `model`'s.
    public static func check(_ limits: JointLimitsConfig, against model: HardwareLimits, path: String = "joint_limits") -> [SafetyLimitIssue] {
        guard limits.lowerRad.count == model.jointCount, limits.upperRad.count == model.jointCount,
              limits.velocityRadPerS.count == model.jointCount, limits.accelerationRadPerS2.count == model.jointCount
        else {
            return [SafetyLimitIssue(path: path, message: "has \(limits.lowerRad.count) joints, the \(model.model) has \(model.jointCount)")]
        }
        let tolerance = 1e-9
        var issues: [SafetyLimitIssue] = []
        func flag(_ field: String, _ j: Int, _ value: Double, _ bound: Double, _ unit: String, _ relation: String) {
            issues.append(SafetyLimitIssue(
                path: "\(path).\(field)[\(j)]",
                message: "\(formatConfigNumber(value)) \(unit) is \(relation) the \(model.model)'s \(formatConfigNumber(bound)) \(unit) (\(model.source))"))
        }
        for j in 0..<model.jointCount {
            if limits.lowerRad[j] < model.lowerRad[j] - tolerance { flag("lower_rad", j, limits.lowerRad[j], model.lowerRad[j], "rad", "below") }
            if limits.upperRad[j] > model.upperRad[j] + tolerance { flag("upper_rad", j, limits.upperRad[j], model.upperRad[j], "rad", "above") }
            if limits.velocityRadPerS[j] > model.velocityRadPerS[j] + tolerance {
                flag("velocity_rad_per_s", j, limits.velocityRadPerS[j], model.velocityRadPerS[j], "rad/s", "above")
            }
            if limits.accelerationRadPerS2[j] > model.accelerationRadPerS2[j] + tolerance {
                flag("acceleration_rad_per_s2", j, limits.accelerationRadPerS2[j], model.accelerationRadPerS2[j], "rad/s²", "above")
            }
        }
        return issues
    }

    private static func speedIssue(_ path: String, _ cap: Double, _ unit: String, _ periodS: Double, _ limit: Double, _ what: String) -> SafetyLimitIssue {
        let speed = cap / periodS
        return SafetyLimitIssue(path: path, message: "\(formatConfigNumber(cap)) \(unit) per tick at \(formatConfigNumber(1 / periodS)) Hz is \(formatConfigNumber(speed)) \(unit)/s, above \(what) of \(formatConfigNumber(limit)) \(unit)/s")
    }
}
