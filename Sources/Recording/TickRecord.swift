import PLDCore

/// Most arms, cameras, classifiers and kept safety events one tick record carries. Configs
/// beyond these are refused when the recorder is set up (`RecordingLayout`).
public let recordMaxArms = 4
public let recordMaxCameras = 8
public let recordMaxClassifiers = 8
public let recordMaxSafetyEvents = 64
/// Feature values per record, packed stream after stream as the control thread's feature
/// snapshot (`FeatureLimits`).
public let recordFeatureValues = FeatureLimits.values
/// The camera sequence of "no frame yet" (camera nodes number frames from 0).
public let noFrameSequence = UInt64.max

/// One arm's measured state at a tick, as recorded (inline storage).
public struct RecordedArm: Sendable {
    /// Joint positions, rad; joints beyond the arm's count are zero.
    public var qRad = InlineArray<8, Double>(repeating: 0)
    /// Joint velocities, rad/s.
    public var dqRadPerS = InlineArray<8, Double>(repeating: 0)
    /// 0 open … 1 closed.
    public var gripper: Double = 0
    /// End-effector pose, 4×4 column-major (translation in [12...14], m).
    public var eePose = InlineArray<16, Double>(repeating: 0)

    public init() {}
}

/// The physical command sent to one arm at a tick: for `ee_delta` arms dx, dy, dz (m), rx, ry,
/// rz (rad), gripper; for joint arms the joint targets (rad) then the gripper.
public struct RecordedCommand: Sendable {
    public var values = InlineArray<9, Double>(repeating: 0)
    /// The arm was sent its hold command (`values` then hold zero deltas / measured joints).
    public var hold = true

    public init() {}
}

/// One safety intervention (the Safety module's event, in indices the layout names).
public struct RecordedSafetyEvent: Sendable {
    /// Index into `RecordingLayout.safetyKindNames`.
    public var kind: UInt8 = 0
    /// Index into `RecordingLayout.safetyStageNames`.
    public var stage: UInt8 = 0
    public var arm: Int8 = 0
    public var element: Int16 = 0
    public var requested: Double = 0
    public var applied: Double = 0

    public init() {}

    public init(kind: UInt8, stage: UInt8, arm: Int8, element: Int16, requested: Double, applied: Double) {
        self.kind = kind
        self.stage = stage
        self.arm = arm
        self.element = element
        self.requested = requested
        self.applied = applied
    }
}

/// Everything the recorder needs about one tick of an episode, filled by the control thread
/// and handed over through the recorder's SPSC queue.
///
/// Inline storage only (about 6 KB): copying it never allocates, so the tick can push it.
public struct TickRecord: Sendable {
    /// Step within the episode, from 0.
    public var step = 0
    /// Monotonic wake time of the tick, ns.
    public var tickNanos: UInt64 = 0
    public var arms = InlineArray<4, RecordedArm>(repeating: RecordedArm())
    /// Feature stream f's values at `[RecordingLayout.featureOffsets[f] + i]` (packed).
    public var features = InlineArray<512, Double>(repeating: 0)
    /// Sequence number of each recorded camera's frame current at the tick
    /// (`noFrameSequence`: none yet), in `RecordingLayout.cameras` order.
    public var cameraSequences = InlineArray<8, UInt64>(repeating: noFrameSequence)
    public var baseAction = ActionVector(count: 0)
    public var residualAction = ActionVector(count: 0)
    public var executedAction = ActionVector(count: 0)
    public var commands = InlineArray<4, RecordedCommand>(repeating: RecordedCommand())
    public var residualActive = false
    public var policyStall = false
    public var done = false
    public var stage: Int32 = 0
    public var reward: Double = 0
    /// Score of each classifier in `RecordingLayout.classifierNames` order; NaN = not evaluated.
    public var classifierScores = InlineArray<8, Double>(repeating: .nan)
    /// Every safety event of the tick, including those past the kept ones.
    public var safetyEventTotal: Int32 = 0
    /// Events kept in `safetyEvents`.
    public var safetyEventCount = 0
    public var safetyEvents = InlineArray<64, RecordedSafetyEvent>(repeating: RecordedSafetyEvent())

    public init(actionWidth: Int) {
        baseAction = ActionVector(count: actionWidth)
        residualAction = ActionVector(count: actionWidth)
        executedAction = ActionVector(count: actionWidth)
    }
}

