import Wire

/// A controller goal waiting for its preamble to finish.
struct PendingGoal {
    var controller: FrankaControllerType
    var task: TaskSpaceGoal
    var joints: InlineArray<7, Double>
}

/// A deoxys gripper command as the link last sent it.
enum FrankaGripperRequest: Equatable {
    /// `FrankaGripperMoveMessage` to a width, m (open).
    case move(widthMeters: Double)
    /// `FrankaGripperGraspMessage` with the configured numbers (close).
    case grasp
}

// MARK: Commands (per tick: non-blocking, allocation-free)

extension FrankaLink {
    /// An OSC goal: OSC_POSE, OSC_POSITION or OSC_YAW. Deltas (`isDelta`, the deoxys default)
    /// are translation in m and an axis-angle rotation in rad, relative to the measured pose.
    /// During a controller switch the goal is held back (`.deferred`); the newest one becomes the
    /// new controller's first message.
    public func sendOSC(
        _ goal: TaskSpaceGoal, controller: FrankaControllerType = .oscPose, now: UInt64
    ) -> LinkSendResult {
        precondition(controller == .oscPose || controller == .oscPosition || controller == .oscYaw, "sendOSC needs an OSC controller")
        guard goal.x.isFinite, goal.y.isFinite, goal.z.isFinite, goal.ax.isFinite, goal.ay.isFinite, goal.az.isFinite else {
            return refuse(.nonFinite)
        }
        return request(PendingGoal(controller: controller, task: goal, joints: lastJointGoal), now: now)
    }

    /// A JOINT_POSITION goal, absolute joint positions in rad (the driver's joint space).
    public func sendJointPosition(_ q: InlineArray<7, Double>, now: UInt64) -> LinkSendResult {
        if let refusal = checkJoints(q) { return refuse(refusal) }
        return request(PendingGoal(controller: .jointPosition, task: .hold, joints: q), now: now)
    }

    /// A JOINT_IMPEDANCE goal, absolute joint positions in rad, with the configured kp/kd.
    public func sendJointImpedance(_ q: InlineArray<7, Double>, now: UInt64) -> LinkSendResult {
        if let refusal = checkJoints(q) { return refuse(refusal) }
        return request(PendingGoal(controller: .jointImpedance, task: .hold, joints: q), now: now)
    }

    /// Holds the arm where it is, now: a zero-delta OSC goal or the last joint goal for the
    /// running controller, or NO_CONTROL when none runs. Cancels a pending controller switch
    /// (the NO_CONTROL already sent keeps the arm stopped). Starts the keep-alive if it was not
    /// running. Never derived from the state: a refused state cannot change what hold sends.
    @discardableResult
    public func hold(now: UInt64) -> LinkSendResult {
        guard isConnected else { return .notConnected }
        pending = nil
        active = true
        let result = sendHold(now: now)
        if result == .sent {
            counters.commandsSent += 1
            counters.holdsSent += 1
            lastSendWasKeepAlive = false
        }
        return result
    }

    /// The gripper in deoxys's action convention, a ∈ [−1, 1] (clamped): a < 0 opens to
    /// `open_width_m · |a|` (Move), a ≥ 0 grasps (Grasp with the configured width, speed, force
    /// and epsilons). Sent only when it differs from the last gripper command (see the type's
    /// documentation); returns `.unchanged` otherwise.
    public func sendGripper(action a: Double, now: UInt64) -> LinkSendResult {
        guard a.isFinite else { return refuse(.nonFinite) }
        let clamped = min(max(a, -1), 1)
        let request: FrankaGripperRequest = clamped < 0 ? .move(widthMeters: gripperOpenWidthM * -clamped) : .grasp
        return sendGripperRequest(request, now: now)
    }

    /// The gripper in the runtime's normalised convention, g ∈ [0, 1] (0 open … 1 closed,
    /// clamped): g ≥ `close_threshold` grasps, otherwise `Move(open_width_m · (1 − g))`
    /// (`FrankaGripperConfig`).
    public func sendGripper(normalized g: Double, now: UInt64) -> LinkSendResult {
        guard g.isFinite else { return refuse(.nonFinite) }
        let clamped = min(max(g, 0), 1)
        let request: FrankaGripperRequest =
            clamped >= config.gripper.closeThreshold ? .grasp : .move(widthMeters: gripperOpenWidthM * (1 - clamped))
        return sendGripperRequest(request, now: now)
    }

