import Recording
import Tasks

/// How an episode ended.
public enum EpisodeOutcome: Sendable, Equatable {
    case success
    /// `max_episode_steps` passed without success.
    case timeout
    /// A task stage failed: its failure classifier fired, a gate did not hold, or it timed out
    /// with no retries left (`fail` transitions).
    case failed(stage: Int, cause: StageMachine.Cause)
    case aborted(AbortReason)

    public enum AbortReason: String, Sendable {
        case estop, safety, driverLost, policyLost, stopped
        /// The recorder could not write (disk full, I/O error): the arm holds and the run ends.
        case recording
        /// A camera the run needs published nothing for `operator.camera_freeze_s`.
        case cameraFrozen
        /// `pld reset` (or the r key) during the episode.
        case operatorReset
        /// The operator judged the episode a failure (f key, mark-failure command).
        case operatorFailure
        /// A stage transition said `abort`; the run ends for an operator to look.
        case stageAbort
    }

    public var label: String {
        switch self {
        case .success: "success"
        case .timeout: "failure (timeout)"
        case let .failed(stage, cause): "failure (stage \(stage): \(cause.rawValue))"
        case let .aborted(reason): "aborted (\(reason.rawValue))"
        }
    }

    /// The label with the stage named (`failure (insert_slot3: timeout)`).
    public func label(stageNames: [String]) -> String {
        guard case let .failed(stage, cause) = self, stage < stageNames.count else { return label }
        return "failure (\(stageNames[stage]): \(cause.rawValue))"
    }

    /// The episode ran to a verdict on the policy (success, timeout, a failed stage, an
    /// operator's failure mark): it enters the rolling success rate. An e-stop, a fault or an
    /// operator reset says nothing about the policy.
    public var isVerdict: Bool {
        switch self {
        case .success, .timeout, .failed, .aborted(.operatorFailure): true
        case .aborted: false
        }
    }
}

/// One finished episode, as the control thread hands it to the main thread (SPSC, inline).
public struct EpisodeResult: Sendable {
    public var index: UInt64
    public var outcome: EpisodeOutcome
    public var steps: Int
    /// Nil: the residual never acted.
    public var handoffStep: Int?
    public var durationNanos: UInt64
    public var policyStalls: Int
    public var safetyEvents: Int
    public var residualSteps: Int
    /// Steps the recorder queue could not take (0 unless the recorder fell behind).
    public var droppedSteps: Int
    /// Per task stage (the first `stageCount` of the run's stages are used).
    public var stageStats = InlineArray<16, RecordedStageStats>(repeating: RecordedStageStats())
    /// The stage the episode ended in.
    public var finalStage = 0
    /// Residual weights version that ran (0: the config's; n: the in-process learner's n-th).
    public var residualVersion = 0
    /// A base-only warm-up episode of the learner.
    public var learnerWarmup = false

    public init(
        index: UInt64, outcome: EpisodeOutcome, steps: Int, handoffStep: Int?, durationNanos: UInt64, policyStalls: Int,
        safetyEvents: Int, residualSteps: Int, droppedSteps: Int
    ) {
        self.index = index
        self.outcome = outcome
        self.steps = steps
        self.handoffStep = handoffStep
        self.durationNanos = durationNanos
        self.policyStalls = policyStalls
        self.safetyEvents = safetyEvents
        self.residualSteps = residualSteps
        self.droppedSteps = droppedSteps
    }
}
