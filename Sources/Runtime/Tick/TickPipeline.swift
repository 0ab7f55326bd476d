import Drivers
import Foundation
import Synchronization
import PLDCore
import Policies
import Recording
import Safety
import Tasks
import Wire

/// The control thread's whole world: everything the tick reads and writes, allocated once at
/// setup, then touched only by the control thread (except the atomics in `status` and the
/// queues, which are the hand-off points to other threads).
///
/// `tick(_:)` is the pipeline of DESIGN.md §3 as named stages:
///
///     readArms → readFeatures → takeChunks → (reset | settle | episode) where
///     episode = observe → baseAction → residual → compose → safety → egress → successCheck
///               → endOfStep (record the step; end the episode on success or timeout)
///
/// Steady-state rule: no heap allocation, no locks, no blocking I/O, no logging. Results that
/// other threads need leave through SPSC queues (`episodeResults`, `policyRequests`, the
/// recorder's queue) and atomics (`status`).
final class TickPipeline: @unchecked Sendable {
    // @unchecked: owned by the control thread after `start` (see type doc).
    enum Phase: Equatable {
        /// Waiting for a fresh state from every arm before anything moves.
        case connecting
        case reset(startedAtTick: UInt64)
        case settle(startedAtTick: UInt64)
        case episode
        /// The e-stop latch is raised: every arm holds until an operator reset.
        case estopped
        /// A link failed during an episode (which was closed as aborted): the arms hold until
        /// the link is healthy again and the back-off has passed, then reset and continue.
        case recovering(FaultKind, sinceTick: UInt64)
        case finished
    }

    /// What failed, for recovery and the fault counters.
    enum FaultKind: Int, Equatable {
        case driver, policy, camera
    }

    /// When a failing link becomes a fault, and how the run backs off (ticks, from
    /// `operator.*` in the config, scaled by `--speed` through the tick period).
    struct FaultPolicy {
        var staleStateTicks: UInt64
        var policyStallTicks: UInt64
        var cameraFreezeTicks: UInt64
        var backoffTicks: UInt64
        var maxBackoffTicks: UInt64
        var maxConsecutiveFaults: Int
        /// Cameras whose freeze is a fault (the ones the policy or recorder reads).
        var watchedCameras: [Int]
    }

    // Parts.
    let egress: Egress
    let arms: [ArmLink]
    let armConfigs: [ArmConfig]
    let scheduler: ChunkScheduler
    /// The run's residual first, then one per distinct stage weights file. The first is
    /// swapped for the learner's newest weights between episodes (`learner`).
    var residuals: [ResidualPolicy]
    /// The in-process residual learner's link: steps out, weights in. Nil without learning.
    let learner: LearnerLink?
    let residualScale: ActionVector
    let handoff: HandoffSampler
    var safety: SafetyChain
    /// Every reward classifier, scored each episode tick (and before gates are checked).
    let classifiers: RewardClassifiers
    /// The task's stages; a single-stage task is one implicit stage (`TaskStages`).
    let stages: TaskStages
    let policyRequests: SPSCQueue<PolicyRequest>
    let chunks: SPSCQueue<BaseChunk>
    let features: TripleBuffer<FeatureSnapshot>
    let episodeResults: SPSCQueue<EpisodeResult>
    let status: RunStatusBoard
    let stageTimings: StageTimings
    let policySampler: ObservationSampler
    let residualSampler: ObservationSampler
    let featureIndex: [String: Int]
    let kinematics: [ArmKinematicsBox?]
    let home: [HomeTarget]
    let reset: ResetConfig?
    let maxEpisodeSteps: Int
    let periodS: Double
    let resetTimeoutTicks: UInt64
    let settleTimeoutTicks: UInt64
    let episodeLimit: UInt64?
    let deadlineNanos: UInt64?
    /// Writes every episode tick to disk on its own thread; nil when recording is off.
    let recorder: Recorder?
    let sensors: SensorHub
    /// For each recorded camera (the recorder layout's order), its index in `sensors`.
    let recordedCameras: [Int]
    /// Whether the tick records classifier scores (the recorder layout names them all).
    let recordsClassifiers: Bool
    /// Index of the first episode of this run (a resumed run directory continues its numbering).
    let firstEpisodeIndex: UInt64

