import Wire
import ZeroMQ

// MARK: Control requests (setup-time: block up to the request timeout, allocate)

extension PLDArmLink {
    /// MoveToJoints: the driver interpolates linearly from its current position to `q` (rad, one
    /// per joint, within the configured limits) over `durationS` (> 0, in the driver's time),
    /// optionally moving the gripper (normalised, 0 open … 1 closed). Waits up to the duration
    /// plus the request timeout (both scaled by `timeScale`) for the reply.
    public func moveToJoints(_ q: [Double], durationS: Double, gripper: Double? = nil) throws(PLDArmLinkError) {
        try requireReady("move_to_joints")
        guard q.count == jointCount else {
            throw invalid("move_to_joints.q_target_rad", "\(q.count) values for \(jointCount) joints")
        }
        for (i, value) in q.enumerated() {
            guard value.isFinite else { throw invalid("move_to_joints.q_target_rad[\(i)]", "not finite") }
            guard value >= lowerRad[i], value <= upperRad[i] else {
                throw invalid(
                    "move_to_joints.q_target_rad[\(i)]",
                    "\(value) rad is outside the configured limits [\(lowerRad[i]), \(upperRad[i])] rad")
            }
        }
        guard durationS.isFinite, durationS > 0 else { throw invalid("move_to_joints.duration_s", "must be > 0, got \(durationS)") }
        if let gripper, !(gripper.isFinite && (0...1).contains(gripper)) {
            throw invalid("move_to_joints.gripper_target", "must be in [0, 1], got \(gripper)")
        }
        var move = PLDMoveToJoints()
        move.qTargetRad = q
        // The duration is the driver's (a simulated driver runs in sim time); only our wall-clock
        // deadline scales.
        move.durationS = durationS
        if let gripper {
            move.hasGripperTarget_p = true
            move.gripperTarget = gripper
        }
        let timeout = requestTimeoutNanos &+ scaledNanos(durationS, timeScale: options.timeScale)
        _ = try request("move_to_joints", timeoutNanos: timeout) { $0.request = .moveToJoints(move) }
    }

    /// GripperCommand: open, close, move to a normalised `position`, or calibrate. Zero speed or
    /// effort means the driver's default.
    public func gripper(
        _ action: PLDGripperCommand.Action, position: Double = 0, speedPerS: Double = 0, maxEffort: Double = 0
    ) throws(PLDArmLinkError) {
        try requireReady("gripper")
        guard position.isFinite, (0...1).contains(position) else { throw invalid("gripper.position", "must be in [0, 1], got \(position)") }
        guard speedPerS.isFinite, speedPerS >= 0, maxEffort.isFinite, maxEffort >= 0 else {
            throw invalid("gripper", "speed and effort must be finite and ≥ 0")
        }
        var command = PLDGripperCommand()
        command.action = action
        command.position = position
        command.speedPerS = speedPerS
        command.maxEffort = maxEffort
        _ = try request("gripper", timeoutNanos: requestTimeoutNanos) { $0.request = .gripper(command) }
    }

    /// ClearErrors: leave DAMPING/ERROR after a fault (a human-confirmed path: yam.md §12).
    public func clearErrors() throws(PLDArmLinkError) {
        try requireReady("clear_errors")
        _ = try request("clear_errors", timeoutNanos: requestTimeoutNanos) { $0.request = .clearErrors_p(PLDClearErrors()) }
    }

