import PLDCore
import Policies
import Recording
import Safety
import Tasks

/// The task's stages as the tick runs them: the machine, each stage's scripted motion and
/// retry re-approach (resolved to arm indices), and the stage names for reports.
/// A single-stage task (no `stages:`) is one implicit stage `task`: the task prompt, the
/// `success` trigger if any, and `max_episode_steps` as its only limit.
struct TaskStages {
    let machine: StageMachine
    let names: [String]
    /// Per stage: the scripted motion (empty for policy stages) and the retry re-approach.
    let motions: [[StageMotionStep]]
    let retryPoses: [[StageMotionStep]]
}

/// One waypoint of a scripted motion: a joint target for one arm reached by linear
/// interpolation from where the motion left the arm, in `durationTicks` ticks.
struct StageMotionStep {
    var arm: Int
    var joints: InlineArray<8, Double>
    var jointCount: Int
    /// 0 open … 1 closed; nil keeps the gripper where it was commanded.
    var gripper: Double?
    var durationTicks: Int
}

/// A motion in progress (control thread; no allocation: it refers to the stage's steps).
struct StageMotionRun {
    enum Purpose { case scriptedStage, retryApproach }
    var purpose: Purpose
    var stage: Int
    var step = 0
    var ticksInStep = 0
    /// Joint targets each arm started the current waypoint from, and holds when not moving.
    var from = InlineArray<4, InlineArray<8, Double>>(repeating: InlineArray<8, Double>(repeating: 0))
    var gripper = InlineArray<4, Double>(repeating: 0)
    var finished = false
}

/// The gates' view of the tick: fresh arm states, the last gripper commands and this tick's
/// classifier scores.
struct PipelineGateContext: GateContext {
    unowned let pipeline: TickPipeline

    func armIndex(named name: String) -> Int? {
        for i in 0..<pipeline.armConfigs.count where pipeline.armConfigs[i].name == name { return i }
        return nil
    }

    func gripperPosition(arm: Int) -> Double? {
        let state = pipeline.states[arm]
        return state.hasState && !state.isStale ? state.gripperPosition : nil
    }

    func gripperCommandedClosed(arm: Int) -> Bool { pipeline.lastGripperSent[min(arm, 3)] >= 0.5 }

    func jointPosition(arm: Int, joint: Int) -> Double? {
        let state = pipeline.states[arm]
        guard state.hasState, !state.isStale, joint < state.jointCount else { return nil }
        return state.q[joint]
    }

    func classifierScore(named name: String) -> Double {
        guard let k = pipeline.classifiers.index(of: name) else { return .nan }
        return pipeline.classifiers.scores[k]
    }
}

extension TickPipeline {
    var gateContext: PipelineGateContext { PipelineGateContext(pipeline: self) }

    /// Builds, on the calling thread before the loop starts, the values the tick first builds at
    /// an episode's end or a stage's motion: an unoptimised build instantiates the metadata of
    /// their inline arrays lazily — a heap allocation — the first time, which must not happen on
    /// the control thread mid-run (`aSteadyStateTickAllocatesNothingOverTenThousandTicks`).
    func warmUpStageValues() {
        var result = EpisodeResult(
            index: 0, outcome: .success, steps: 0, handoffStep: nil, durationNanos: 0, policyStalls: 0, safetyEvents: 0,
            residualSteps: 0, droppedSteps: 0)
        result.stageStats[0] = RecordedStageStats(attempts: 1, successes: 0, failures: 0, timeouts: 0, steps: 0)
        var closing = EpisodeClosing(
            episode: 0, outcome: .success, abortReason: .none, steps: 0, policyStalls: 0, safetyEvents: 0, residualSteps: 0,
            durationNanos: 0, droppedSteps: 0)
        closing.stageStats = result.stageStats
        closing.finalStage = 1
        var run = StageMotionRun(purpose: .scriptedStage, stage: 0)
        run.from[0][0] = 1
        run.gripper[0] = 1
        withExtendedLifetime((result, closing, run)) {}
    }

    /// True while an episode is open: running, or paused inside a `restart`'s reset.
    var episodeOpen: Bool { phase == .episode || resumeEpisodeAfterReset }

