/// What a simulated PLD arm driver has done, for tests, status lines and soak reports. A
/// snapshot: read ``PLDArmDriverSimulator/counters`` again for fresh values.
public struct PLDArmDriverCounters: Sendable, Equatable {
    /// Driver process starts, the first one included.
    public var processStarts = 0
    /// Starts after a kill.
    public var restarts = 0
    /// Kills (``PLDArmDriverSimulator/kill()`` or a `kill-driver` fault).
    public var kills = 0
    /// ArmCommands applied (TRACKING or HOLDING on request).
    public var commandsApplied = 0
    /// ArmCommands refused: unparseable, wrong protocol version, wrong joint count, NaN/Inf.
    /// Never applied.
    public var commandsRefused = 0
    /// Valid ArmCommands not applied because of the mode (MOVING, DAMPING, ERROR).
    public var commandsIgnored = 0
    /// Why the last command was refused or ignored, one line.
    public var lastCommandProblem = ""
    /// Requests answered on the control socket (every request gets exactly one reply).
    public var requestsAnswered = 0
    /// Replies with `ok = false`.
    public var requestsFailed = 0
    /// The error of the last failed request, one line.
    public var lastRequestError = ""
    public var statesPublished = 0
    /// TRACKING → HOLDING after `command_timeout_s` without commands.
    public var holdTimeouts = 0
    /// HOLDING → DAMPING after the further hold timeout.
    public var dampingTimeouts = 0
    public var motorErrors = 0
    /// DAMPING/ERROR → HOLDING by ClearErrors.
    public var errorsCleared = 0
    public var movesStarted = 0
    public var movesFinished = 0

    public init() {}
}
