/// A Franka driven through an unmodified deoxys NUC (`reference/deoxys-wire.md`).
///
/// `pld run` binds the two command PUBs on `pc_bind_address` and connects conflated SUBs to
/// the NUC's two state PUBs on `nuc_host`. The NUC's own YAML must point its `PC.IP` at this
/// machine and use the same four ports.
public struct FrankaDeoxysConfig: Codable, Sendable, Equatable {
    /// Host name or IP of the NUC running franka-interface (deoxys example: 172.16.0.3).
    public var nucHost: String
    /// Interface our command PUBs bind to: an IP of this PC, or `*` for all (default).
    public var pcBindAddress = "*"
    public var ports = FrankaPorts()
    /// The NUC's `CONTROL.POLICY_RATE`, Hz: it polls for a command this often, interpolates
    /// each goal over `traj_interpolator_time_fraction / policy_rate_hz`, and terminates after
    /// 20 empty polls (1 s at 20 Hz). Default 20.
    public var policyRateHz: Double = 20
    public var controller = FrankaController.oscPose
    /// Fraction of the NUC poll period over which each goal is interpolated. Must be > 0.1:
    /// the NUC replaces anything ≤ 0.1 with 0.1. deoxys default 0.3.
    public var trajInterpolatorTimeFraction = 0.3
    public var osc = OSCConfig()
    public var stateEstimator = StateEstimatorConfig()
    public var jointImpedance = JointImpedanceConfig()
    public var gripper = FrankaGripperConfig()

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nucHost = try c.required(.nucHost)
        pcBindAddress = try c.value(.pcBindAddress, default: pcBindAddress)
        ports = try c.value(.ports, default: ports)
        policyRateHz = try c.value(.policyRateHz, default: policyRateHz)
        controller = try c.value(.controller, default: controller)
        trajInterpolatorTimeFraction = try c.value(.trajInterpolatorTimeFraction, default: trajInterpolatorTimeFraction)
        osc = try c.value(.osc, default: osc)
        stateEstimator = try c.value(.stateEstimator, default: stateEstimator)
        jointImpedance = try c.value(.jointImpedance, default: jointImpedance)
        gripper = try c.value(.gripper, default: gripper)
    }

    /// The endpoints `pld run` uses, derived from hosts and ports.
    public var armCommandBind: Endpoint { .tcp(host: pcBindAddress, port: ports.armCommand) }
    public var gripperCommandBind: Endpoint { .tcp(host: pcBindAddress, port: ports.gripperCommand) }
    public var armStateConnect: Endpoint { .tcp(host: nucHost, port: ports.armState) }
    public var gripperStateConnect: Endpoint { .tcp(host: nucHost, port: ports.gripperState) }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.check(Self.isHost(nucHost) && nucHost != "*", path["nuc_host"], "expected a host name or IP address, found \(ScalarText.quoted(nucHost))")
        v.check(pcBindAddress == "*" || Self.isHost(pcBindAddress), path["pc_bind_address"], "expected an IP address of this PC or *, found \(ScalarText.quoted(pcBindAddress))")
        ports.validate(at: path["ports"], into: &v)
        v.range(policyRateHz, .leftOpen(0, 1000), path["policy_rate_hz"], unit: "Hz")
        if trajInterpolatorTimeFraction <= 0.1 {
            v.fail(path["traj_interpolator_time_fraction"], "must be greater than 0.1 (the NUC replaces values <= 0.1 with 0.1), found \(formatConfigNumber(trajInterpolatorTimeFraction))")
        } else {
            v.range(trajInterpolatorTimeFraction, .leftOpen(0.1, 1), path["traj_interpolator_time_fraction"])
        }
        osc.validate(at: path["osc"], into: &v)
        stateEstimator.validate(at: path["state_estimator"], into: &v)
        jointImpedance.validate(at: path["joint_impedance"], into: &v)
        gripper.validate(at: path["gripper"], into: &v)
    }

    static func isHost(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253 && !text.contains(where: { $0.isWhitespace || $0 == "/" || $0 == ":" && !text.hasPrefix("[") })
    }
}

