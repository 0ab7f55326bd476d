import PLDCore

/// Per-stage counts of one episode (the episode record and the run report show them).
public struct StageStats: Sendable, Equatable {
    /// Times the stage was entered (first try and retries).
    public var attempts = 0
    public var successes = 0
    /// Ended by its failure classifier or a gate that did not hold.
    public var failures = 0
    public var timeouts = 0
    /// Ticks spent in the stage (all attempts).
    public var ticks = 0
    public init() {}
}

/// Sequences a multi-stage task (the PLD YAM run's "hand-built state machine", HIL-SERL's
/// latching stages): each stage runs until its success classifier latches (score ≥ threshold
/// for `debounce_ticks` consecutive ticks, with its proprioceptive `require` rules holding on
/// those ticks), its failure classifier latches, or its timeout passes; then its transition
/// says where to go. Gates are checked on entering a stage; one that does not hold fails it.
///
/// Threading: built anywhere; afterwards owned by the control thread. `update` allocates
/// nothing (per-stage state lives in buffers reserved at init).
public final class StageMachine: @unchecked Sendable {
    // @unchecked: control-thread state (see type doc).

    /// A stage, resolved against the config (classifier and stage names → indices).
    public struct Stage: Sendable {
        public var name: String
        /// Index into the prompt table (0 = the task prompt).
        public var promptIndex: Int
        public var scripted: Bool
        public var success: Trigger?
        public var failure: Trigger?
        public var timeoutTicks: Int
        public var retries: Int
        public var onSuccess: Target
        public var onFailure: Target
        public var onTimeout: Target
        public var gates: [GateCondition]
        public var hasRetryPose: Bool
        /// The residual may act in this stage (after the handoff step).
        public var residual: Bool
        /// Which residual network acts (0 = the run's; k = the k-th distinct stage weights).
        public var residualIndex: Int

        public init(
            name: String, promptIndex: Int = 0, scripted: Bool = false, success: Trigger? = nil, failure: Trigger? = nil,
            timeoutTicks: Int, retries: Int = 0, onSuccess: Target = .succeed, onFailure: Target = .fail,
            onTimeout: Target = .fail, gates: [GateCondition] = [], hasRetryPose: Bool = false, residual: Bool = true,
            residualIndex: Int = 0
        ) {
            self.name = name
            self.promptIndex = promptIndex
            self.scripted = scripted
            self.success = success
            self.failure = failure
            self.timeoutTicks = timeoutTicks
            self.retries = retries
            self.onSuccess = onSuccess
            self.onFailure = onFailure
            self.onTimeout = onTimeout
            self.gates = gates
            self.hasRetryPose = hasRetryPose
            self.residual = residual
            self.residualIndex = residualIndex
        }
    }

    public struct Trigger: Sendable {
        /// Index into the run's `RewardClassifiers`.
        public var classifier: Int
        public var threshold: Double
        public var debounceTicks: Int
        public var require: [ClassifierRule]

        public init(classifier: Int, threshold: Double = 0.75, debounceTicks: Int = 1, require: [ClassifierRule] = []) {
            self.classifier = classifier
            self.threshold = threshold
            self.debounceTicks = debounceTicks
            self.require = require
        }
    }

    public enum Target: Sendable, Equatable {
        case stage(Int), retry, succeed, fail, restart, abort
    }

    /// Why a stage ended.
    public enum Cause: String, Sendable {
        case success, failure, timeout, gate
    }

    public enum Ending: Sendable, Equatable {
        case success
        /// The task failed in `stage` (a `fail` transition, or retries spent).
        case failure(stage: Int, cause: Cause)
        /// An `abort` transition: the episode is aborted and the run should end.
        case abort(stage: Int, cause: Cause)
    }

