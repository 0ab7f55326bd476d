import PLDCore
import Wire

// MARK: State (per tick: non-blocking, allocation-free)

extension FrankaLink {
    /// One tick's read step: drains both state sockets without blocking (the newest good
    /// message wins; every refused one is counted), updates age, staleness and restart
    /// detection, then runs the command scheduler (preamble, keep-alive, gripper re-send).
    /// Call it every tick, and at least at the NUC poll rate.
    @discardableResult
    public func poll(now: UInt64) -> LinkEvents {
        guard let armStateSub, let gripperStateSub else { return [] }
        var events: LinkEvents = []
        drainArmState(armStateSub, now: now, events: &events)
        drainGripperState(gripperStateSub, now: now, events: &events)
        updateStaleness(now: now, events: &events)
        events.formUnion(serviceCommands(now: now))
        return events
    }

    /// Age of the newest good gripper state, ns; `UInt64.max` before the first.
    public func gripperStateAgeNanos(now: UInt64) -> UInt64 {
        state.hasGripperState ? elapsedNanos(since: gripperReceivedAtNanos, to: now) : .max
    }

    private func drainArmState(_ sub: StateSubscriber, now: UInt64, events: inout LinkEvents) {
        for _ in 0..<options.maxDrainPerPoll {
            switch sub.receive() {
            case .empty:
                return
            case .failed:
                counters.receiveFailures += 1
                events.insert(.transportError)
                return
            case .oversized:
                counters.stateRefusals.record(.tooLarge)
                events.insert(.refused)
            case .message(let count):
                do {
                    let sample = try decoder.decodeRobotState(sub.bytes(count))
                    take(sample, now: now, events: &events)
                } catch {
                    counters.stateRefusals.record(error)
                    events.insert(.refused)
                }
            }
        }
    }

    private func drainGripperState(_ sub: StateSubscriber, now: UInt64, events: inout LinkEvents) {
        for _ in 0..<options.maxDrainPerPoll {
            switch sub.receive() {
            case .empty:
                return
            case .failed:
                counters.receiveFailures += 1
                events.insert(.transportError)
                return
            case .oversized:
                counters.gripperStateRefusals.record(.tooLarge)
                events.insert(.refused)
            case .message(let count):
                do {
                    let sample = try decoder.decodeGripperState(sub.bytes(count))
                    takeGripper(sample, now: now)
                    events.insert(.newGripperState)
                } catch {
                    counters.gripperStateRefusals.record(error)
                    events.insert(.refused)
                }
            }
        }
    }

    private func take(_ sample: FrankaStateSample, now: UInt64, events: inout LinkEvents) {
        if state.hasState {
            let gap = elapsedNanos(since: state.receivedAtNanos, to: now)
            let backwards = sample.frame < state.sequence
            let freshStartAfterGap = gap >= restartGapNanos && sample.frame <= options.restartFrameThreshold
                && sample.frame != state.sequence
            if backwards || freshStartAfterGap {
                nucRestarted(now: now)
                events.insert(.restartDetected)
            }
        }
        if !state.hasState || sample.timeMilliseconds != state.robotTimeMilliseconds {
            lastRobotTimeAdvanceAtNanos = now
        }
        let previousMode = state.frankaRobotMode
        let previousFault = state.isFault
        for i in 0..<7 {
            state.q[i] = sample.q[i]
            state.dq[i] = sample.dq[i]
            state.tau[i] = sample.tauJ[i]
        }
        state.eePose = sample.oTEE
        state.hasEEPose = true
        state.frankaRobotMode = sample.robotMode
        state.mode = ArmMode(frankaRobotMode: sample.robotMode)
        state.errorBits = sample.currentErrors
        state.lastMotionErrorBits = sample.lastMotionErrors
        state.isFault = sample.currentErrors != 0 || state.mode == .reflex || state.mode == .userStopped
        state.sequence = sample.frame
        state.robotTimeMilliseconds = sample.timeMilliseconds
        state.receivedAtNanos = now
        if state.hasState && previousMode != sample.robotMode { events.insert(.modeChanged) }
        if state.isFault && !previousFault { events.insert(.faultRaised) }
        state.hasState = true
        counters.statesReceived += 1
        events.insert(.newState)
    }

    private func takeGripper(_ sample: FrankaGripperSample, now: UInt64) {
        gripperSample = sample
        gripperReceivedAtNanos = now
        let open = gripperOpenWidthM, closed = options.gripperClosedWidthM
        let span = open - closed
        let normalised = span > 0 ? (open - sample.widthMeters) / span : 0
        state.gripperPosition = min(max(normalised, 0), 1)
        state.gripperWidthMeters = sample.widthMeters
        state.gripperIsGrasped = sample.isGrasped
        state.hasGripperState = true
        counters.gripperStatesReceived += 1
    }

    /// A restarted NUC runs no controller and has no watchdog until the next controller starts;
    /// the gripper node restarts with it and has forgotten its command.
    private func nucRestarted(now: UInt64) {
        counters.restartsDetected += 1
        nucController = .noControl
        controllerHasRun = false
        noControlStreak = 0
        lastGripper = nil
        lastRobotTimeAdvanceAtNanos = now
    }

    private func updateStaleness(now: UInt64, events: inout LinkEvents) {
        let age = state.hasState ? elapsedNanos(since: state.receivedAtNanos, to: now) : UInt64.max
        state.messageAgeNanos = age
        let sinceAdvance = elapsedNanos(since: lastRobotTimeAdvanceAtNanos, to: now)
        let controllerShouldRun = nucController != .noControl && pending == nil
        var timeStalled = false
        if controllerShouldRun {
            let sinceStart = elapsedNanos(since: controllerStartedAtNanos, to: now)
            timeStalled = min(sinceAdvance, sinceStart) > robotTimeStallNanos
        }
        state.robotTimeAdvancing = state.hasState && sinceAdvance <= robotTimeStallNanos
        let stale = !state.hasState || age > stateTimeoutNanos || timeStalled
        state.isStale = stale
        if stale && wasFresh {
            counters.stalePeriods += 1
            if timeStalled && age <= stateTimeoutNanos { counters.robotTimeStalls += 1 }
            events.insert(.becameStale)
        } else if !stale && !wasFresh {
            events.insert(.becameFresh)
        }
        wasFresh = !stale
    }
}