/// deoxys ports (`NUC.SUB_PORT`, `NUC.PUB_PORT`, `NUC.GRIPPER_SUB_PORT`, `NUC.GRIPPER_PUB_PORT`).
public struct FrankaPorts: Codable, Sendable, Equatable {
    /// `FrankaControlMessage`, PC PUB (binds) → NUC arm node. Default 5555.
    public var armCommand = 5555
    /// `FrankaRobotStateMessage`, NUC PUB at 100 Hz → PC SUB. Default 5556.
    public var armState = 5556
    /// `FrankaGripperControlMessage`, PC PUB (binds) → NUC gripper node. Default 5557.
    public var gripperCommand = 5557
    /// `FrankaGripperStateMessage`, NUC PUB at 40 Hz → PC SUB. Default 5558.
    public var gripperState = 5558

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        armCommand = try c.value(.armCommand, default: armCommand)
        armState = try c.value(.armState, default: armState)
        gripperCommand = try c.value(.gripperCommand, default: gripperCommand)
        gripperState = try c.value(.gripperState, default: gripperState)
    }

    public var all: [(key: String, port: Int)] {
        [("arm_command", armCommand), ("arm_state", armState), ("gripper_command", gripperCommand), ("gripper_state", gripperState)]
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        var seen: [Int: String] = [:]
        for (key, port) in all {
            v.range(port, .closed(1, 65535), path[key])
            if let other = seen[port] {
                v.fail(path[key], "port \(port) is also used by \(other); the four deoxys links need four ports")
            }
            seen[port] = key
        }
    }
}

/// The deoxys controller `pld run` sends. It decides which action segment kinds fit:
/// `osc_*` take `ee_delta` actions, `joint_*` take `joint_position` actions.
public enum FrankaController: String, ConfigEnum {
    case oscPose = "osc_pose"
    case oscPosition = "osc_position"
    case jointPosition = "joint_position"
    case jointImpedance = "joint_impedance"

    public var isOperationalSpace: Bool { self == .oscPose || self == .oscPosition }
}

/// OSC gains (deoxys `osc-pose-controller.yml`). deoxys does not length-check these arrays, so
/// exactly 3 + 3 + 7 values are required. Kd = 2·√Kp is computed on the NUC.
public struct OSCConfig: Codable, Sendable, Equatable {
    /// Translational stiffness Kp (x, y, z), N/m. deoxys default 150 each.
    public var translationalStiffness: [Double] = [150, 150, 150]
    /// Rotational stiffness Kp (x, y, z), N·m/rad. deoxys default 250 each.
    public var rotationalStiffness: [Double] = [250, 250, 250]
    /// Per-joint residual mass added to the mass matrix diagonal, kg·m². deoxys YAML value.
    public var residualMass: [Double] = [0, 0, 0, 0, 0.1, 0.5, 0.5]

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        translationalStiffness = try c.value(.translationalStiffness, default: translationalStiffness)
        rotationalStiffness = try c.value(.rotationalStiffness, default: rotationalStiffness)
        residualMass = try c.value(.residualMass, default: residualMass)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.count(translationalStiffness, 3, path["translational_stiffness"], "x, y, z")
        v.count(rotationalStiffness, 3, path["rotational_stiffness"], "x, y, z")
        v.count(residualMass, 7, path["residual_mass"], "one per joint")
        v.range(translationalStiffness, .leftOpen(0, 3000), path["translational_stiffness"], unit: "N/m")
        v.range(rotationalStiffness, .leftOpen(0, 300), path["rotational_stiffness"], unit: "N·m/rad")
        v.range(residualMass, .closed(0, 5), path["residual_mass"])
    }
}