    /// Scores every classifier for this tick (and records the scores in an episode).
    func evaluateClassifiers(now: UInt64) {
        classifiers.evaluate(nowNanos: now) { source, index in observedValue(source, index) }
    }

    // MARK: Episode start

    func beginStages(now: UInt64) {
        stageEnding = nil
        motion = nil
        evaluateClassifiers(now: now)
        let context = gateContext
        handle(stages.machine.beginEpisode { Gates.holds($0, in: context) }, now: now)
    }

    /// After a `restart`'s reset and settle: the same episode goes on at the first stage.
    func resumeAfterRestart(tick: UInt64, now: UInt64) {
        resumeEpisodeAfterReset = false
        phase = .episode
        scheduler.reset(now: now)
        resetFaultWatch(tick: tick)
        previousSafety = safety.holding
        evaluateClassifiers(now: now)
        let context = gateContext
        handle(stages.machine.restartFinished { Gates.holds($0, in: context) }, now: now)
    }

    // MARK: Every episode tick

    /// The task stage of the tick: classifier scores (recorded), a running motion's progress,
    /// then the stage machine.
    func taskStage(tick: UInt64, now: UInt64) {
        evaluateClassifiers(now: now)
        if recordsClassifiers {
            for k in 0..<min(classifiers.names.count, recordMaxClassifiers) { record.classifierScores[k] = classifiers.scores[k] }
        }
        let context = gateContext
        if let run = motion, run.finished {
            motion = nil
            switch run.purpose {
            case .scriptedStage: stages.machine.motionFinished()
            case .retryApproach:
                handle(stages.machine.approachFinished { Gates.holds($0, in: context) }, now: now)
                return
            }
        }
        let pipeline = self
        let event = stages.machine.update(
            scores: classifiers.scores, require: { rule in pipeline.ruleHolds(rule) }, gates: { Gates.holds($0, in: context) })
        handle(event, now: now)
    }

    /// A proprioceptive `require` rule on this tick's values (unknown = does not hold).
    func ruleHolds(_ rule: ClassifierRule) -> Bool {
        let value = observedValue(rule.source, rule.index)
        return value.isFinite && rule.op.holds(value, rule.value)
    }

    private func handle(_ event: StageMachine.Event, now: UInt64) {
        switch event {
        case .none:
            return
        case let .entered(stage, _):
            let previousPrompt = promptIndex
            currentStage = stage
            promptIndex = stages.machine.stages[stage].promptIndex
            status.publishStage(stage)
            if stages.machine.stages[stage].scripted {
                startMotion(.scriptedStage, stage: stage)
            } else if previousPrompt != promptIndex {
                // The chunks in hand were planned for the previous stage's prompt.
                scheduler.reset(now: now)
            }
        case let .approach(stage):
            startMotion(.retryApproach, stage: stage)
        case .restart:
            // The reset runs (not recorded); then the same episode continues at stage 0.
            resumeEpisodeAfterReset = true
            motion = nil
            holdAll(now: now)
            if reset != nil { beginReset(tick: currentTick) } else { phase = .settle(startedAtTick: currentTick) }
        case let .ended(ending):
            stageEnding = ending
        }
    }

    // MARK: Scripted motions

    private func startMotion(_ purpose: StageMotionRun.Purpose, stage: Int) {
        let steps = purpose == .scriptedStage ? stages.motions[stage] : stages.retryPoses[stage]
        var run = StageMotionRun(purpose: purpose, stage: stage)
        for a in 0..<min(armConfigs.count, 4) {
            // Start from the targets last sent (not the measured joints, which sag under load).
            let sent = sentCommands[a]
            for j in 0..<states[a].jointCount {
                run.from[a][j] = sent.mode == .jointTargets ? sent.jointTargetsRad[j] : states[a].q[j]
            }
            run.gripper[a] = lastGripperSent[a]
        }
        run.finished = steps.isEmpty
        motion = run
    }

