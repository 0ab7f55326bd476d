import PLDCore
import Recording
import Safety

/// The tick's recording stages: what each episode tick puts into its `TickRecord` (observation,
/// commands as sent, executed action, safety events). Control thread only; inline copies, no
/// allocation.
extension TickPipeline {
    /// Observation: the states, features and camera frame sequences the tick acts on.
    func observe(now: UInt64) {
        record.step = step
        record.tickNanos = now
        for i in 0..<states.count {
            let s = states[i]
            record.arms[i].qRad = s.q
            record.arms[i].dqRadPerS = s.dq
            record.arms[i].gripper = s.gripperPosition
            record.arms[i].eePose = s.eePose
        }
        record.features = featureSnapshot.values
        record.stage = Int32(currentStage)
        for c in 0..<recordedCameras.count { record.cameraSequences[c] = sensors.newestSequence(camera: recordedCameras[c]) }
        record.policyStall = false
        record.residualActive = handoffStep.map { step >= $0 } ?? false
        for k in 0..<recordMaxClassifiers { record.classifierScores[k] = .nan }
        record.safetyEventTotal = 0
        record.safetyEventCount = 0
    }

    /// Arm `arm` was sent its hold command: hold zero deltas / measured joints, last gripper.
    func recordHold(arm i: Int) {
        sentCommands[i] = .hold(jointCount: armConfigs[i].jointCount)
        var recorded = RecordedCommand()
        recorded.hold = true
        let jointCount = states[i].jointCount
        if safety.arms[i].kind == .eeDelta {
            for k in 0..<6 { recorded.values[k] = 0 }
            recorded.values[6] = lastGripperSent[i]
        } else {
            for j in 0..<jointCount { recorded.values[j] = states[i].q[j] }
            recorded.values[jointCount] = lastGripperSent[i]
        }
        record.commands[i] = recorded
    }

    /// Arm `arm` was sent `command`.
    func recordCommand(_ command: ArmCommand, arm i: Int) {
        sentCommands[i] = command
        if let gripper = command.gripper { lastGripperSent[i] = gripper }
        var recorded = RecordedCommand()
        recorded.hold = false
        switch command.mode {
        case .endEffectorDelta:
            recorded.values[0] = command.translationM.x
            recorded.values[1] = command.translationM.y
            recorded.values[2] = command.translationM.z
            recorded.values[3] = command.rotationRad.x
            recorded.values[4] = command.rotationRad.y
            recorded.values[5] = command.rotationRad.z
            recorded.values[6] = lastGripperSent[i]
        case .jointTargets:
            for j in 0..<command.jointCount { recorded.values[j] = command.jointTargetsRad[j] }
            recorded.values[command.jointCount] = lastGripperSent[i]
        case .hold:
            return recordHold(arm: i)
        }
        record.commands[i] = recorded
    }

    /// The executed action: the commands as sent, back in the action space.
    func recordExecuted() {
        for i in 0..<armConfigs.count {
            safety.writeExecuted(sentCommands[i], arm: i, measured: states[i], into: &lastExecuted)
        }
        record.executedAction = lastExecuted
    }

    /// At episode start: the executed action of "nothing sent yet" (hold, measured gripper).
    func startExecutedAction() {
        for i in 0..<armConfigs.count {
            lastGripperSent[i] = states[i].gripperPosition
            var hold = ArmCommand.hold(jointCount: states[i].jointCount)
            hold.gripper = states[i].gripperPosition
            safety.writeExecuted(hold, arm: i, measured: states[i], into: &lastExecuted)
            sentCommands[i] = .hold(jointCount: armConfigs[i].jointCount)
        }
    }

    func recordSafetyEvents(_ events: SafetyEventBuffer) {
        record.safetyEventTotal = Int32(clamping: events.totalCount)
        let kept = min(events.count, recordMaxSafetyEvents)
        record.safetyEventCount = kept
        for e in 0..<kept {
            let event = events[e]
            record.safetyEvents[e] = RecordedSafetyEvent(
                kind: UInt8(event.kind.ordinal), stage: event.stage.rawValue, arm: Int8(clamping: event.arm),
                element: Int16(clamping: event.element), requested: event.requested, applied: event.applied)
        }
    }
}

extension EpisodeOutcome {
    var recorded: RecordedOutcome {
        switch self {
        case .success: .success
        case .timeout: .timeout
        case .failed: .failure
        case .aborted: .aborted
        }
    }

    var recordedAbortReason: RecordedAbortReason {
        guard case let .aborted(reason) = self else { return .none }
        return switch reason {
        case .estop: .estop
        case .safety: .safety
        case .driverLost: .driverLost
        case .policyLost: .policyLost
        case .stopped: .stopped
        case .recording: .recording
        case .cameraFrozen: .cameraFrozen
        case .operatorReset: .operatorReset
        case .operatorFailure: .operatorFailure
        case .stageAbort: .stageAbort
        }
    }
}

extension EpisodeOutcome.AbortReason {
    /// The name recordings and reports use (`aborted_reason`), e.g. `driver_lost`.
    public var recordedName: String { EpisodeOutcome.aborted(self).recordedAbortReason.name ?? rawValue }
}
