/// An arm behind a PLD-arm-protocol driver node (`Sources/Wire/proto/pld_arm.proto`): the
/// YAM driver in `Tools/`, the simulated YAM in `pld sim`, or any other arm.
///
/// Links: the driver's state PUB (we connect a conflated SUB), our command PUB (we bind; the
/// driver connects), and the driver's control REP (we connect a REQ for hello, limits,
/// move-to-joints, gripper calibration, clear-errors, gains).
public struct PLDArmConfig: Codable, Sendable, Equatable {
    /// Driver state PUB; `pld run` connects.
    public var stateEndpoint: Endpoint
    /// Our command PUB; `pld run` binds (`tcp://*:port` allowed).
    public var commandEndpoint: Endpoint
    /// Driver control REP; `pld run` connects.
    public var controlEndpoint: Endpoint
    /// Joint names the driver must report in its HelloReply, in order. Their count is the
    /// arm's joint count.
    public var jointNames: [String]
    /// The driver holds position when no command arrives for this long, s. `pld run` refuses a
    /// driver whose HelloReply states a longer timeout. Default 0.1.
    public var commandTimeoutS = 0.1
    /// Assumed motor watchdog, s: motors damp after this long without a CAN frame. YAM sources
    /// disagree (200 ms vs 400 ms); assume the shorter. Must exceed `command_timeout_s`.
    public var motorTimeoutS = 0.2
    /// Deadline for one control request (hello, clear-errors, gains), s.
    public var requestTimeoutS = 2.0
    /// PD gains sent with SetGains after hello; absent = keep the driver's own.
    public var gains: JointGainsConfig?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stateEndpoint = try c.required(.stateEndpoint)
        commandEndpoint = try c.required(.commandEndpoint)
        controlEndpoint = try c.required(.controlEndpoint)
        jointNames = try c.required(.jointNames)
        commandTimeoutS = try c.value(.commandTimeoutS, default: commandTimeoutS)
        motorTimeoutS = try c.value(.motorTimeoutS, default: motorTimeoutS)
        requestTimeoutS = try c.value(.requestTimeoutS, default: requestTimeoutS)
        gains = try c.optional(.gains)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.check(!stateEndpoint.isWildcard, path["state_endpoint"], "`*` can only be bound; give the driver's host")
        v.check(!controlEndpoint.isWildcard, path["control_endpoint"], "`*` can only be bound; give the driver's host")
        let endpoints = [("state_endpoint", stateEndpoint), ("command_endpoint", commandEndpoint), ("control_endpoint", controlEndpoint)]
        for (index, (key, endpoint)) in endpoints.enumerated() {
            for (otherKey, other) in endpoints[..<index] where other == endpoint {
                v.fail(path[key], "same endpoint as \(otherKey); each link needs its own")
            }
        }
        v.check(!jointNames.isEmpty, path["joint_names"], "must list at least one joint")
        v.check(jointNames.count <= 32, path["joint_names"], "at most 32 joints")
        for (index, name) in jointNames.enumerated() where name.isEmpty {
            v.fail(path["joint_names"][index], "joint names must not be empty")
        }
        if Set(jointNames).count != jointNames.count {
            v.fail(path["joint_names"], "joint names must be unique")
        }
        v.range(commandTimeoutS, .leftOpen(0, 5), path["command_timeout_s"], unit: "s")
        v.range(motorTimeoutS, .leftOpen(0, 5), path["motor_timeout_s"], unit: "s")
        if motorTimeoutS > 0, commandTimeoutS >= motorTimeoutS {
            v.fail(path["command_timeout_s"], "must be shorter than motor_timeout_s (\(formatConfigNumber(motorTimeoutS)) s): the driver must hold before the motors damp")
        }
        v.range(requestTimeoutS, .leftOpen(0, 60), path["request_timeout_s"], unit: "s")
    }
}

/// Per-joint PD gains for a PLD-arm driver (MIT-mode motors on YAM).
public struct JointGainsConfig: Codable, Sendable, Equatable {
    /// Stiffness per joint (YAM: N·m/rad; Damiao encodes 0…500).
    public var kp: [Double]
    /// Damping per joint (YAM: N·m·s/rad; Damiao encodes 0…5).
    public var kd: [Double]
    /// Gripper motor gains; absent = driver default.
    public var gripperKp: Double?
    public var gripperKd: Double?

    func validate(at path: ConfigPath, jointCount: Int, into v: inout ConfigValidator) {
        v.count(kp, jointCount, path["kp"], "one per joint")
        v.count(kd, jointCount, path["kd"], "one per joint")
        v.range(kp, .closed(0, 500), path["kp"])
        v.range(kd, .closed(0, 5), path["kd"])
        if let gripperKp { v.range(gripperKp, .closed(0, 500), path["gripper_kp"]) }
        if let gripperKd { v.range(gripperKd, .closed(0, 5), path["gripper_kd"]) }
    }
}