    // State, preallocated.
    var states: UnsafeMutableBufferPointer<ArmState>
    var statesArray: [ArmState]
    var featureSnapshot: FeatureSnapshot
    var previousSafety: SafetyOutput
    var residualInput: UnsafeMutableBufferPointer<Double>
    var residualAction: ActionVector
    var baseAction: ActionVector
    var lastBaseAction: ActionVector
    var resetWaypoints: [InlineArray<8, Double>]
    var phase: Phase
    var episode: UInt64 = 0
    var step = 0
    var handoffStep: Int?
    var episodeStartNanos: UInt64 = 0
    var episodeStalls = 0
    var episodeSafetyEvents = 0
    var episodeResidualSteps = 0
    var episodeDroppedSteps = 0
    /// The tick being recorded (filled stage by stage, pushed at the end of the step).
    var record: TickRecord
    /// The executed action of the last tick, in the action space (holds keep its gripper).
    var lastExecuted: ActionVector
    /// Last gripper command per arm, 0 open … 1 closed (recorded on hold ticks).
    var lastGripperSent = InlineArray<4, Double>(repeating: 0)
    /// What each arm was sent this tick (hold or the chain's command).
    var sentCommands = InlineArray<4, ArmCommand>(repeating: .hold(jointCount: 0))
    let stopFlag = Atomic<Bool>(false)
    var stopRequested: Bool { stopFlag.load(ordering: .relaxed) }
    var currentTick: UInt64 = 0
    /// Operator requests (pause, reset, stop after the episode, marks).
    let control: RunControl
    let faults: FaultPolicy
    /// True while the reset running was asked for by an operator (state "resetting").
    var operatorReset = false
    var wasPaused = false
    /// A reset saw a stale arm: its waypoints restart from the next fresh state.
    var resetNeedsReseed = false
    /// Fault detection, per episode: consecutive stale-state and policy-stall ticks, and each
    /// watched camera's newest sequence and the tick it last changed.
    var staleRun: UInt64 = 0
    var stallRun: UInt64 = 0
    /// Consecutive stale-state ticks while resetting or settling (no episode to abort): past
    /// the same grace period it is a driver fault too, counted once per outage.
    var staleRunBetweenEpisodes: UInt64 = 0
    var cameraSequence: [UInt64]
    var cameraChangedTick: [UInt64]
    /// Episodes in a row that ended in a fault; at `maxConsecutiveFaults` the run pauses.
    var consecutiveFaults = 0
    var backoffTicks: UInt64 = 0
    /// Why the run paused by itself (nil: not self-paused).
    var selfPause: RunStatusBoard.PauseCause?
    var selfPauseDetail = 0
    // Task stages (TickPipeline+Stages.swift).
    var currentStage = 0
    /// Index into the policy worker's prompt table of the stage running now.
    var promptIndex = 0
    /// How the stage machine ended the episode; the step that set it ends the episode.
    var stageEnding: StageMachine.Ending?
    /// A scripted stage's motion or a retry's re-approach, running instead of the policy.
    var motion: StageMotionRun?
    /// A `restart` transition: the reset runs, then the same episode goes on at the first stage.
    var resumeEpisodeAfterReset = false
    /// A stage said `abort`: the run ends after closing the episode.
    var abortRun = false
    /// The reset's gates were checked since it (re)started (`resetTick`).
    var resetGatesChecked = false
    // Learning (TickPipeline+Learning.swift).
    var learnerStep = LearnerStep()
    /// Weights version of the run's residual (0: the config's; n: the learner's n-th).
    var residualVersion = 0
    /// This episode runs base-only for the learner's warm-up.
    var warmupEpisode = false
    /// u of this tick: the residual's pre-ξ action (zero when it did not act).
    var residualRaw = ActionVector(count: 0)

    struct HomeTarget {
        var joints: InlineArray<8, Double>
        var jointCount: Int
        var gripper: Double
    }

    init(
        egress: Egress, armConfigs: [ArmConfig], scheduler: ChunkScheduler, residuals: [ResidualPolicy],
        residualScale: ActionVector, handoff: HandoffSampler, safety: SafetyChain, classifiers: RewardClassifiers,
        stages: TaskStages, policyRequests: SPSCQueue<PolicyRequest>, chunks: SPSCQueue<BaseChunk>,
        features: TripleBuffer<FeatureSnapshot>, featureCount: Int, episodeResults: SPSCQueue<EpisodeResult>,
        status: RunStatusBoard, stageTimings: StageTimings, policySampler: ObservationSampler,
        residualSampler: ObservationSampler, featureIndex: [String: Int], kinematics: [ArmKinematicsBox?],
        home: [HomeTarget], reset: ResetConfig?, maxEpisodeSteps: Int, periodS: Double, timeScale: Double,
        episodeLimit: UInt64?, deadlineNanos: UInt64?, recorder: Recorder?, sensors: SensorHub, recordedCameras: [Int],
        recordsClassifiers: Bool, firstEpisodeIndex: UInt64, control: RunControl, faults: FaultPolicy,
        learner: LearnerLink? = nil
    ) {
        self.control = control
        self.faults = faults
        cameraSequence = [UInt64](repeating: 0, count: faults.watchedCameras.count)
        cameraChangedTick = [UInt64](repeating: 0, count: faults.watchedCameras.count)
        backoffTicks = faults.backoffTicks
        self.egress = egress
        arms = egress.arms
        self.armConfigs = armConfigs
        self.scheduler = scheduler
        self.residuals = residuals
        self.learner = learner
        self.residualScale = residualScale
        self.handoff = handoff
        self.safety = safety
        self.classifiers = classifiers
        self.stages = stages
        self.policyRequests = policyRequests
        self.chunks = chunks
        self.features = features
        self.episodeResults = episodeResults
        self.status = status
        self.stageTimings = stageTimings
        self.policySampler = policySampler
        self.residualSampler = residualSampler
        self.featureIndex = featureIndex
        self.kinematics = kinematics
        self.home = home
        self.reset = reset
        self.maxEpisodeSteps = maxEpisodeSteps
        self.periodS = periodS
        let ticksPerSecond = 1 / (periodS * timeScale)
        resetTimeoutTicks = UInt64((reset?.timeoutS ?? 30) * ticksPerSecond)
        settleTimeoutTicks = UInt64(5 * ticksPerSecond)
        self.episodeLimit = episodeLimit
        self.deadlineNanos = deadlineNanos
        self.recorder = recorder
        self.sensors = sensors
        self.recordedCameras = recordedCameras
        self.recordsClassifiers = recordsClassifiers
        self.firstEpisodeIndex = firstEpisodeIndex
        record = TickRecord(actionWidth: safety.actionDimension)
        lastExecuted = ActionVector(count: safety.actionDimension)
        states = .allocate(capacity: armConfigs.count)
        _ = states.initialize(from: egress.arms.map(\.state))
        statesArray = egress.arms.map(\.state)
        statesArray.reserveCapacity(armConfigs.count)
        featureSnapshot = features.read().value
        previousSafety = safety.holding
        residualInput = .allocate(capacity: max(1, residualSampler.valueCount))
        residualInput.initialize(repeating: 0)
        let actionDimensions = safety.actionDimension
        residualAction = ActionVector(count: actionDimensions)
        residualRaw = ActionVector(count: actionDimensions)
        baseAction = ActionVector(count: actionDimensions)
        lastBaseAction = ActionVector(count: actionDimensions)
        resetWaypoints = home.map(\.joints)
        phase = .connecting
    }