    // MARK: Scheduling

    /// Runs the preamble, the keep-alive and the gripper re-send. Called by `poll(now:)` and by
    /// every send.
    func serviceCommands(now: UInt64) -> LinkEvents {
        guard isConnected else { return [] }
        var events: LinkEvents = []
        if !active {
            // Nothing sent to the arm yet: no watchdog to feed.
        } else if let goal = pending {
            if noControlStreak >= options.preambleMessageCount
                && elapsedNanos(since: lastArmSendAtNanos, to: now) >= pollPeriodNanos
            {
                if startController(goal, now: now) == .sent { events.insert(.controllerStarted) }
            } else if noControlStreak < options.preambleMessageCount
                && (noControlStreak == 0 || elapsedNanos(since: lastArmSendAtNanos, to: now) >= pollPeriodNanos)
            {
                if sendNoControl(now: now) == .sent {
                    counters.preambleMessagesSent += 1
                    events.insert(.preambleStep)
                }
            }
        } else {
            let interval = lastSendWasKeepAlive ? keepAliveRepeatNanos : pollPeriodNanos
            if elapsedNanos(since: lastArmSendAtNanos, to: now) >= interval, sendHold(now: now) == .sent {
                counters.keepAlivesSent += 1
                lastSendWasKeepAlive = true
                events.insert(.keepAliveSent)
            }
        }
        if gripperResendNanos > 0, let gripper = lastGripper,
            elapsedNanos(since: lastGripperSentAtNanos, to: now) >= gripperResendNanos,
            sendGripperMessage(gripper, now: now) == .sent
        {
            counters.gripperResends += 1
            events.insert(.gripperResent)
        }
        return events
    }

    /// A runtime goal for `goal.controller`: sent now when that controller runs (or may start
    /// without a preamble), else held back behind the NO_CONTROL preamble.
    private func request(_ goal: PendingGoal, now: UInt64) -> LinkSendResult {
        guard isConnected else { return .notConnected }
        active = true
        if pending == nil && nucController == goal.controller {
            let result = sendGoal(goal, now: now)
            if result == .sent {
                counters.commandsSent += 1
                lastSendWasKeepAlive = false
            }
            return result
        }
        let needsPreamble = options.preambleMessageCount > 0 && (controllerHasRun || options.preambleBeforeFirstController)
        if !needsPreamble {
            return startController(goal, now: now)
        }
        pending = goal
        _ = serviceCommands(now: now)
        if pending == nil { return .sent }  // the preamble had already run: started now
        return .deferred(remaining: max(0, options.preambleMessageCount - noControlStreak))
    }

    private func startController(_ goal: PendingGoal, now: UInt64) -> LinkSendResult {
        let result = sendGoal(goal, now: now)
        guard result == .sent else { return result }
        pending = nil
        nucController = goal.controller
        controllerHasRun = true
        controllerStartedAtNanos = now
        noControlStreak = 0
        lastSendWasKeepAlive = false
        counters.commandsSent += 1
        counters.controllersStarted += 1
        return .sent
    }

    private func sendGoal(_ goal: PendingGoal, now: UInt64) -> LinkSendResult {
        guard let armCommand else { return .notConnected }
        let count: Int
        do {
            switch goal.controller {
            case .oscPose, .oscPosition, .oscYaw:
                count = try encoder.encodeOSC(goal.controller, goal: goal.task, into: armCommand.buffer)
            case .jointPosition:
                count = try encoder.encodeJointPosition(goal.joints, into: armCommand.buffer)
            case .jointImpedance:
                count = try encoder.encodeJointImpedance(goal.joints, into: armCommand.buffer)
            case .noControl:
                count = try encoder.encodeNoControl(into: armCommand.buffer)
            }
        } catch {
            return refuse(.encode(error))
        }
        guard armCommand.send(count: count) else {
            counters.sendFailures += 1
            return .dropped
        }
        lastArmSendAtNanos = now
        if goal.controller == .jointPosition || goal.controller == .jointImpedance {
            lastJointGoal = goal.joints
            hasJointGoal = true
        }
        if goal.controller == .noControl {
            noteNoControl(now: now)
        }
        return .sent
    }