    /// What the tick must do after a call.
    public enum Event: Sendable, Equatable {
        case none
        /// `stage` was entered (attempt counts from 1): switch the prompt, the residual and,
        /// for a scripted stage, start its motion.
        case entered(stage: Int, attempt: Int)
        /// A retry with a re-approach: move through the stage's `retry_pose`, then call
        /// `approachFinished`.
        case approach(stage: Int)
        /// Run the reset procedure, then call `restartFinished`.
        case restart
        case ended(Ending)
    }

    public enum Phase: Sendable, Equatable {
        case idle, running, approaching, restarting, ended
    }

    public let stages: [Stage]
    public private(set) var phase = Phase.idle
    public private(set) var current = 0
    public private(set) var ticksInStage = 0
    /// Set by the tick when a scripted stage's motion has reached its last waypoint.
    private var motionDone = false
    private var successRun = 0
    private var failureRun = 0
    private let stats: UnsafeMutableBufferPointer<StageStats>

    /// The most stages a task may have (episode records keep per-stage counts inline).
    public static let maxStages = 16

    public init(stages: [Stage]) {
        precondition(!stages.isEmpty && stages.count <= Self.maxStages)
        self.stages = stages
        stats = .allocate(capacity: stages.count)
        stats.initialize(repeating: StageStats())
    }

    deinit { stats.deallocate() }

    /// This episode's counts for `stage`.
    public func stats(_ stage: Int) -> StageStats { stats[stage] }

    // MARK: Episode

    /// Starts an episode at the first stage (counts cleared).
    public func beginEpisode(gates: (GateCondition) -> Bool) -> Event {
        for i in 0..<stages.count { stats[i] = StageStats() }
        return enter(0, gates: gates, hops: 0)
    }

    /// One tick of the running stage. `scores` are this tick's classifier scores; `require`
    /// evaluates a proprioceptive rule; `gates` a gate (for stages entered on a transition).
    public func update(
        scores: UnsafeMutableBufferPointer<Double>, require: (ClassifierRule) -> Bool, gates: (GateCondition) -> Bool
    ) -> Event {
        guard phase == .running else { return .none }
        let stage = stages[current]
        ticksInStage += 1
        stats[current].ticks += 1
        if let failure = stage.failure, Self.fires(failure, scores, require, run: &failureRun) {
            return finish(.failure, gates: gates)
        }
        // A scripted stage succeeds when its motion is done (and its classifier, if it has one).
        var successFired = stage.scripted
        if let success = stage.success { successFired = Self.fires(success, scores, require, run: &successRun) }
        if successFired && (!stage.scripted || motionDone) { return finish(.success, gates: gates) }
        if ticksInStage >= stage.timeoutTicks { return finish(.timeout, gates: gates) }
        return .none
    }

    /// The tick finished the current scripted stage's motion.
    public func motionFinished() { motionDone = true }

    /// The re-approach motion of a retry is done: enter the stage again.
    public func approachFinished(gates: (GateCondition) -> Bool) -> Event {
        guard phase == .approaching else { return .none }
        return enter(current, gates: gates, hops: 0)
    }

    /// The reset of a `restart` is done: enter the first stage again (attempt counts stay, so
    /// retry budgets hold across restarts).
    public func restartFinished(gates: (GateCondition) -> Bool) -> Event {
        guard phase == .restarting else { return .none }
        return enter(0, gates: gates, hops: 0)
    }

    /// The episode ended from outside (e-stop, fault, operator): stop updating.
    public func abandon() { phase = .ended }

    // MARK: Transitions

    /// Debounced, latched trigger: `debounceTicks` consecutive ticks at or above threshold
    /// with every `require` rule holding. NaN (unknown) breaks the run.
    private static func fires(_ trigger: Trigger, _ scores: UnsafeMutableBufferPointer<Double>, _ require: (ClassifierRule) -> Bool, run: inout Int) -> Bool {
        let score = trigger.classifier < scores.count ? scores[trigger.classifier] : .nan
        var holds = score >= trigger.threshold
        if holds {
            for r in 0..<trigger.require.count where !require(trigger.require[r]) {
                holds = false
                break
            }
        }
        run = holds ? run + 1 : 0
        return run >= trigger.debounceTicks
    }