    deinit {
        states.deallocate()
        residualInput.deallocate()
    }

    // MARK: Before the first tick

    /// Runs the safety chain once through each intervention path (non-finite action, box
    /// clamp, step cap, workspace and joint limits) on synthetic mid-range states, on the
    /// calling thread, before the loop starts. The Swift runtime instantiates some generic
    /// metadata and witness tables lazily — allocating — the first time a path runs; a clamp
    /// first needed mid-episode must not allocate on the control thread then. `apply` is a
    /// pure function, so this changes no state.
    func warmUpSafetyPaths() {
        var synthetic: [ArmState] = []
        for i in 0..<armConfigs.count {
            var state = egress.arms[i].state
            let limits = armConfigs[i].jointLimits
            for j in 0..<min(state.jointCount, limits.lowerRad.count, limits.upperRad.count) {
                state.q[j] = (limits.lowerRad[j] + limits.upperRad[j]) / 2
            }
            if let box = kinematics[i] { state.eePose = box.pose(state.q, jointCount: state.jointCount) }
            state.hasState = true
            synthetic.append(state)
        }
        let width = safety.actionDimension
        var previous = safety.holding
        for value in [0.0, 0.01, .nan, .infinity, 10, -10, 1e3, -1e3] {
            var action = ActionVector(count: width)
            for d in 0..<width { action[d] = value }
            previous = safety.apply(action, states: synthetic, previous: previous, periodS: periodS)
            _ = safety.apply(action, states: synthetic, previous: safety.holding, periodS: periodS)
        }
    }

    // MARK: The tick

    /// One control period. Returns false when the run is over.
    func tick(_ timing: TickTiming) -> Bool {
        let now = timing.wakeNanos
        currentTick = timing.index
        var mark = now
        readArms(now: now)
        readFeatures()
        takeChunks(tick: timing.index)
        mark = stageTimings.record(.read, since: mark)
        let recordingFailed = recorder?.hasFailed ?? false
        // `--duration` ends a run that is waiting — paused (by itself or an operator), e-stopped
        // or recovering from a fault — too: an unattended run must end and write its report.
        // A running episode finishes first (`beginEpisode` checks the deadline).
        var waiting = control.isPaused || phase == .estopped
        if case .recovering = phase { waiting = true }
        let outOfTime = waiting && deadlineNanos.map { now >= $0 } == true
        if stopRequested || recordingFailed || outOfTime {
            // An episode cut short is still closed and recorded, with the reason.
            if episodeOpen {
                endEpisode(now: now, outcome: .aborted(egress.isLatched ? .estop : recordingFailed ? .recording : .stopped))
            }
            holdAll(now: now)
            phase = .finished
        } else if egress.isLatched, phase != .estopped, phase != .finished {
            // Raised by an operator (on its own thread, which already sent the holds), a
            // fatal safety event, or the dead-man: nothing moves until a reset.
            if episodeOpen { endEpisode(now: now, outcome: .aborted(.estop)) }
            phase = .estopped
            operatorReset = false
            holdAll(now: now)
        }
        if let ticket = control.pendingReset { answerReset(ticket, tick: timing.index, now: now) }
        if let mark = control.takeMark(), episodeOpen {
            status.count(.interventions)
            endEpisode(now: now, outcome: mark == .success ? .success : .aborted(.operatorFailure))
        }
        // Paused (by an operator or by the run itself): hold in place; the phase resumes
        // where it was (an episode continues with a fresh chunk).
        let paused = control.isPaused && phase != .finished && phase != .estopped
        if paused {
            holdAll(now: now)
            wasPaused = true
            publishState()
            status.publishTick(episode: episode, step: step, phase: phase)
            return true
        }
        if wasPaused {
            wasPaused = false
            selfPause = nil
            if phase == .episode { scheduler.reset(now: now) }
            resetGatesChecked = false  // a resumed reset checks its gates again
            resetFaultWatch(tick: timing.index)
        }
        switch phase {
        case .connecting:
            holdAll(now: now)
            if allArmsFresh { reset == nil ? beginSettle(tick: timing.index) : beginReset(tick: timing.index) }
        case let .reset(started):
            watchStateBetweenEpisodes()
            resetTick(tick: timing.index, startedAt: started, now: now)
        case let .settle(started):
            watchStateBetweenEpisodes()
            settleTick(tick: timing.index, startedAt: started, now: now)
        case .episode:
            if let fault = detectFault(tick: timing.index) {
                holdAll(now: now)
                beginRecovery(fault, tick: timing.index, now: now)
            } else {
                episodeTick(tick: timing.index, now: now, mark: mark)
            }
        case .estopped:
            holdAll(now: now)
        case let .recovering(kind, since):
            recoverTick(kind, tick: timing.index, since: since, now: now)
        case .finished:
            holdAll(now: now)
            publishState()
            return false
        }
        publishState()
        status.publishTick(episode: episode, step: step, phase: phase)
        return true
    }