/// How an episode ended, as recorded.
public enum RecordedOutcome: UInt8, Sendable {
    /// `failure`: a task stage failed (its failure classifier, a gate, its retries spent).
    case success, timeout, aborted, failure

    public var name: String { ["success", "timeout", "aborted", "failure"][Int(rawValue)] }
}

/// Why an aborted episode was aborted (`index.jsonl` `aborted_reason`).
public enum RecordedAbortReason: UInt8, Sendable, CaseIterable {
    case none, estop, safety, driverLost, policyLost, stopped, recording, cameraFrozen, operatorReset, operatorFailure
    /// A stage transition said `abort` (the run ends for an operator to look).
    case stageAbort

    public var name: String? {
        switch self {
        case .none: nil
        case .estop: "estop"
        case .safety: "safety"
        case .driverLost: "driver_lost"
        case .policyLost: "policy_lost"
        case .stopped: "stopped"
        case .recording: "recording"
        case .cameraFrozen: "camera_frozen"
        case .operatorReset: "operator_reset"
        case .operatorFailure: "operator_failure"
        case .stageAbort: "stage_abort"
        }
    }
}

/// The first message of an episode.
public struct EpisodeOpening: Sendable {
    public var episode: UInt64
    /// Nil: the residual never acts in this episode.
    public var handoffStep: Int?
    /// Wall clock at the first tick, ns since 1970.
    public var startedUnixNanos: Int64
    /// Monotonic time of the first tick, ns (the zero of `/timestamp`).
    public var startNanos: UInt64
    /// Residual weights version this episode ran (0: the config's; n: the learner's n-th).
    public var residualVersion = 0
    /// The episode ran base-only for the learner's warm-up.
    public var learnerWarmup = false

    public init(episode: UInt64, handoffStep: Int?, startedUnixNanos: Int64, startNanos: UInt64) {
        self.episode = episode
        self.handoffStep = handoffStep
        self.startedUnixNanos = startedUnixNanos
        self.startNanos = startNanos
    }
}

/// One task stage's counts in an episode (the stage machine's, inline).
public struct RecordedStageStats: Sendable, Equatable {
    /// Times the stage was entered (first try and retries).
    public var attempts: Int32 = 0
    public var successes: Int32 = 0
    /// Ended by the failure classifier or a gate.
    public var failures: Int32 = 0
    public var timeouts: Int32 = 0
    /// Steps spent in the stage.
    public var steps: Int32 = 0
    public init() {}
    public init(attempts: Int32, successes: Int32, failures: Int32, timeouts: Int32, steps: Int32) {
        self.attempts = attempts
        self.successes = successes
        self.failures = failures
        self.timeouts = timeouts
        self.steps = steps
    }
}

/// Most task stages an episode record keeps counts for.
public let recordMaxStages = 16

/// The last message of an episode.
public struct EpisodeClosing: Sendable {
    public var episode: UInt64
    public var outcome: RecordedOutcome
    public var abortReason: RecordedAbortReason
    /// Steps the tick ran (recorded or dropped).
    public var steps: Int
    public var policyStalls: Int
    public var safetyEvents: Int
    public var residualSteps: Int
    public var durationNanos: UInt64
    /// Steps the tick could not queue because the recorder was behind.
    public var droppedSteps: Int
    /// Per task stage (the first `RecordingLayout.taskStageNames.count` entries are used).
    public var stageStats = InlineArray<16, RecordedStageStats>(repeating: RecordedStageStats())
    /// Stage the episode ended in.
    public var finalStage: Int32 = 0

    public init(
        episode: UInt64, outcome: RecordedOutcome, abortReason: RecordedAbortReason, steps: Int, policyStalls: Int,
        safetyEvents: Int, residualSteps: Int, durationNanos: UInt64, droppedSteps: Int
    ) {
        self.episode = episode
        self.outcome = outcome
        self.abortReason = abortReason
        self.steps = steps
        self.policyStalls = policyStalls
        self.safetyEvents = safetyEvents
        self.residualSteps = residualSteps
        self.durationNanos = durationNanos
        self.droppedSteps = droppedSteps
    }
}

/// What the control thread sends the recorder, in order: open, steps, close, open, …
public enum RecorderMessage: Sendable {
    case open(EpisodeOpening)
    case step(TickRecord)
    case close(EpisodeClosing)
}
