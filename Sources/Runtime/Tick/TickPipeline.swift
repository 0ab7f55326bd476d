import Drivers
import Foundation
import Synchronization
import PLDCore
import Policies
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
///     episode = baseAction → residual → compose → safety → egress → successCheck → endOfStep
///
/// Steady-state rule: no heap allocation, no locks, no blocking I/O, no logging. Results that
/// other threads need leave through SPSC queues (`episodeResults`, `policyRequests`) and
/// atomics (`status`).
final class TickPipeline: @unchecked Sendable {
    // @unchecked: owned by the control thread after `start` (see type doc).
    enum Phase: Equatable {
        /// Waiting for a fresh state from every arm before anything moves.
        case connecting
        case reset(startedAtTick: UInt64)
        case settle(startedAtTick: UInt64)
        case episode
        case finished
    }

    // Parts.
    let egress: Egress
    let arms: [ArmLink]
    let armConfigs: [ArmConfig]
    let scheduler: ChunkScheduler
    let residual: ResidualPolicy
    let residualScale: ActionVector
    let handoff: HandoffSampler
    var safety: SafetyChain
    let success: RulesClassifier?
    var successLatch: SuccessLatch
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
    let stopFlag = Atomic<Bool>(false)
    var stopRequested: Bool { stopFlag.load(ordering: .relaxed) }
    var currentTick: UInt64 = 0

    struct HomeTarget {
        var joints: InlineArray<8, Double>
        var jointCount: Int
        var gripper: Double
    }