    /// The operator-facing state of the run.
    private func publishState() {
        if control.isPaused && phase != .finished && phase != .estopped {
            status.publish(state: .paused, pauseCause: selfPause ?? .operatorRequest, faultDetail: selfPauseDetail)
            return
        }
        switch phase {
        case .connecting: status.publish(state: .starting)
        case .reset: status.publish(state: operatorReset ? .resetting : .running)
        case .settle, .episode: status.publish(state: stopRequested || control.stopAfterEpisode ? .stopping : .running)
        case .estopped: status.publish(state: .estopped)
        case let .recovering(kind, _): status.publish(state: .faulted, faultDetail: kind.rawValue)
        case .finished: status.publish(state: .finished)
        }
    }

    // MARK: Operator reset

    /// Answers a `pld reset`: refuses while a gate fails, else aborts a running episode, clears
    /// the e-stop latch and starts the reset procedure.
    private func answerReset(_ ticket: UInt64, tick: UInt64, now: UInt64) {
        if phase == .finished || stopRequested { return control.answerReset(ticket, .finishing) }
        if let failing = failingGate() { return control.answerReset(ticket, .gateFailed(index: failing)) }
        if episodeOpen { endEpisode(now: now, outcome: .aborted(.operatorReset)) }
        status.count(.manualResets)
        consecutiveFaults = 0
        backoffTicks = faults.backoffTicks
        if selfPause != nil { control.setPaused(false); selfPause = nil }
        egress.clearLatch()
        holdAll(now: now)
        if reset == nil {
            control.answerReset(ticket, .noProcedure)
            beginSettle(tick: tick)
        } else {
            control.answerReset(ticket, .accepted)
            beginReset(tick: tick)
            operatorReset = true
        }
    }

    /// Index of the first `reset.gates` entry that does not hold, nil when all hold (classifiers
    /// are scored afresh first).
    func failingGate() -> Int? {
        guard let gates = reset?.gates, !gates.isEmpty else { return nil }
        evaluateClassifiers(now: monotonicNanos())
        return Gates.firstFailing(gates, in: gateContext)
    }

    // MARK: Faults: detect during an episode, hold, recover

    func resetFaultWatch(tick: UInt64) {
        staleRun = 0
        stallRun = 0
        for c in 0..<faults.watchedCameras.count {
            cameraSequence[c] = sensors.newestSequence(camera: faults.watchedCameras[c])
            cameraChangedTick[c] = tick
        }
    }

    /// A link that has failed for longer than its grace period, or nil.
    private func detectFault(tick: UInt64) -> FaultKind? {
        staleRun = allArmsFresh ? 0 : staleRun + 1
        if staleRun > faults.staleStateTicks { return .driver }
        if stallRun > faults.policyStallTicks { return .policy }
        for c in 0..<faults.watchedCameras.count {
            let sequence = sensors.newestSequence(camera: faults.watchedCameras[c])
            if sequence != cameraSequence[c] {
                cameraSequence[c] = sequence
                cameraChangedTick[c] = tick
            } else if tick &- cameraChangedTick[c] > faults.cameraFreezeTicks {
                return .camera
            }
        }
        return nil
    }

    /// A driver lost while no episode runs (a reset or settle holds and waits for a fresh
    /// state by itself): counted as a driver fault and as `faultsBetweenEpisodes`, so the
    /// counters and the report show every outage, not only those that aborted an episode.
    private func watchStateBetweenEpisodes() {
        guard !allArmsFresh else {
            staleRunBetweenEpisodes = 0
            return
        }
        staleRunBetweenEpisodes += 1
        if staleRunBetweenEpisodes == faults.staleStateTicks + 1 {
            status.count(.faultsDriver)
            status.count(.faultsBetweenEpisodes)
        }
    }

