import Wire

/// What happened during one `poll(now:)` (or send), for the caller to act on. Allocation-free.
public struct LinkEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A new good arm state was taken.
    public static let newState = LinkEvents(rawValue: 1 << 0)
    /// A new good Franka gripper state was taken.
    public static let newGripperState = LinkEvents(rawValue: 1 << 1)
    /// At least one message was refused (see the link's counters for the reason).
    public static let refused = LinkEvents(rawValue: 1 << 2)
    /// The state just went stale (no message in time, or Franka robot time stopped while a
    /// controller should run). Hold the arm.
    public static let becameStale = LinkEvents(rawValue: 1 << 3)
    /// The state is fresh again.
    public static let becameFresh = LinkEvents(rawValue: 1 << 4)
    /// The driver restarted: Franka `frame` went backwards (or a gap then frame ≈ 0); PLD
    /// `sequence` went backwards. A Franka NUC comes back with no controller running.
    public static let restartDetected = LinkEvents(rawValue: 1 << 5)
    /// A keep-alive hold was sent because the runtime sent nothing for a NUC poll period.
    public static let keepAliveSent = LinkEvents(rawValue: 1 << 6)
    /// One NO_CONTROL of a controller-switch preamble was sent.
    public static let preambleStep = LinkEvents(rawValue: 1 << 7)
    /// The first message of a new controller was sent (after its preamble).
    public static let controllerStarted = LinkEvents(rawValue: 1 << 8)
    /// The driver mode (or Franka robot mode) changed.
    public static let modeChanged = LinkEvents(rawValue: 1 << 9)
    /// The arm reports a fault that it did not report before.
    public static let faultRaised = LinkEvents(rawValue: 1 << 10)
    /// A socket operation failed (counted); the link may need reconnecting.
    public static let transportError = LinkEvents(rawValue: 1 << 11)
    /// The Franka gripper command was re-sent at the keep-alive rate.
    public static let gripperResent = LinkEvents(rawValue: 1 << 12)
}

/// Why a command was not derived or not sent. Allocation-free.
public enum CommandRefusal: Sendable, Equatable {
    /// NaN or infinity in the target.
    case nonFinite
    /// Target joint `joint` (0-based) lies outside the configured hardware joint limits.
    case outsideJointLimits(joint: Int)
    /// Wrong number of joints for this arm.
    case wrongJointCount(expected: Int, actual: Int)
    /// The encoder refused it.
    case encode(WireEncodeError)
    /// A gripper command for an arm configured without a gripper (`has_gripper: false`).
    case noGripper
}

/// Outcome of a per-tick command call. Allocation-free.
public enum LinkSendResult: Sendable, Equatable {
    /// Queued on the command socket.
    case sent
    /// Held back while a Franka controller switch runs its NO_CONTROL preamble (the arm is held
    /// by NO_CONTROL meanwhile); the newest goal is sent as the new controller's first message
    /// once the preamble is done. `remaining` NO_CONTROL messages are still to go.
    case deferred(remaining: Int)
    /// A Franka gripper command equal to the last one sent: not sent again (see
    /// `FrankaLink.Options.gripperResendIntervalS`).
    case unchanged
    /// Refused before encoding or by the encoder; nothing was sent.
    case refused(CommandRefusal)
    /// `connect()` has not run, or `close()` has.
    case notConnected
    /// The socket did not take the message (counted as a send failure).
    case dropped

    /// True for `.sent`, `.deferred` and `.unchanged`: the request is being honoured.
    public var isAccepted: Bool {
        switch self {
        case .sent, .deferred, .unchanged: true
        default: false
        }
    }
}