/// deoxys exponential-smoothing state estimator (the only type the Python client sends).
public struct StateEstimatorConfig: Codable, Sendable, Equatable {
    /// `is_estimation`: smooth the state on the NUC. deoxys osc-pose default false.
    public var enabled = false
    /// Smoothing factors in [0, 1] (1 = no smoothing). deoxys defaults 0.9, 0.9, 1.0.
    public var alphaQ = 0.9
    public var alphaDq = 0.9
    public var alphaEef = 1.0

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.value(.enabled, default: enabled)
        alphaQ = try c.value(.alphaQ, default: alphaQ)
        alphaDq = try c.value(.alphaDq, default: alphaDq)
        alphaEef = try c.value(.alphaEef, default: alphaEef)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(alphaQ, .closed(0, 1), path["alpha_q"])
        v.range(alphaDq, .closed(0, 1), path["alpha_dq"])
        v.range(alphaEef, .closed(0, 1), path["alpha_eef"])
    }
}

/// Joint-impedance gains sent with `joint_impedance` (deoxys Python client values).
public struct JointImpedanceConfig: Codable, Sendable, Equatable {
    /// Stiffness per joint, N·m/rad.
    public var kp: [Double] = [100, 100, 100, 100, 75, 150, 50]
    /// Damping per joint, N·m·s/rad.
    public var kd: [Double] = [20, 20, 20, 20, 7.5, 15, 5]

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kp = try c.value(.kp, default: kp)
        kd = try c.value(.kd, default: kd)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.count(kp, 7, path["kp"], "one per joint")
        v.count(kd, 7, path["kd"], "one per joint")
        v.range(kp, .closed(0, 3000), path["kp"])
        v.range(kd, .closed(0, 200), path["kd"])
    }
}

/// How the normalised gripper command (0 open … 1 closed) becomes deoxys gripper messages:
/// below `close_threshold` → `Move(width = open_width_m·(1 − g), move_speed)`; at or above →
/// `Grasp(grasp_width_m, grasp_speed, grasp_force, epsilons)`. Numbers are deoxys' own.
public struct FrankaGripperConfig: Codable, Sendable, Equatable {
    /// Fully open width, m. Franka Hand maximum 0.08.
    public var openWidthM = 0.08
    public var moveSpeedMPerS = 0.1
    /// Grasp target width, m. deoxys sends −0.01 ("close fully"); the epsilons make any
    /// stopping width count as a successful grasp.
    public var graspWidthM = -0.01
    public var graspSpeedMPerS = 0.5
    public var graspForceN = 30.0
    public var epsilonInnerM = 0.08
    public var epsilonOuterM = 0.08
    /// Normalised command at or above which the gripper grasps.
    public var closeThreshold = 0.5

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        openWidthM = try c.value(.openWidthM, default: openWidthM)
        moveSpeedMPerS = try c.value(.moveSpeedMPerS, default: moveSpeedMPerS)
        graspWidthM = try c.value(.graspWidthM, default: graspWidthM)
        graspSpeedMPerS = try c.value(.graspSpeedMPerS, default: graspSpeedMPerS)
        graspForceN = try c.value(.graspForceN, default: graspForceN)
        epsilonInnerM = try c.value(.epsilonInnerM, default: epsilonInnerM)
        epsilonOuterM = try c.value(.epsilonOuterM, default: epsilonOuterM)
        closeThreshold = try c.value(.closeThreshold, default: closeThreshold)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(openWidthM, .leftOpen(0, 0.08), path["open_width_m"], unit: "m")
        v.range(moveSpeedMPerS, .leftOpen(0, 1), path["move_speed_m_per_s"], unit: "m/s")
        v.range(graspWidthM, .closed(-0.08, 0.08), path["grasp_width_m"], unit: "m")
        v.range(graspSpeedMPerS, .leftOpen(0, 1), path["grasp_speed_m_per_s"], unit: "m/s")
        v.range(graspForceN, .leftOpen(0, 140), path["grasp_force_n"], unit: "N")
        v.range(epsilonInnerM, .closed(0, 0.1), path["epsilon_inner_m"], unit: "m")
        v.range(epsilonOuterM, .closed(0, 0.1), path["epsilon_outer_m"], unit: "m")
        v.range(closeThreshold, .open(0, 1), path["close_threshold"])
    }
}