    init(
        egress: Egress, armConfigs: [ArmConfig], scheduler: ChunkScheduler, residual: ResidualPolicy,
        residualScale: ActionVector, handoff: HandoffSampler, safety: SafetyChain, success: RulesClassifier?,
        successLatch: SuccessLatch, policyRequests: SPSCQueue<PolicyRequest>, chunks: SPSCQueue<BaseChunk>,
        features: TripleBuffer<FeatureSnapshot>, featureCount: Int, episodeResults: SPSCQueue<EpisodeResult>,
        status: RunStatusBoard, stageTimings: StageTimings, policySampler: ObservationSampler,
        residualSampler: ObservationSampler, featureIndex: [String: Int], kinematics: [ArmKinematicsBox?],
        home: [HomeTarget], reset: ResetConfig?, maxEpisodeSteps: Int, periodS: Double, timeScale: Double,
        episodeLimit: UInt64?, deadlineNanos: UInt64?
    ) {
        self.egress = egress
        arms = egress.arms
        self.armConfigs = armConfigs
        self.scheduler = scheduler
        self.residual = residual
        self.residualScale = residualScale
        self.handoff = handoff
        self.safety = safety
        self.success = success
        self.successLatch = successLatch
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
        states = .allocate(capacity: armConfigs.count)
        _ = states.initialize(from: egress.arms.map(\.state))
        statesArray = egress.arms.map(\.state)
        statesArray.reserveCapacity(armConfigs.count)
        featureSnapshot = FeatureSnapshot(featureCount: featureCount)
        previousSafety = safety.holding
        residualInput = .allocate(capacity: max(1, residualSampler.valueCount))
        residualInput.initialize(repeating: 0)
        let actionDimensions = safety.actionDimension
        residualAction = ActionVector(count: actionDimensions)
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
        if stopRequested || egress.isLatched && phase == .episode {
            if egress.isLatched && phase == .episode { endEpisode(now: now, outcome: .aborted(.estop)) }
            holdAll(now: now)
            if stopRequested { phase = .finished }
        }
        switch phase {
        case .connecting:
            holdAll(now: now)
            if allArmsFresh { reset == nil ? beginSettle(tick: timing.index) : beginReset(tick: timing.index) }
        case let .reset(started):
            resetTick(tick: timing.index, startedAt: started, now: now)
        case let .settle(started):
            settleTick(tick: timing.index, startedAt: started, now: now)
        case .episode:
            episodeTick(tick: timing.index, now: now, mark: mark)
        case .finished:
            holdAll(now: now)
            return false
        }
        status.publishTick(episode: episode, step: step, phase: phase)
        return true
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
        for i in 0..<states.count { statesArray[i] = states[i] }
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

    private func holdAll(now: UInt64) {
        _ = egress.withLinks { arms in
            // Indexed: an iterator over the array can allocate a coroutine frame in unoptimised
            // builds, and this runs every stalled tick.
            for i in 0..<arms.count { arms[i].hold(now: now) }
        }
        previousSafety = safety.holding
    }

    // MARK: Reset: a slow joint-space move home, gripper open first

    private var allArmsFresh: Bool {
        for i in 0..<states.count where !states[i].hasState || states[i].isStale { return false }
        return true
    }

    /// Starts a reset from the measured joints.
    private func beginReset(tick: UInt64) {
        for i in 0..<home.count {
            for j in 0..<home[i].jointCount { resetWaypoints[i][j] = states[i].q[j] }
        }
        phase = .reset(startedAtTick: tick)
    }

    private func resetTick(tick: UInt64, startedAt: UInt64, now: UInt64) {
        guard let reset else { return beginSettle(tick: tick) }
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
        if !allArmsFresh { ready = false }
        if ready || tick &- startedAt > settleTimeoutTicks { beginEpisode(tick: tick, now: now) }
    }

    private func beginEpisode(tick: UInt64, now: UInt64) {
        if let episodeLimit, episode >= episodeLimit { phase = .finished; return }
        if let deadlineNanos, now >= deadlineNanos { phase = .finished; return }
        phase = .episode
        step = 0
        handoffStep = handoff.handoffStep(episode: episode)
        residual.startEpisode(episode)
        scheduler.reset(now: now)
        successLatch.reset()
        episodeStartNanos = now
        episodeStalls = 0
        episodeSafetyEvents = 0
        episodeResidualSteps = 0
        previousSafety = safety.holding
        status.beginEpisode(episode, handoffStep: handoffStep)
    }

    // MARK: Episode

    private func episodeTick(tick: UInt64, now: UInt64, mark start: UInt64) {
        var mark = start
        // Base action: the current element of the newest chunk, or a stall (hold).
        let decision = scheduler.next(tick: tick, now: now)
        if decision.shouldRequest && !requestChunk(tick: tick, now: now) { scheduler.cancelRequest() }
        mark = stageTimings.record(.base, since: mark)
        guard decision.stall == nil else {
            episodeStalls += 1
            status.count(.policyStalls)
            holdAll(now: now)
            endOfStep(now: now)
            return
        }
        baseAction = decision.action
        // Residual: a_δ = ξ·tanh(μ(s, a_b) [+ σε]) once the handoff step is reached, else 0.
        let residualActive = handoffStep.map { step >= $0 } ?? false
        if residualActive {
            var sink = BufferSink(base: residualInput.baseAddress!, capacity: residualInput.count)
            residualSampler.sample(arms: UnsafeBufferPointer(states), features: featureSnapshot, into: &sink)
            residual.act(features: residualInput.span, baseAction: baseAction, into: &residualAction)
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
        episodeSafetyEvents += output.events.count
        status.count(.safetyEvents, by: UInt64(output.events.count))
        if output.latchesEStop {
            egress.estop(reason: "safety: \(output.fatalEvent?.rawValue ?? "fatal event")", now: monotonicNanos)
            status.count(.estops)
        }
        // Egress: the only writer of command sockets; holds while the e-stop is latched.
        send(output, now: now)
        previousSafety = output
        mark = stageTimings.record(.egress, since: mark)
        // Success from the task's check.
        if let success {
            let score = success.score(observedValue)
            successLatch.update(score: score)
        }
        stageTimings.record(.task, since: mark)
        endOfStep(now: now)
    }

    private func endOfStep(now: UInt64) {
        step += 1
        if successLatch.latched {
            endEpisode(now: now, outcome: .success)
        } else if step >= maxEpisodeSteps {
            endEpisode(now: now, outcome: .timeout)
        }
    }

    private func endEpisode(now: UInt64, outcome: EpisodeOutcome) {
        let result = EpisodeResult(
            index: episode, outcome: outcome, steps: step, handoffStep: handoffStep,
            durationNanos: now &- episodeStartNanos, policyStalls: episodeStalls,
            safetyEvents: episodeSafetyEvents, residualSteps: episodeResidualSteps)
        if !episodeResults.push(result) { status.count(.resultsDropped) }
        status.endEpisode(success: outcome == .success)
        episode += 1
        step = 0
        if case .aborted = outcome {
            phase = .finished
        } else if let reset, reset.betweenEpisodes {
            beginReset(tick: currentTick)
        } else {
            phase = .settle(startedAtTick: currentTick)
        }
    }

    /// Pushes the observation values the policy worker needs for a new chunk.
    private func requestChunk(tick: UInt64, now: UInt64) -> Bool {
        var request = PolicyRequest(tick: tick, takenAtNanos: now)
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
                    continue
                }
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
                }
            }
        }
    }

    /// A value the success rules read: `feature.<name>[index]` or an arm field element.
    private func observedValue(_ source: ObservationSource, _ index: Int) -> Double {
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
