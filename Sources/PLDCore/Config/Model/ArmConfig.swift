/// How `pld run` talks to an arm.
public enum ArmKind: String, ConfigEnum {
    /// A Franka behind an unmodified deoxys `franka-interface` NUC (four ZeroMQ PUB/SUB links).
    case frankaDeoxys = "franka_deoxys"
    /// Any arm served by a driver node speaking the PLD arm protocol (YAM via i2rt, `pld sim`).
    case pldArm = "pld_arm"
}

/// One arm: identity, link settings, hardware joint limits and where its calibration lives.
public struct ArmConfig: Codable, Sendable, Equatable {
    /// Unique lowercase name; used in references (`arm.left.joint_position`), sockets, logs.
    public var name: String
    public var kind: ArmKind
    /// Which calibration entry applies to this arm. Optional: without it the arm runs with
    /// zero joint offsets and an identity base pose.
    public var calibration: CalibrationReference?
    /// A state older than this is stale: the safety chain holds and counts `state_stale`, s.
    public var stateTimeoutS = 0.1
    /// Whether a gripper is attached (adds one action and one state value).
    public var hasGripper = true
    /// Hardware joint limits, one value per joint. Required: safety numbers are stated, not
    /// assumed.
    public var jointLimits: JointLimitsConfig
    /// Required when `kind` is `franka_deoxys`, refused otherwise.
    public var franka: FrankaDeoxysConfig?
    /// Required when `kind` is `pld_arm`, refused otherwise.
    public var pldArm: PLDArmConfig?

    /// Number of arm joints (the gripper not included): 7 for a Franka, the length of
    /// `pld_arm.joint_names` otherwise.
    public var jointCount: Int {
        switch kind {
        case .frankaDeoxys: return 7
        case .pldArm: return pldArm?.jointNames.count ?? 0
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.required(.name)
        kind = try c.required(.kind)
        calibration = try c.optional(.calibration)
        jointLimits = try c.required(.jointLimits)
        franka = try c.optional(.franka)
        pldArm = try c.optional(.pldArm)
        stateTimeoutS = try c.value(.stateTimeoutS, default: stateTimeoutS)
        hasGripper = try c.value(.hasGripper, default: hasGripper)
        switch kind {
        case .frankaDeoxys where franka == nil:
            throw DecodingError.keyNotFound(CodingKeys.franka, .init(codingPath: decoder.codingPath, debugDescription: "kind franka_deoxys needs a franka section"))
        case .pldArm where pldArm == nil:
            throw DecodingError.keyNotFound(CodingKeys.pldArm, .init(codingPath: decoder.codingPath, debugDescription: "kind pld_arm needs a pld_arm section"))
        default:
            break
        }
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.name(name, path["name"])
        v.range(stateTimeoutS, .leftOpen(0, 10), path["state_timeout_s"], unit: "s")
        switch kind {
        case .frankaDeoxys:
            v.check(pldArm == nil, path["pld_arm"], "a pld_arm section is only valid for kind pld_arm (this arm is franka_deoxys)")
            franka?.validate(at: path["franka"], into: &v)
        case .pldArm:
            v.check(franka == nil, path["franka"], "a franka section is only valid for kind franka_deoxys (this arm is pld_arm)")
            pldArm?.validate(at: path["pld_arm"], into: &v)
        }
        if let calibration {
            v.check(!calibration.file.isEmpty, path["calibration"]["file"], "must name a calibration file")
            if let arm = calibration.arm { v.name(arm, path["calibration"]["arm"]) }
        }
        jointLimits.validate(at: path["joint_limits"], jointCount: jointCount, into: &v)
        if let pldArm, let gains = pldArm.gains {
            gains.validate(at: path["pld_arm"]["gains"], jointCount: jointCount, into: &v)
        }
    }
}

/// Points an arm at its entry in a calibration file.
public struct CalibrationReference: Codable, Sendable, Equatable {
    /// Calibration YAML, relative to the directory of the robot config
    /// (`../Calibration/franka_real.yaml`) or absolute.
    public var file: String
    /// Entry name in that file's `arms` list; defaults to the arm's own name.
    public var arm: String?
}

/// Hardware joint limits of one arm, one value per joint. The safety chain applies
/// `safety.joint_limits.margin_rad` inside the position limits and
/// `safety.joint_velocity_fraction` / `joint_acceleration_fraction` to the rate limits.
public struct JointLimitsConfig: Codable, Sendable, Equatable {
    public var lowerRad: [Double]
    public var upperRad: [Double]
    public var velocityRadPerS: [Double]
    public var accelerationRadPerS2: [Double]

    func validate(at path: ConfigPath, jointCount: Int, into v: inout ConfigValidator) {
        // Without joints (an empty joint_names list, reported there) lengths cannot be checked.
        guard jointCount > 0 else { return }
        let lowerOK = v.count(lowerRad, jointCount, path["lower_rad"], "one per joint")
        let upperOK = v.count(upperRad, jointCount, path["upper_rad"], "one per joint")
        v.count(velocityRadPerS, jointCount, path["velocity_rad_per_s"], "one per joint")
        v.count(accelerationRadPerS2, jointCount, path["acceleration_rad_per_s2"], "one per joint")
        v.range(lowerRad, .closed(-2 * .pi, 2 * .pi), path["lower_rad"], unit: "rad")
        v.range(upperRad, .closed(-2 * .pi, 2 * .pi), path["upper_rad"], unit: "rad")
        if lowerOK && upperOK {
            v.ordered(low: lowerRad, high: upperRad, path["lower_rad"], path["upper_rad"], "lower_rad", "upper_rad")
        }
        v.range(velocityRadPerS, .leftOpen(0, 20), path["velocity_rad_per_s"], unit: "rad/s")
        v.range(accelerationRadPerS2, .leftOpen(0, 200), path["acceleration_rad_per_s2"], unit: "rad/s²")
    }

    /// True when `q` lies within the limits (with `margin` inside each bound).
    public func contains(_ q: [Double], marginRad margin: Double = 0) -> Bool {
        guard q.count == lowerRad.count, q.count == upperRad.count else { return false }
        return q.indices.allSatisfy { q[$0] >= lowerRad[$0] + margin && q[$0] <= upperRad[$0] - margin }
    }
}
