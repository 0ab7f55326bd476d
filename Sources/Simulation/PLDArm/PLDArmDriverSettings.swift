import PLDCore

/// Everything a simulated PLD arm driver needs beyond its plant: the links of one arm from a
/// ``PLDArmConfig``, what it advertises in its HelloReply, and its timing.
///
/// The advertised joint names and limits are separate from the link config on purpose, so a
/// test can stand up a driver that disagrees with a runtime's robot config.
public struct PLDArmDriverSettings: Sendable {
    /// The arm's name (HelloReply and ArmState `arm_name`; matches `kill-driver:ARM`).
    public var armName: String
    /// Endpoints and timeouts: the driver binds `state_endpoint` and `control_endpoint`, and
    /// connects to the runtime's `command_endpoint` (`*` → 127.0.0.1). `command_timeout_s`
    /// and `motor_timeout_s` are advertised and obeyed.
    public var link: PLDArmConfig
    /// Joint names advertised in the HelloReply (default: the link's `joint_names`).
    public var jointNames: [String]
    /// Joint limits advertised in the HelloReply, one per joint; MoveToJoints targets must lie
    /// within them, and tracking targets are clipped to them widened by
    /// ``commandClipMarginRad`` (as i2rt clips).
    public var jointLimits: [DriverJointLimit]
    /// The gripper, or nil for an arm without one.
    public var gripper: DriverGripperLimits? = DriverGripperLimits()
    /// ArmState publishing rate, Hz (sim); also the rate of the driver loop.
    public var stateRateHz = 100.0
    /// How long the driver holds after `command_timeout_s` before the motors' watchdog puts
    /// them into damping (DAMPING, needs ClearErrors), s (sim): it stands for the time the
    /// driver keeps refreshing its hold plus the motor timeout.
    public var holdTimeoutSeconds = 1.0
    /// A killed driver comes back after this long, s (sim).
    public var restartDelaySeconds = 1.0
    /// i2rt widens the model's limits by this much when clipping joint commands, rad.
    public var commandClipMarginRad = 0.15
    /// PD gains used for tracking and holding until a SetGains request replaces them.
    public var kp: [Double]
    public var kd: [Double]
    /// `driver_version` in the HelloReply.
    public var driverVersion = "sim 1"
    /// Injected faults (only those for this arm, or for every device, apply).
    public var faults: [SimFault] = []
    public var log: SimLog = .standardError

    /// Settings for the arm called `armName` on `link`, advertising `jointLimits` and (by
    /// default) the link's joint names. Gains default to the link's `gains`, else i2rt's YAM
    /// gains for a 6-joint arm (kp 80/10, kd 5/1.5), else kp 50, kd 2.
    public init(armName: String, link: PLDArmConfig, jointLimits: [DriverJointLimit], jointNames: [String]? = nil) {
        self.armName = armName
        self.link = link
        self.jointLimits = jointLimits
        self.jointNames = jointNames ?? link.jointNames
        let count = self.jointNames.count
        if let gains = link.gains, gains.kp.count == count, gains.kd.count == count {
            kp = gains.kp
            kd = gains.kd
        } else if count == 6 {
            kp = [80, 80, 80, 10, 10, 10]
            kd = [5, 5, 5, 1.5, 1.5, 1.5]
        } else {
            kp = [Double](repeating: 50, count: count)
            kd = [Double](repeating: 2, count: count)
        }
    }

    /// Settings from a robot config's arm entry (kind `pld_arm`): its links, joint names and
    /// hardware limits, with `maxEffortNm` per joint (default YAM: DM4340 28 N·m for joints 1–3,
    /// DM4310 10 N·m after). Nil when the arm is not a `pld_arm`.
    public init?(arm: ArmConfig, maxEffortNm: [Double]? = nil) {
        guard let link = arm.pldArm else { return nil }
        let limits = arm.jointLimits
        let efforts = maxEffortNm ?? link.jointNames.indices.map { $0 < 3 ? 28 : 10 }
        let jointLimits = link.jointNames.indices.map { index in
            DriverJointLimit(
                lowerRad: limits.lowerRad[safe: index] ?? -.pi, upperRad: limits.upperRad[safe: index] ?? .pi,
                maxVelocityRadPerS: limits.velocityRadPerS[safe: index] ?? 1, maxEffortNm: efforts[safe: index] ?? 10)
        }
        self.init(armName: arm.name, link: link, jointLimits: jointLimits)
        if !arm.hasGripper { gripper = nil }
    }

    var jointCount: Int { jointNames.count }
}

/// One joint's limits as a driver advertises them (HelloReply `JointLimit`).
public struct DriverJointLimit: Sendable, Equatable {
    public var lowerRad: Double
    public var upperRad: Double
    public var maxVelocityRadPerS: Double
    public var maxEffortNm: Double

    public init(lowerRad: Double, upperRad: Double, maxVelocityRadPerS: Double, maxEffortNm: Double) {
        self.lowerRad = lowerRad
        self.upperRad = upperRad
        self.maxVelocityRadPerS = maxVelocityRadPerS
        self.maxEffortNm = maxEffortNm
    }
}

/// The gripper as a driver advertises it (HelloReply `GripperLimits`). Defaults: i2rt
/// `linear_4310` (0.096 m stroke).
public struct DriverGripperLimits: Sendable, Equatable {
    /// Full opening, m.
    public var strokeMeters = 0.096
    /// Normalised units per second; also the speed when a request leaves it 0.
    public var maxSpeedPerSecond = 2.0
    /// Driver units (N·m at the motor); also the effort when a request leaves it 0.
    public var maxEffort = 5.0

    public init() {}

    public init(strokeMeters: Double, maxSpeedPerSecond: Double, maxEffort: Double) {
        self.strokeMeters = strokeMeters
        self.maxSpeedPerSecond = maxSpeedPerSecond
        self.maxEffort = maxEffort
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