    /// The action of a motion this tick: waypoint targets interpolated for the moving arm, the
    /// other arms holding their targets (ee_delta arms: zero deltas).
    func motionAction(tick: UInt64, into action: inout ActionVector) {
        guard var run = motion else { return }
        let steps = run.purpose == .scriptedStage ? stages.motions[run.stage] : stages.retryPoses[run.stage]
        var fraction = 1.0
        var moving = -1
        if run.step < steps.count {
            let waypoint = steps[run.step]
            moving = waypoint.arm
            run.ticksInStep += 1
            fraction = min(1, Double(run.ticksInStep) / Double(max(1, waypoint.durationTicks)))
        }
        for a in 0..<safety.arms.count {
            let arm = safety.arms[a]
            let o = arm.segmentOffset
            if arm.kind == .eeDelta {
                for d in 0..<6 { action[o + d] = 0 }
            } else {
                for j in 0..<arm.jointCount {
                    var q = run.from[a][j]
                    if a == moving { q += (steps[run.step].joints[j] - q) * fraction }
                    action[o + j] = q
                }
            }
            if let g = arm.gripperElement {
                var closedness = run.gripper[a]
                if a == moving, let target = steps[run.step].gripper { closedness = target }
                action[o + g] = GripperConversion.policyValue(closedness: closedness, convention: arm.gripper.convention)
            }
        }
        if moving >= 0 && fraction >= 1 {
            // Waypoint reached: it is where the next one starts from.
            let waypoint = steps[run.step]
            for j in 0..<waypoint.jointCount { run.from[moving][j] = waypoint.joints[j] }
            if let g = waypoint.gripper { run.gripper[moving] = g }
            run.step += 1
            run.ticksInStep = 0
        }
        run.finished = run.step >= steps.count
        motion = run
    }
}

extension TaskStages {
    /// Resolves the config's stages (or the implicit single stage) for the tick.
    static func make(
        config: RobotConfig, classifiers: RewardClassifiers, ticksPerSecond: Double, residualIndex: (StageConfig) -> Int
    ) -> TaskStages {
        guard !config.stages.isEmpty else {
            var success: StageMachine.Trigger?
            if let trigger = config.success, let k = classifiers.index(of: trigger.classifier) {
                success = StageMachine.Trigger(classifier: k, threshold: trigger.threshold, debounceTicks: trigger.debounceTicks, require: trigger.require)
            }
            // No stage timeout: `max_episode_steps` ends the episode as a timeout.
            let stage = StageMachine.Stage(name: "task", promptIndex: 0, success: success, timeoutTicks: .max)
            return TaskStages(machine: StageMachine(stages: [stage]), names: ["task"], motions: [[]], retryPoses: [[]])
        }
        var promptIndex: [String: Int] = [:]
        for stage in config.stages where stage.prompt != nil && promptIndex[stage.prompt!] == nil {
            promptIndex[stage.prompt!] = promptIndex.count + 1
        }
        let stages = StageMachine.stages(
            config: config, ticksPerSecond: ticksPerSecond, classifierIndex: { classifiers.index(of: $0) },
            promptIndex: { stage in stage.prompt.flatMap { promptIndex[$0] } ?? 0 }, residualIndex: residualIndex)
        func steps(_ waypoints: [MotionWaypoint]?) -> [StageMotionStep] {
            (waypoints ?? []).compactMap { waypoint in
                guard let arm = config.arms.firstIndex(where: { $0.name == waypoint.arm }) else { return nil }
                var joints = InlineArray<8, Double>(repeating: 0)
                for (j, q) in waypoint.jointsRad.prefix(8).enumerated() { joints[j] = q }
                return StageMotionStep(
                    arm: arm, joints: joints, jointCount: min(8, waypoint.jointsRad.count), gripper: waypoint.gripper,
                    durationTicks: max(1, Int((waypoint.durationS * ticksPerSecond).rounded())))
            }
        }
        return TaskStages(
            machine: StageMachine(stages: stages), names: config.stages.map(\.name),
            motions: config.stages.map { steps($0.motion) }, retryPoses: config.stages.map { steps($0.retryPose) })
    }

    /// The policy worker's prompt table: the task prompt, then each distinct stage prompt in
    /// order of first use (what `Stage.promptIndex` indexes).
    static func prompts(config: RobotConfig) -> [String] {
        var prompts = [config.task]
        for stage in config.stages {
            if let prompt = stage.prompt, !prompts.dropFirst().contains(prompt) { prompts.append(prompt) }
        }
        return prompts
    }
}
