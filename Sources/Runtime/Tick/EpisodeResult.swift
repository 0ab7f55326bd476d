/// How an episode ended.
public enum EpisodeOutcome: Sendable, Equatable {
    case success
    /// `max_episode_steps` passed without success.
    case timeout
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
    }

    public var label: String {
        switch self {
        case .success: "success"
        case .timeout: "failure (timeout)"
        case let .aborted(reason): "aborted (\(reason.rawValue))"
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
}