    /// Hold for whatever the NUC runs: zero-delta OSC, the last joint goal, or NO_CONTROL.
    private func sendHold(now: UInt64) -> LinkSendResult {
        switch nucController {
        case .oscPose, .oscPosition, .oscYaw:
            return sendGoal(PendingGoal(controller: nucController, task: .hold, joints: lastJointGoal), now: now)
        case .jointPosition, .jointImpedance:
            guard hasJointGoal else { return sendNoControl(now: now) }
            return sendGoal(PendingGoal(controller: nucController, task: .hold, joints: lastJointGoal), now: now)
        case .noControl:
            return sendNoControl(now: now)
        }
    }

    private func sendNoControl(now: UInt64) -> LinkSendResult {
        sendGoal(PendingGoal(controller: .noControl, task: .hold, joints: lastJointGoal), now: now)
    }

    /// NO_CONTROL stops the running motion; count it toward the preamble when it comes at least
    /// `keepAliveRepeatFraction` of a poll period after the last one counted, so a burst of
    /// holds cannot shorten the ~1 s the NUC is given to stop.
    private func noteNoControl(now: UInt64) {
        nucController = .noControl
        if noControlStreak == 0 || elapsedNanos(since: lastCountedNoControlAtNanos, to: now) >= keepAliveRepeatNanos {
            noControlStreak += 1
            lastCountedNoControlAtNanos = now
        }
    }

    private func sendGripperRequest(_ request: FrankaGripperRequest, now: UInt64) -> LinkSendResult {
        guard isConnected else { return .notConnected }
        guard hasGripper else { return refuse(.noGripper) }
        if let last = lastGripper, sameGripper(last, request) { return .unchanged }
        let result = sendGripperMessage(request, now: now)
        if result == .sent { counters.gripperCommandsSent += 1 }
        return result
    }

    private func sendGripperMessage(_ request: FrankaGripperRequest, now: UInt64) -> LinkSendResult {
        guard let gripperCommand else { return .notConnected }
        let g = config.gripper
        let count: Int
        do {
            switch request {
            case .move(let width):
                count = try encoder.encodeGripperMove(
                    widthMeters: width, speedMetersPerSecond: g.moveSpeedMPerS, into: gripperCommand.buffer)
            case .grasp:
                count = try encoder.encodeGripperGrasp(
                    widthMeters: g.graspWidthM, speedMetersPerSecond: g.graspSpeedMPerS, forceNewtons: g.graspForceN,
                    epsilonInnerMeters: g.epsilonInnerM, epsilonOuterMeters: g.epsilonOuterM, into: gripperCommand.buffer)
            }
        } catch {
            return refuse(.encode(error))
        }
        guard gripperCommand.send(count: count) else {
            counters.sendFailures += 1
            return .dropped
        }
        lastGripper = request
        lastGripperSentAtNanos = now
        return .sent
    }

    private func sameGripper(_ a: FrankaGripperRequest, _ b: FrankaGripperRequest) -> Bool {
        switch (a, b) {
        case (.grasp, .grasp): true
        case let (.move(x), .move(y)): abs(x - y) <= options.gripperWidthDeadbandM
        default: false
        }
    }

    private func checkJoints(_ q: InlineArray<7, Double>) -> CommandRefusal? {
        for i in 0..<7 {
            guard q[i].isFinite else { return .nonFinite }
            guard q[i] >= lowerRad[i], q[i] <= upperRad[i] else { return .outsideJointLimits(joint: i) }
        }
        return nil
    }

    private func refuse(_ refusal: CommandRefusal) -> LinkSendResult {
        counters.commandsRefused += 1
        return .refused(refusal)
    }
}
