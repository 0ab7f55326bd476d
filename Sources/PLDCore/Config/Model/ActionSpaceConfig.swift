/// The action vector the policies produce and the residual adds to, and how its normalised
/// values become physical commands. One segment per arm, concatenated in list order (a
/// bimanual YAM is `[left joints, left gripper, right joints, right gripper]`).
public struct ActionSpaceConfig: Codable, Sendable, Equatable {
    public var segments: [ActionSegment]
}

public enum ActionSegmentKind: String, ConfigEnum {
    /// 6 end-effector deltas (translation x, y, z, then axis-angle rotation) + gripper; deoxys
    /// OSC_POSE semantics: the goal is the *measured* pose plus the delta.
    case eeDelta = "ee_delta"
    /// One absolute joint target per joint, rad, + gripper (openpi/ALOHA semantics).
    case jointPosition = "joint_position"
}

/// Which way the policy's gripper value points. Internally (and on the PLD arm protocol)
/// 0 is open and 1 is closed; this says how to convert at the policy boundary.
public enum GripperConvention: String, ConfigEnum {
    /// 0 open … 1 closed: openpi (`docs/norm_stats.md`) and the PLD arm protocol.
    case zeroOpenOneClosed = "zero_open_one_closed"
    /// 0 closed … 1 open: i2rt command space.
    case zeroClosedOneOpen = "zero_closed_one_open"
    /// < 0 open, ≥ 0 closed, range [−1, 1]: deoxys' Python client.
    case negativeOpenPositiveClosed = "negative_open_positive_closed"
}

/// One arm's slice of the action vector.
public struct ActionSegment: Codable, Sendable, Equatable {
    /// The arm this segment drives.
    public var arm: String
    public var kind: ActionSegmentKind
    /// `ee_delta` only: metres per normalised unit of translation. deoxys default 0.05.
    public var translationMPerUnit: Double?
    /// `ee_delta` only: radians per normalised unit of rotation. deoxys default 1.0.
    public var rotationRadPerUnit: Double?
    /// `joint_position` only: radians per normalised unit, used to scale residual actions and
    /// normalised deltas. Default 0.1.
    public var jointRadPerUnit: Double?
    public var gripper = GripperActionConfig()

    public static let defaultTranslationMPerUnit = 0.05
    public static let defaultRotationRadPerUnit = 1.0
    public static let defaultJointRadPerUnit = 0.1

    /// Effective scales (the defaults when not written).
    public var translationScaleM: Double { translationMPerUnit ?? Self.defaultTranslationMPerUnit }
    public var rotationScaleRad: Double { rotationRadPerUnit ?? Self.defaultRotationRadPerUnit }
    public var jointScaleRad: Double { jointRadPerUnit ?? Self.defaultJointRadPerUnit }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        arm = try c.required(.arm)
        kind = try c.required(.kind)
        translationMPerUnit = try c.optional(.translationMPerUnit)
        rotationRadPerUnit = try c.optional(.rotationRadPerUnit)
        jointRadPerUnit = try c.optional(.jointRadPerUnit)
        gripper = try c.value(.gripper, default: gripper)
    }

    /// Width of this segment for an arm with `jointCount` joints.
    public func dimension(jointCount: Int, hasGripper: Bool) -> Int {
        (kind == .eeDelta ? 6 : jointCount) + (hasGripper ? 1 : 0)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        switch kind {
        case .eeDelta:
            v.check(jointRadPerUnit == nil, path["joint_rad_per_unit"], "only valid for kind joint_position")
            v.range(translationScaleM, .leftOpen(0, 0.5), path["translation_m_per_unit"], unit: "m")
            v.range(rotationScaleRad, .leftOpen(0, .pi), path["rotation_rad_per_unit"], unit: "rad")
        case .jointPosition:
            v.check(translationMPerUnit == nil, path["translation_m_per_unit"], "only valid for kind ee_delta")
            v.check(rotationRadPerUnit == nil, path["rotation_rad_per_unit"], "only valid for kind ee_delta")
            v.range(jointScaleRad, .leftOpen(0, .pi), path["joint_rad_per_unit"], unit: "rad")
        }
        gripper.validate(at: path["gripper"], into: &v)
    }
}

public struct GripperActionConfig: Codable, Sendable, Equatable {
    /// How the policy's gripper value is oriented. Default `zero_open_one_closed` (openpi).
    public var convention = GripperConvention.zeroOpenOneClosed
    /// When set, the gripper command is snapped to fully open/closed at this normalised value
    /// (openpi's DROID client binarises at 0.5). Absent = continuous.
    public var binarizeThreshold: Double?

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        convention = try c.value(.convention, default: convention)
        binarizeThreshold = try c.optional(.binarizeThreshold)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        if let binarizeThreshold { v.range(binarizeThreshold, .open(0, 1), path["binarize_threshold"]) }
    }
}
