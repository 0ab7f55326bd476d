/// The automatic reset run between episodes and by `pld reset`: open grippers, then move every
/// arm to its home pose in joint space at a bounded speed — but only when every gate holds.
public struct ResetConfig: Codable, Sendable, Equatable {
    /// One home pose per arm. Required.
    public var home: [HomePose]
    /// Joint speed of the reset motion, rad/s. Default 0.5.
    public var maxJointSpeedRadPerS = 0.5
    /// Open grippers before moving. Default true.
    public var openGripperFirst = true
    /// The reset is done when every joint is within this of home, rad. deoxys uses 1e-3;
    /// default 0.02.
    public var toleranceRad = 0.02
    /// The reset fails (and the run faults) after this long, s. Default 30.
    public var timeoutS = 30.0
    /// Reset between episodes without an operator. Default true.
    public var betweenEpisodes = true
    /// Conditions that must hold before moving; otherwise the reset is refused and the run
    /// waits for an operator.
    public var gates: [GateCondition] = []

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        home = try c.required(.home)
        maxJointSpeedRadPerS = try c.value(.maxJointSpeedRadPerS, default: maxJointSpeedRadPerS)
        openGripperFirst = try c.value(.openGripperFirst, default: openGripperFirst)
        toleranceRad = try c.value(.toleranceRad, default: toleranceRad)
        timeoutS = try c.value(.timeoutS, default: timeoutS)
        betweenEpisodes = try c.value(.betweenEpisodes, default: betweenEpisodes)
        gates = try c.value(.gates, default: gates)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(maxJointSpeedRadPerS, .leftOpen(0, 2), path["max_joint_speed_rad_per_s"], unit: "rad/s")
        v.range(toleranceRad, .leftOpen(0, 0.5), path["tolerance_rad"], unit: "rad")
        v.range(timeoutS, .leftOpen(0, 600), path["timeout_s"], unit: "s")
        for (index, pose) in home.enumerated() {
            if let gripper = pose.gripper { v.range(gripper, .closed(0, 1), path["home"][index]["gripper"]) }
        }
        for (index, gate) in gates.enumerated() {
            gate.validate(at: path["gates"][index], into: &v)
        }
    }
}

public struct HomePose: Codable, Sendable, Equatable {
    public var arm: String
    /// One per joint, rad.
    public var jointsRad: [Double]
    /// Normalised gripper at home, 0 open … 1 closed. Default 0 (open).
    public var gripper: Double?
}
