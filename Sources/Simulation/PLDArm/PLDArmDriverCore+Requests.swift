import Wire

/// The control channel (REP): one reply for every request, whatever arrives. Malformed
/// requests get `ok = false` and a one-line error, so the runtime's REQ socket never wedges.
extension PLDArmDriverCore {
    /// Answers one request (all frames of one ZeroMQ message) at sim time `t`.
    mutating func reply(to frames: [[UInt8]], at t: Double, measured: () -> YAMPlantState, unixNanoseconds: Int64)
        -> PLDArmReply
    {
        var reply = PLDArmReply()
        reply.protocolVersion = Self.protocolVersion
        let outcome: Result<PLDArmReply.OneOf_Reply?, RequestError>
        if frames.count != 1 {
            outcome = .failure(RequestError("ArmRequest must be one frame, got \(frames.count)"))
        } else {
            do {
                let request = try PLDArmRequest(wireBytes: frames[0], maxBytes: Self.maxMessageBytes)
                reply.requestID = request.requestID
                outcome = handle(request, at: t, measured: measured, unixNanoseconds: unixNanoseconds)
            } catch {
                outcome = .failure(RequestError(error.description))
            }
        }
        counters.requestsAnswered += 1
        switch outcome {
        case .success(let body):
            reply.ok = true
            reply.reply = body
        case .failure(let error):
            reply.ok = false
            reply.error = error.message
            counters.requestsFailed += 1
            counters.lastRequestError = error.message
        }
        return reply
    }

    struct RequestError: Error {
        let message: String
        init(_ message: String) { self.message = message.replacingNewlines() }
    }

    private mutating func handle(
        _ request: PLDArmRequest, at t: Double, measured: () -> YAMPlantState, unixNanoseconds: Int64
    ) -> Result<PLDArmReply.OneOf_Reply?, RequestError> {
        guard request.protocolVersion == Self.protocolVersion else {
            return .failure(RequestError(
                "ArmRequest protocol_version \(request.protocolVersion); this driver speaks \(Self.protocolVersion)"))
        }
        switch request.request {
        case .none:
            return .failure(RequestError(
                "empty ArmRequest: set one of hello, move_to_joints, gripper, clear_errors, set_gains, ping"))
        case .hello(let hello):
            guard hello.protocolVersion == Self.protocolVersion else {
                return .failure(RequestError(
                    "Hello protocol_version \(hello.protocolVersion); this driver speaks \(Self.protocolVersion)"))
            }
            return .success(.hello(helloReply()))
        case .ping(let ping):
            var pong = PLDPong()
            pong.clientUnixNs = ping.clientUnixNs
            pong.driverUnixNs = unixNanoseconds
            return .success(.pong(pong))
        case .clearErrors_p:
            _ = clearErrors(measured: measured())
            return .success(nil)
        case .setGains(let gains):
            return setGains(gains).map { nil }
        case .gripper(let command):
            return gripper(command).map { nil }
        case .moveToJoints(let move):
            return moveToJoints(move, at: t, measured: measured()).map { nil }
        }
    }

    func helloReply() -> PLDHelloReply {
        var hello = PLDHelloReply()
        hello.protocolVersion = Self.protocolVersion
        hello.armName = settings.armName
        hello.driverName = "pld sim"
        hello.driverVersion = settings.driverVersion
        hello.jointNames = settings.jointNames
        hello.jointLimits = settings.jointLimits.enumerated().map { index, limit in
            var joint = PLDJointLimit()
            joint.name = settings.jointNames[safe: index] ?? ""
            joint.lowerRad = limit.lowerRad
            joint.upperRad = limit.upperRad
            joint.maxVelocityRadPerS = limit.maxVelocityRadPerS
            joint.maxEffortNm = limit.maxEffortNm
            return joint
        }
        var gripper = PLDGripperLimits()
        if let limits = settings.gripper {
            gripper.present = true
            gripper.strokeM = limits.strokeMeters
            gripper.maxSpeedPerS = limits.maxSpeedPerSecond
            gripper.maxEffort = limits.maxEffort
        }
        hello.gripper = gripper
        hello.stateRateHz = settings.stateRateHz
        hello.commandTimeoutS = settings.link.commandTimeoutS
        hello.motorTimeoutS = settings.link.motorTimeoutS
        return hello
    }

