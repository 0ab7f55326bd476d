/// The safety chain's numbers, applied every tick in this order (DESIGN.md §3,
/// method-and-safety.md §8.4): reject non-finite → action box → per-step delta cap →
/// workspace box → joint limits → velocity/acceleration limits. These layers sit above the
/// vendor's own (Franka reflexes at deoxys' permissive thresholds, YAM motor timeouts) and the
/// hardware e-stop, which stays the real emergency stop.
public struct SafetyConfig: Codable, Sendable, Equatable {
    public var actionBox = ActionBoxConfig()
    public var maxStep = StepCapConfig()
    /// Cartesian boxes for the end-effector target, one per arm, base frame. Required for every
    /// arm with `ee_delta` actions.
    public var workspaces: [WorkspaceBox] = []
    public var jointLimits = JointLimitPolicy()
    /// Fraction of each arm's `joint_limits.velocity_rad_per_s` the chain allows. Default 0.5.
    public var jointVelocityFraction = 0.5
    /// Fraction of each arm's `joint_limits.acceleration_rad_per_s2`. Default 0.5.
    public var jointAccelerationFraction = 0.5
    /// What a NaN/Inf in the composed action does. Default `hold`.
    public var nanPolicy = NonFiniteActionPolicy.hold
    /// Events that latch the e-stop (motion resumes only after `pld reset`).
    public var fatalEvents: [SafetyEventKind] = [.driverFault, .stateStale]

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        actionBox = try c.value(.actionBox, default: actionBox)
        maxStep = try c.value(.maxStep, default: maxStep)
        workspaces = try c.value(.workspaces, default: workspaces)
        jointLimits = try c.value(.jointLimits, default: jointLimits)
        jointVelocityFraction = try c.value(.jointVelocityFraction, default: jointVelocityFraction)
        jointAccelerationFraction = try c.value(.jointAccelerationFraction, default: jointAccelerationFraction)
        nanPolicy = try c.value(.nanPolicy, default: nanPolicy)
        fatalEvents = try c.value(.fatalEvents, default: fatalEvents)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        actionBox.validate(at: path["action_box"], into: &v)
        maxStep.validate(at: path["max_step"], into: &v)
        for (index, box) in workspaces.enumerated() {
            box.validate(at: path["workspaces"][index], into: &v)
        }
        jointLimits.validate(at: path["joint_limits"], into: &v)
        v.range(jointVelocityFraction, .leftOpen(0, 1), path["joint_velocity_fraction"])
        v.range(jointAccelerationFraction, .leftOpen(0, 1), path["joint_acceleration_fraction"])
        if Set(fatalEvents).count != fatalEvents.count {
            v.fail(path["fatal_events"], "lists an event more than once")
        }
    }
}

/// Clamp of the composed normalised action, per element.
public struct ActionBoxConfig: Codable, Sendable, Equatable {
    /// In [−1, 0). Default −1.
    public var low = -1.0
    /// In (0, 1]. Default 1.
    public var high = 1.0

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        low = try c.value(.low, default: low)
        high = try c.value(.high, default: high)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(low, .rightOpen(-1, 0), path["low"])
        v.range(high, .leftOpen(0, 1), path["high"])
    }
}

/// Largest change of the physical command in one tick (after scaling).
public struct StepCapConfig: Codable, Sendable, Equatable {
    /// End-effector translation per tick, m. Default 0.01 (0.2 m/s at 20 Hz).
    public var translationM = 0.01
    /// End-effector rotation per tick, rad. Default 0.05.
    public var rotationRad = 0.05
    /// Any joint per tick, rad. Default 0.05.
    public var jointRad = 0.05

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        translationM = try c.value(.translationM, default: translationM)
        rotationRad = try c.value(.rotationRad, default: rotationRad)
        jointRad = try c.value(.jointRad, default: jointRad)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(translationM, .leftOpen(0, 0.1), path["translation_m"], unit: "m")
        v.range(rotationRad, .leftOpen(0, 0.5), path["rotation_rad"], unit: "rad")
        v.range(jointRad, .leftOpen(0, 0.5), path["joint_rad"], unit: "rad")
    }
}

/// An axis-aligned box in an arm's base frame that the end-effector target must stay in.
public struct WorkspaceBox: Codable, Sendable, Equatable {
    public var arm: String
    /// x, y, z lower corner, m.
    public var minM: [Double]
    /// x, y, z upper corner, m.
    public var maxM: [Double]

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        let minOK = v.count(minM, 3, path["min_m"], "x, y, z")
        let maxOK = v.count(maxM, 3, path["max_m"], "x, y, z")
        v.range(minM, .closed(-3, 3), path["min_m"], unit: "m")
        v.range(maxM, .closed(-3, 3), path["max_m"], unit: "m")
        if minOK && maxOK {
            v.ordered(low: minM, high: maxM, path["min_m"], path["max_m"], "min_m", "max_m")
        }
    }
}

public enum JointLimitSource: String, ConfigEnum {
    /// The arm's `joint_limits` in this file.
    case config
    /// The limits the driver reports in its hello reply (PLD arms only).
    case driver
    /// Whichever bound is tighter, per joint (default).
    case tightest
}

public struct JointLimitPolicy: Codable, Sendable, Equatable {
    public var source = JointLimitSource.tightest
    /// Distance kept inside each position limit, rad. DROID uses 0.3; default 0.05.
    public var marginRad = 0.05

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.value(.source, default: source)
        marginRad = try c.value(.marginRad, default: marginRad)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(marginRad, .rightOpen(0, 0.5), path["margin_rad"], unit: "rad")
    }
}

public enum NonFiniteActionPolicy: String, ConfigEnum {
    /// Drop the action, hold the current position, count the event.
    case hold
    /// Drop the action and latch the e-stop.
    case estop
}

/// Events the safety chain and the links count; any of them may be declared fatal.
public enum SafetyEventKind: String, ConfigEnum {
    case nonFiniteAction = "non_finite_action"
    case actionClamped = "action_clamped"
    case stepCapped = "step_capped"
    case workspaceClamped = "workspace_clamped"
    case jointLimitClamped = "joint_limit_clamped"
    case velocityLimited = "velocity_limited"
    case accelerationLimited = "acceleration_limited"
    case stateStale = "state_stale"
    case cameraStale = "camera_stale"
    case featureStale = "feature_stale"
    case policyStall = "policy_stall"
    case driverFault = "driver_fault"
    case deadlineMiss = "deadline_miss"
}