    private func beginRecovery(_ fault: FaultKind, tick: UInt64, now: UInt64) {
        let reason: EpisodeOutcome.AbortReason = switch fault {
        case .driver: .driverLost
        case .policy: .policyLost
        case .camera: .cameraFrozen
        }
        status.count(fault == .driver ? .faultsDriver : fault == .policy ? .faultsPolicy : .faultsCamera)
        endEpisode(now: now, outcome: .aborted(reason))
        consecutiveFaults += 1
        phase = .recovering(fault, sinceTick: tick)
        if consecutiveFaults >= faults.maxConsecutiveFaults {
            // Repeated failures: stop trying by ourselves and say why (status, live view).
            selfPause = .repeatedFaults
            selfPauseDetail = fault.rawValue
            control.setPaused(true)
        }
    }

    /// Holds until the failed link is healthy and the back-off (doubling per consecutive fault,
    /// capped) has passed, then resets and continues.
    private func recoverTick(_ kind: FaultKind, tick: UInt64, since: UInt64, now: UInt64) {
        holdAll(now: now)
        guard tick &- since >= backoffTicks else { return }
        var healthy = allArmsFresh
        if kind == .camera {
            for c in 0..<faults.watchedCameras.count
            where sensors.newestSequence(camera: faults.watchedCameras[c]) == cameraSequence[c] { healthy = false }
        }
        guard healthy else { return }
        backoffTicks = min(backoffTicks * 2, faults.maxBackoffTicks)
        reset == nil ? beginSettle(tick: tick) : beginReset(tick: tick)
    }

    // MARK: Stages shared by every phase

    /// Drains every arm's state socket (inside the egress ownership word) and copies the states.
    private func readArms(now: UInt64) {
        let states = self.states
        let kinematics = self.kinematics
        _ = egress.withLinks { arms in
            for i in 0..<arms.count {
                arms[i].poll(now: now)
                var state = arms[i].state
                // PLD arms report joints only: their end-effector pose comes from our kinematics.
                if let box = kinematics[i], state.hasState, !state.hasEEPose {
                    state.eePose = box.pose(state.q, jointCount: state.jointCount)
                }
                states[i] = state
            }
        }
        for i in 0..<states.count {
            statesArray[i] = states[i]
            status.publishArm(i, receivedAtNanos: states[i].receivedAtNanos, stale: !states[i].hasState || states[i].isStale)
        }
    }

    private func readFeatures() {
        let (snapshot, _) = features.read()
        featureSnapshot = snapshot
    }

    private func takeChunks(tick: UInt64) {
        while let chunk = chunks.pop() {
            _ = scheduler.accept(chunk, tick: tick)
        }
    }

    func holdAll(now: UInt64) {
        _ = egress.withLinks { arms in
            // Indexed: an iterator over the array can allocate a coroutine frame in unoptimised
            // builds, and this runs every stalled tick.
            for i in 0..<arms.count { arms[i].hold(now: now) }
        }
        previousSafety = safety.holding
        for i in 0..<armConfigs.count { recordHold(arm: i) }
    }

    // MARK: Reset: a slow joint-space move home, gripper open first

    private var allArmsFresh: Bool {
        for i in 0..<states.count where !states[i].hasState || states[i].isStale { return false }
        return true
    }

    /// Starts a reset from the measured joints.
    func beginReset(tick: UInt64) {
        resetGatesChecked = false
        for i in 0..<home.count {
            for j in 0..<home[i].jointCount { resetWaypoints[i][j] = states[i].q[j] }
        }
        phase = .reset(startedAtTick: tick)
    }

    private func resetTick(tick: UInt64, startedAt: UInt64, now: UInt64) {
        guard let reset else { return beginSettle(tick: tick) }
        // Never move on a stale state (a driver restarting mid-reset): hold, and start the
        // move again from the joints measured once the state is fresh.
        guard allArmsFresh else {
            holdAll(now: now)
            resetNeedsReseed = true
            phase = .reset(startedAtTick: tick)
            return
        }
        if resetNeedsReseed {
            resetNeedsReseed = false
            return beginReset(tick: tick)
        }
        // ENPIRE's lesson: never reset by ourselves while, say, the gripper holds a part it
        // should not. Pause, say which gate, and wait for an operator (who removes the part and
        // resumes, or runs `pld reset`, which checks the gates again).
        if !resetGatesChecked {
            resetGatesChecked = true
            if let failing = failingGate() {
                holdAll(now: now)
                selfPause = .resetGate
                selfPauseDetail = failing + 1
                control.setPaused(true)
                return
            }
        }
        let maxStep = reset.maxJointSpeedRadPerS * periodS
        var arrived = true
        let elapsed = tick &- startedAt
        let gripperFirst = reset.openGripperFirst && elapsed < UInt64(0.5 / periodS)
        // While a Franka link runs its controller-switch preamble (about 1 s of NO_CONTROL), the
        // joint goal only waits: advancing the waypoint meanwhile would make the first
        // JOINT_POSITION goal a jump of up to a second's worth of motion.
        var switching = false
        _ = egress.withLinks { arms in
            for i in 0..<arms.count {
                if case let .franka(link) = arms[i], link.isSwitchingController { switching = true }
            }
        }
        for i in 0..<home.count {
            let target = home[i]
            if switching {
                arrived = false
            } else if !gripperFirst {
                for j in 0..<target.jointCount {
                    let d = target.joints[j] - resetWaypoints[i][j]
                    resetWaypoints[i][j] += max(-maxStep, min(maxStep, d))
                    if abs(target.joints[j] - states[i].q[j]) > reset.toleranceRad || d != 0 { arrived = false }
                }
            } else {
                arrived = false
            }
        }
        let waypoints = resetWaypoints
        let home = self.home
        _ = egress.withLinks { arms in
            for i in 0..<arms.count {
                switch arms[i] {
                case let .franka(link):
                    _ = link.sendGripper(normalized: home[i].gripper, now: now)
                    if !gripperFirst {
                        var q = InlineArray<7, Double>(repeating: 0)
                        for j in 0..<7 { q[j] = waypoints[i][j] }
                        _ = link.sendJointPosition(q, now: now)
                    } else {
                        _ = link.hold(now: now)
                    }
                case let .pldArm(link):
                    _ = link.sendJointTarget(gripperFirst ? states[i].q : waypoints[i], gripper: home[i].gripper, now: now)
                }
            }
        }
        if arrived {
            beginSettle(tick: tick)
        } else if elapsed > resetTimeoutTicks {
            status.count(.resetTimeouts)
            beginSettle(tick: tick)
        }
    }