    private var faultedReason: String? {
        switch mode {
        case .damping, .error: "driver in \(Self.name(mode)) (\(faultMessage)); send ClearErrors first"
        default: nil
        }
    }

    private mutating func setGains(_ gains: PLDSetGains) -> Result<Void, RequestError> {
        guard gains.kp.count == jointCount, gains.kd.count == jointCount else {
            return .failure(RequestError(
                "SetGains needs \(jointCount) kp and \(jointCount) kd values, got \(gains.kp.count) and \(gains.kd.count)"))
        }
        // The Damiao MIT frame encodes kp in [0, 500] and kd in [0, 5].
        guard gains.kp.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 500 }) else {
            return .failure(RequestError("SetGains kp must lie in [0, 500]"))
        }
        guard gains.kd.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 5 }) else {
            return .failure(RequestError("SetGains kd must lie in [0, 5]"))
        }
        kp = gains.kp
        kd = gains.kd
        gainsChanged()
        return .success(())
    }

    private mutating func gripper(_ command: PLDGripperCommand) -> Result<Void, RequestError> {
        guard let limits = settings.gripper else { return .failure(RequestError("this arm has no gripper")) }
        if let reason = faultedReason { return .failure(RequestError(reason)) }
        guard command.speedPerS.isFinite, command.speedPerS >= 0, command.maxEffort.isFinite, command.maxEffort >= 0
        else { return .failure(RequestError("GripperCommand speed_per_s and max_effort must be finite and >= 0")) }
        let speed = command.speedPerS == 0 ? limits.maxSpeedPerSecond : min(command.speedPerS, limits.maxSpeedPerSecond)
        let effort = command.maxEffort == 0 ? limits.maxEffort : min(command.maxEffort, limits.maxEffort)
        switch command.action {
        case .open:
            setGripper(0, speed: speed, effort: effort)
        case .close:
            setGripper(1, speed: speed, effort: effort)
        case .move:
            guard command.position.isFinite, (0...1).contains(command.position) else {
                return .failure(RequestError("GripperCommand position must lie in [0, 1] (0 open, 1 closed), got \(command.position)"))
            }
            setGripper(command.position, speed: speed, effort: effort)
        case .calibrate:
            break  // A simulated gripper knows its limits.
        default:
            return .failure(RequestError("GripperCommand action must be OPEN, CLOSE, MOVE or CALIBRATE"))
        }
        return .success(())
    }

    private mutating func moveToJoints(_ request: PLDMoveToJoints, at t: Double, measured: YAMPlantState)
        -> Result<Void, RequestError>
    {
        if let reason = faultedReason { return .failure(RequestError(reason)) }
        guard request.durationS.isFinite, request.durationS > 0 else {
            return .failure(RequestError("MoveToJoints duration_s must be > 0, got \(request.durationS)"))
        }
        guard request.qTargetRad.count == jointCount else {
            return .failure(RequestError(
                "MoveToJoints has \(request.qTargetRad.count) q_target_rad values; this arm has \(jointCount) joints"))
        }
        for (index, value) in request.qTargetRad.enumerated() {
            guard value.isFinite else { return .failure(RequestError("MoveToJoints q_target_rad[\(index)] is NaN or Inf")) }
            if let limit = settings.jointLimits[safe: index], value < limit.lowerRad || value > limit.upperRad {
                let name = settings.jointNames[safe: index] ?? "joint \(index)"
                return .failure(RequestError(
                    "MoveToJoints target \(value) rad for \(name) is outside [\(limit.lowerRad), \(limit.upperRad)]"))
            }
        }
        var gripperTarget: Double?
        if request.hasGripperTarget_p {
            guard settings.gripper != nil else { return .failure(RequestError("this arm has no gripper")) }
            guard request.gripperTarget.isFinite, (0...1).contains(request.gripperTarget) else {
                return .failure(RequestError("MoveToJoints gripper_target must lie in [0, 1], got \(request.gripperTarget)"))
            }
            gripperTarget = request.gripperTarget
        }
        startMove(Move(
            start: measured.q, target: request.qTargetRad, startedAt: t, durationSeconds: request.durationS,
            gripperStart: gripperTarget.map { _ in measured.gripperPosition }, gripperTarget: gripperTarget))
        return .success(())
    }
}