    private func finish(_ cause: Cause, gates: (GateCondition) -> Bool, hops: Int = 0) -> Event {
        let stage = stages[current]
        switch cause {
        case .success: stats[current].successes += 1
        case .failure, .gate: stats[current].failures += 1
        case .timeout: stats[current].timeouts += 1
        }
        let target = switch cause {
        case .success: stage.onSuccess
        case .failure, .gate: stage.onFailure
        case .timeout: stage.onTimeout
        }
        switch target {
        case let .stage(next):
            return enter(next, gates: gates, hops: hops + 1)
        case .retry:
            guard stats[current].attempts <= stage.retries else { return end(.failure(stage: current, cause: cause)) }
            if stage.hasRetryPose {
                phase = .approaching
                return .approach(stage: current)
            }
            return enter(current, gates: gates, hops: hops + 1)
        case .succeed:
            return end(.success)
        case .fail:
            return end(.failure(stage: current, cause: cause))
        case .restart:
            phase = .restarting
            return .restart
        case .abort:
            return end(.abort(stage: current, cause: cause))
        }
    }

    private func enter(_ index: Int, gates: (GateCondition) -> Bool, hops: Int) -> Event {
        current = index
        ticksInStage = 0
        successRun = 0
        failureRun = 0
        motionDone = false
        phase = .running
        stats[index].attempts += 1
        let stage = stages[index]
        for g in 0..<stage.gates.count where !gates(stage.gates[g]) {
            // Gates failing on every stage of a loop would chain forever within one tick:
            // after one hop per stage, the episode fails here.
            if hops > stages.count { return end(.failure(stage: index, cause: .gate)) }
            return finish(.gate, gates: gates, hops: hops)
        }
        return .entered(stage: index, attempt: stats[index].attempts)
    }

    private func end(_ ending: Ending) -> Event {
        phase = .ended
        return .ended(ending)
    }
}

extension StageMachine {
    /// Resolves a config's stages. `classifierIndex` maps a classifier name to its index in
    /// the run's `RewardClassifiers`; `promptIndex` a stage to its prompt-table index;
    /// `residualIndex` a stage to its residual network. Names were checked at load.
    public static func stages(
        config: RobotConfig, ticksPerSecond: Double, classifierIndex: (String) -> Int?,
        promptIndex: (StageConfig) -> Int, residualIndex: (StageConfig) -> Int
    ) -> [Stage] {
        let names = config.stages.map(\.name)
        func target(_ transition: StageTransition, from index: Int) -> Target {
            switch transition {
            case .next: return index + 1 < names.count ? .stage(index + 1) : .succeed
            case .retry: return .retry
            case .succeed: return .succeed
            case .fail: return .fail
            case .restart: return .restart
            case .abort: return .abort
            case let .stage(name): return .stage(names.firstIndex(of: name) ?? index)
            }
        }
        func trigger(_ t: StageTrigger?) -> Trigger? {
            guard let t, let classifier = classifierIndex(t.classifier) else { return nil }
            return Trigger(classifier: classifier, threshold: t.threshold, debounceTicks: t.debounceTicks, require: t.require)
        }
        return config.stages.enumerated().map { index, stage in
            Stage(
                name: stage.name, promptIndex: promptIndex(stage), scripted: stage.kind == .scriptedMotion,
                success: trigger(stage.success), failure: trigger(stage.failure),
                timeoutTicks: max(1, Int((stage.timeoutS * ticksPerSecond).rounded())), retries: stage.retries,
                onSuccess: target(stage.onSuccess, from: index), onFailure: target(stage.onFailure, from: index),
                onTimeout: target(stage.onTimeout, from: index), gates: stage.gates, hasRetryPose: stage.retryPose != nil,
                residual: stage.residual, residualIndex: residualIndex(stage))
        }
    }
}