    // MARK: Settle: switch Franka arms to their OSC controller before the episode starts

    private func beginSettle(tick: UInt64) { phase = .settle(startedAtTick: tick) }

    private func settleTick(tick: UInt64, startedAt: UInt64, now: UInt64) {
        var ready = true
        _ = egress.withLinks { arms in
            for i in 0..<arms.count {
                if case let .franka(link) = arms[i] {
                    let result = link.sendOSC(TaskSpaceGoal(isDelta: true), now: now)
                    if result != .sent || link.isSwitchingController { ready = false }
                } else {
                    arms[i].hold(now: now)
                }
            }
        }
        // An episode never starts on a stale arm, whatever the timeout says.
        guard allArmsFresh && (ready || tick &- startedAt > settleTimeoutTicks) else { return }
        if resumeEpisodeAfterReset {
            resumeAfterRestart(tick: tick, now: now)
        } else {
            beginEpisode(tick: tick, now: now)
        }
    }

    private func beginEpisode(tick: UInt64, now: UInt64) {
        if let episodeLimit, episode >= episodeLimit { phase = .finished; return }
        if control.stopAfterEpisode { phase = .finished; return }
        if let deadlineNanos, now >= deadlineNanos { phase = .finished; return }
        if let recorder {
            if recorder.hasFailed { phase = .finished; return }
            // A recorder that fell behind catches up before the next episode (the arms keep
            // holding in settle), so episodes are never started only to drop their steps.
            guard recorder.canOpenEpisode else { return }
        }
        // The learner catches up first (arms hold): learning per episode must not depend on
        // how fast this computer trains.
        if learnerIsBehind { return }
        phase = .episode
        step = 0
        let index = firstEpisodeIndex + episode
        swapInLearnedWeights()
        handoffStep = warmupEpisode ? nil : handoff.handoffStep(episode: index)
        for r in 0..<residuals.count { residuals[r].startEpisode(index) }
        scheduler.reset(now: now)
        episodeStartNanos = now
        episodeStalls = 0
        episodeSafetyEvents = 0
        episodeResidualSteps = 0
        episodeDroppedSteps = 0
        operatorReset = false
        resetFaultWatch(tick: tick)
        previousSafety = safety.holding
        startExecutedAction()
        status.beginEpisode(index, handoffStep: handoffStep)
        if let recorder {
            var opening = EpisodeOpening(
                episode: index, handoffStep: handoffStep, startedUnixNanos: wallClockUnixNanos(), startNanos: now)
            opening.residualVersion = residualVersion
            opening.learnerWarmup = warmupEpisode
            // Cannot fail: `canOpenEpisode` saw the queue at most half full.
            _ = recorder.push(.open(opening))
        }
        beginStages(now: now)
    }

    // MARK: Episode