    /// SetGains: PD gains per joint (`pld_arm.gains`; the protocol has no gripper gains).
    public func setGains(kp: [Double], kd: [Double]) throws(PLDArmLinkError) {
        try requireReady("set_gains")
        guard kp.count == jointCount, kd.count == jointCount else {
            throw invalid("set_gains", "kp has \(kp.count), kd \(kd.count) values for \(jointCount) joints")
        }
        guard (kp + kd).allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw invalid("set_gains", "gains must be finite and ≥ 0") }
        var gains = PLDSetGains()
        gains.kp = kp
        gains.kd = kd
        _ = try request("set_gains", timeoutNanos: requestTimeoutNanos) { $0.request = .setGains(gains) }
    }

    /// Ping: a round trip through the driver's control loop. Works before `connect()` verified a
    /// hello (after `open()`). Returns the round-trip time (our monotonic clock) and the driver's
    /// clock.
    @discardableResult
    public func ping() throws(PLDArmLinkError) -> (roundTripNanos: UInt64, driverUnixNanos: Int64) {
        guard isOpen else { throw notConnected("ping") }
        var ping = PLDPing()
        ping.clientUnixNs = DriverClock.unixNanos()
        let start = DriverClock.monotonicNanos()
        let reply = try request("ping", timeoutNanos: requestTimeoutNanos) { $0.request = .ping(ping) }
        guard case .pong(let pong)? = reply.reply, pong.clientUnixNs == ping.clientUnixNs else {
            counters.requestFailures += 1
            throw PLDArmLinkError(kind: .badReply, arm: name, endpoint: controlEndpoint, message: "ping: the reply carries no matching Pong")
        }
        return (elapsedNanos(since: start, to: DriverClock.monotonicNanos()), pong.driverUnixNs)
    }

    /// One request/reply on the REQ socket with a deadline. On timeout (or a socket failure) the
    /// REQ is closed and recreated, since a REQ that sent cannot send again before a reply.
    func request(
        _ what: String, timeoutNanos: UInt64, _ fill: (inout PLDArmRequest) -> Void
    ) throws(PLDArmLinkError) -> PLDArmReply {
        guard let socket = controlReq else { throw notConnected(what) }
        nextRequestID += 1
        var message = PLDArmRequest()
        message.protocolVersion = PLDArmHelloCheck.protocolVersion
        message.requestID = nextRequestID
        fill(&message)
        let bytes: [UInt8]
        do {
            bytes = try message.serializedBytes()
        } catch {
            throw PLDArmLinkError(kind: .invalidRequest, arm: name, endpoint: controlEndpoint, message: "\(what): cannot encode: \(error)")
        }
        let deadline = DriverClock.monotonicNanos() &+ timeoutNanos
        let seconds = Double(timeoutNanos) / 1e9
        counters.requestsSent += 1
        let raw: [UInt8]
        do {
            // Without a connected peer a REQ may not be writable; that is a timeout too.
            guard try socket.poll(.writable, timeoutMilliseconds: remainingMilliseconds(deadline)).contains(.writable),
                try socket.send(bytes, flags: .dontWait)
            else { throw timedOut(what, seconds: seconds) }
            guard let reply = try socket.receive(timeoutMilliseconds: remainingMilliseconds(deadline)) else {
                throw timedOut(what, seconds: seconds)
            }
            raw = reply
        } catch let error as PLDArmLinkError {
            throw error
        } catch {
            recreateRequestSocket()
            counters.requestFailures += 1
            throw PLDArmLinkError(kind: .transport, arm: name, endpoint: controlEndpoint, message: "\(what): \(error)")
        }
        let reply: PLDArmReply
        do {
            reply = try PLDArmReply(wireBytes: raw, maxBytes: options.maxReplyBytes)
        } catch {
            counters.requestFailures += 1
            throw PLDArmLinkError(kind: .badReply, arm: name, endpoint: controlEndpoint, message: "\(what): \(error.description)")
        }
        guard reply.protocolVersion == PLDArmHelloCheck.protocolVersion else {
            counters.requestFailures += 1
            throw PLDArmLinkError(
                kind: .badReply, arm: name, endpoint: controlEndpoint, field: "protocol_version",
                message: "\(what): reply protocol_version \(reply.protocolVersion), runtime speaks \(PLDArmHelloCheck.protocolVersion)")
        }
        guard reply.requestID == message.requestID else {
            counters.requestFailures += 1
            throw PLDArmLinkError(
                kind: .badReply, arm: name, endpoint: controlEndpoint,
                message: "\(what): reply for request \(reply.requestID), expected \(message.requestID)")
        }
        guard reply.ok else {
            counters.requestFailures += 1
            let reason = reply.error.isEmpty ? "no reason given" : reply.error
            throw PLDArmLinkError(kind: .driverRefused, arm: name, endpoint: controlEndpoint, message: "\(what) refused by the driver: \(reason)")
        }
        return reply
    }

    private func timedOut(_ what: String, seconds: Double) -> PLDArmLinkError {
        counters.requestTimeouts += 1
        recreateRequestSocket()
        return PLDArmLinkError(
            kind: .timeout, arm: name, endpoint: controlEndpoint,
            message: "\(what): no reply within \(seconds) s (request_timeout_s); control socket recreated, the next request retries")
    }

    private func recreateRequestSocket() {
        controlReq?.close()
        controlReq = try? makeRequestSocket()
        counters.requestSocketsRecreated += 1
    }

    private func remainingMilliseconds(_ deadline: UInt64) -> Int {
        let now = DriverClock.monotonicNanos()
        return now >= deadline ? 0 : pollMilliseconds(deadline - now)
    }

    private func requireReady(_ what: String) throws(PLDArmLinkError) {
        guard isReady else { throw notConnected(what) }
    }

    private func notConnected(_ what: String) -> PLDArmLinkError {
        PLDArmLinkError(
            kind: .notConnected, arm: name, endpoint: controlEndpoint,
            message: "\(what): the link is not connected (connect() must verify the driver's hello first)")
    }

    private func invalid(_ field: String, _ message: String) -> PLDArmLinkError {
        PLDArmLinkError(kind: .invalidRequest, arm: name, endpoint: controlEndpoint, field: field, message: message)
    }
}