    private func episodeTick(tick: UInt64, now: UInt64, mark start: UInt64) {
        var mark = start
        observe(now: now)
        // Base action: a scripted motion's next target, or the current element of the newest
        // chunk, or a stall (hold).
        let scripted = motion != nil
        if scripted {
            motionAction(tick: tick, into: &baseAction)
        } else {
            let decision = scheduler.next(tick: tick, now: now)
            if decision.shouldRequest && !requestChunk(tick: tick, now: now) { scheduler.cancelRequest() }
            guard decision.stall == nil else {
                mark = stageTimings.record(.base, since: mark)
                stallRun += 1
                episodeStalls += 1
                status.count(.policyStalls)
                holdAll(now: now)
                for d in 0..<record.baseAction.count {
                    record.baseAction[d] = 0
                    record.residualAction[d] = 0
                }
                record.policyStall = true
                recordExecuted()
                // Stages keep time (and may end) while the arm holds.
                taskStage(tick: tick, now: now)
                endOfStep(now: now)
                return
            }
            baseAction = decision.action
        }
        mark = stageTimings.record(.base, since: mark)
        stallRun = 0
        // Residual: a_δ = ξ·tanh(μ(s, a_b) [+ σε]) once the handoff step is reached, in stages
        // that allow it, else 0.
        let stage = stages.machine.stages[currentStage]
        let residualActive = !scripted && stage.residual && (handoffStep.map { step >= $0 } ?? false)
        if residualActive || learner != nil {
            // The learner needs x on every tick, also before the handoff.
            var sink = BufferSink(base: residualInput.baseAddress!, capacity: residualInput.count)
            residualSampler.sample(arms: UnsafeBufferPointer(states), features: featureSnapshot, into: &sink)
        }
        for d in 0..<residualRaw.count { residualRaw[d] = 0 }
        if residualActive {
            let policy = residuals[stage.residualIndex]
            policy.act(features: residualInput.span, baseAction: baseAction, into: &residualAction)
            if policy.xi > 0 { for d in 0..<residualRaw.count { residualRaw[d] = residualAction[d] / policy.xi } }
            for d in 0..<residualAction.count { residualAction[d] *= residualScale[d] }
            episodeResidualSteps += 1
        } else {
            for d in 0..<residualAction.count { residualAction[d] = 0 }
        }
        mark = stageTimings.record(.residual, since: mark)
        // Compose and make safe.
        var composed = baseAction
        for d in 0..<composed.count { composed[d] += residualAction[d] }
        let output = safety.apply(composed, states: statesArray, previous: previousSafety, periodS: periodS)
        mark = stageTimings.record(.safety, since: mark)
        record.baseAction = baseAction
        record.residualAction = residualAction
        record.residualActive = residualActive
        recordSafetyEvents(output.events)
        // Every event counts, also those past the per-tick buffer (the record says the same).
        episodeSafetyEvents += output.events.totalCount
        status.count(.safetyEvents, by: UInt64(output.events.totalCount))
        if output.latchesEStop {
            egress.estop(reason: "safety: \(output.fatalEvent?.rawValue ?? "fatal event")", now: monotonicNanos)
            status.count(.estops)
        }
        // Egress: the only writer of command sockets; holds while the e-stop is latched.
        send(output, now: now)
        previousSafety = output
        recordExecuted()
        mark = stageTimings.record(.egress, since: mark)
        // Task: classifiers, then the stage machine (which may end the episode).
        taskStage(tick: tick, now: now)
        stageTimings.record(.task, since: mark)
        endOfStep(now: now)
    }

    /// Counts the step, hands its record to the recorder, and ends the episode on success or
    /// timeout (the record of the last step says `done`).
    private func endOfStep(now: UInt64) {
        step += 1
        var outcome: EpisodeOutcome?
        if let ending = stageEnding {
            switch ending {
            case .success: outcome = .success
            case let .failure(stage, cause): outcome = .failed(stage: stage, cause: cause)
            case .abort: outcome = .aborted(.stageAbort)
            }
        } else if step >= maxEpisodeSteps {
            outcome = .timeout
        }
        record.done = outcome != nil
        record.reward = outcome == .success ? 1 : 0
        if learner != nil { pushLearnerStep(reward: record.reward, last: outcome != nil, outcome: outcome) }
        if let recorder, !recorder.pushStep(record) {
            episodeDroppedSteps += 1
            status.count(.recorderDroppedSteps)
        }
        if let outcome { endEpisode(now: now, outcome: outcome) }
    }

    private func endEpisode(now: UInt64, outcome: EpisodeOutcome) {
        let index = firstEpisodeIndex + episode
        stages.machine.abandon()
        var result = EpisodeResult(
            index: index, outcome: outcome, steps: step, handoffStep: handoffStep,
            durationNanos: now &- episodeStartNanos, policyStalls: episodeStalls,
            safetyEvents: episodeSafetyEvents, residualSteps: episodeResidualSteps, droppedSteps: episodeDroppedSteps)
        result.finalStage = currentStage
        result.residualVersion = residualVersion
        result.learnerWarmup = warmupEpisode
        for k in 0..<min(stages.machine.stages.count, recordMaxStages) {
            let s = stages.machine.stats(k)
            result.stageStats[k] = RecordedStageStats(
                attempts: Int32(clamping: s.attempts), successes: Int32(clamping: s.successes), failures: Int32(clamping: s.failures),
                timeouts: Int32(clamping: s.timeouts), steps: Int32(clamping: s.ticks))
        }
        if let recorder {
            var closing = EpisodeClosing(
                episode: index, outcome: outcome.recorded, abortReason: outcome.recordedAbortReason, steps: step,
                policyStalls: episodeStalls, safetyEvents: episodeSafetyEvents, residualSteps: episodeResidualSteps,
                durationNanos: now &- episodeStartNanos, droppedSteps: episodeDroppedSteps)
            closing.stageStats = result.stageStats
            closing.finalStage = Int32(currentStage)
            // Cannot fail: `pushStep` always leaves `Recorder.reservedSlots` free.
            _ = recorder.push(.close(closing))
        }
        stageEnding = nil
        motion = nil
        resumeEpisodeAfterReset = false
        if learner != nil { closeLearnerEpisode(outcome: outcome) }
        if !episodeResults.push(result) { status.count(.resultsDropped) }
        let completed = outcome.isVerdict
        status.endEpisode(success: outcome == .success, completed: completed)
        episode += 1
        step = 0
        if completed { consecutiveFaults = 0; backoffTicks = faults.backoffTicks }
        // The caller moves an aborted episode on (e-stop, recovery, finish, operator reset);
        // a completed one resets and continues.
        if outcome == .aborted(.stageAbort) {
            // A stage said `abort`: something an operator must look at. The run ends (arms hold).
            abortRun = true
            phase = .finished
        } else if !completed {
            phase = .settle(startedAtTick: currentTick)
        } else if let reset, reset.betweenEpisodes {
            beginReset(tick: currentTick)
        } else {
            phase = .settle(startedAtTick: currentTick)
        }
    }

    /// Pushes the observation values the policy worker needs for a new chunk.
    private func requestChunk(tick: UInt64, now: UInt64) -> Bool {
        var request = PolicyRequest(tick: tick, takenAtNanos: now)
        request.promptIndex = promptIndex
        policySampler.sample(arms: UnsafeBufferPointer(states), features: featureSnapshot, into: &request)
        return policyRequests.push(request)
    }

    private func send(_ output: SafetyOutput, now: UInt64) {
        let latched = egress.isLatched
        let states = self.states
        _ = egress.withLinks { arms in
            for i in 0..<arms.count {
                let command = output.commands[i]
                if latched || command.mode == .hold {
                    arms[i].hold(now: now)
                    recordHold(arm: i)
                    continue
                }
                recordCommand(command, arm: i)
                switch (arms[i], command.mode) {
                case let (.franka(link), .endEffectorDelta):
                    let t = command.translationM, r = command.rotationRad
                    _ = link.sendOSC(TaskSpaceGoal(isDelta: true, x: t.x, y: t.y, z: t.z, ax: r.x, ay: r.y, az: r.z), now: now)
                    if let gripper = command.gripper { _ = link.sendGripper(normalized: gripper, now: now) }
                case let (.franka(link), .jointTargets):
                    var q = InlineArray<7, Double>(repeating: 0)
                    for j in 0..<7 { q[j] = command.jointTargetsRad[j] }
                    _ = link.sendJointPosition(q, now: now)
                    if let gripper = command.gripper { _ = link.sendGripper(normalized: gripper, now: now) }
                case let (.pldArm(link), .jointTargets):
                    _ = link.sendJointTarget(command.jointTargetsRad, gripper: command.gripper ?? states[i].gripperPosition, now: now)
                default:
                    arms[i].hold(now: now)
                    recordHold(arm: i)
                }
            }
        }
    }

    /// A value the success rules read: `feature.<name>[index]` or an arm field element.
    func observedValue(_ source: ObservationSource, _ index: Int) -> Double {
        switch source {
        case let .feature(name):
            guard let f = featureIndex[name], index < featureSnapshot.counts[f] else { return .nan }
            return featureSnapshot.value(feature: f, index: index)
        case let .arm(name, field):
            guard let a = armConfigs.firstIndex(where: { $0.name == name }) else { return .nan }
            let state = states[a]
            switch field {
            case .jointPosition: return index < state.jointCount ? state.q[index] : .nan
            case .jointVelocity: return index < state.jointCount ? state.dq[index] : .nan
            case .gripperPosition: return state.gripperPosition
            case .eePosition: return index < 3 ? state.eePose[12 + index] : .nan
            case .eeQuaternion, .eeAxisAngle: return .nan
            }
        case .camera:
            return .nan
        }
    }

    func requestStop() { stopFlag.store(true, ordering: .relaxed) }
}

/// Appends observation values into a preallocated buffer.
struct BufferSink: ObservationValueSink {
    let base: UnsafeMutablePointer<Double>
    let capacity: Int
    var count = 0
    mutating func append(_ value: Double) -> Bool {
        guard count < capacity else { return false }
        base[count] = value
        count += 1
        return true
    }
}

/// An arm's forward kinematics for the tick: a MuJoCo `ArmKinematics` with its joint buffer,
/// owned by the control thread.
final class ArmKinematicsBox: @unchecked Sendable {
    // @unchecked: used only by the control thread (and Safety's FK calls on it).
    let kinematics: ArmKinematics
    private var q: [Double]

    init(_ kinematics: ArmKinematics, jointCount: Int) {
        self.kinematics = kinematics
        q = [Double](repeating: 0, count: jointCount)
    }

    /// End-effector pose for the first `jointCount` joints of `joints`, column-major 4×4.
    func pose(_ joints: InlineArray<8, Double>, jointCount: Int) -> InlineArray<16, Double> {
        poseValue(joints, jointCount: jointCount).columnMajor
    }

    func poseValue(_ joints: InlineArray<8, Double>, jointCount: Int) -> Pose {
        for j in 0..<min(jointCount, q.count) { q[j] = joints[j] }
        let p = kinematics.pose(q: q)
        let r = p.rotation
        return Pose(
            rotation: Rotation(rowMajor: [r[0, 0], r[0, 1], r[0, 2], r[1, 0], r[1, 1], r[1, 2], r[2, 0], r[2, 1], r[2, 2]]),
            translation: p.position)
    }
}
