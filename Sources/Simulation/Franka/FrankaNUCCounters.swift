/// What a simulated deoxys NUC has done, for tests, `pld sim` status lines and soak reports.
/// A snapshot: read ``FrankaNUCSimulator/counters`` again for fresh values.
public struct FrankaNUCCounters: Sendable, Equatable {
    // MARK: Arm node (franka-interface)

    /// Process starts, the first one included.
    public var armProcessStarts = 0
    /// Process restarts after an exit (watchdog, termination, kill, reflex).
    public var armRestarts = 0
    /// Exits because 20 polls in a row were empty after a controller had started.
    public var watchdogTrips = 0
    /// Exits requested with `termination = true`.
    public var terminations = 0
    /// Exits forced by ``FrankaNUCSimulator/kill()`` or a `kill-driver` fault.
    public var kills = 0
    /// Exits after an injected libfranka error during (or at the start of) a motion.
    public var reflexExits = 0
    /// Polls that found no message.
    public var emptyPolls = 0
    /// Command messages parsed (any controller type, termination included).
    public var messagesParsed = 0
    /// Command messages refused as unparseable (they count toward the watchdog like deoxys).
    public var messagesRefused = 0
    /// The reason of the last refusal or ignored goal, one line.
    public var lastRefusal = ""
    /// Controllers instantiated (a motion started from NO_CONTROL).
    public var controllersStarted = 0
    /// Running motions stopped by NO_CONTROL.
    public var motionsStopped = 0
    /// Goals handed to the plant.
    public var goalsApplied = 0
    /// Parsed goals no running controller could use (e.g. a controller switch without the
    /// NO_CONTROL preamble).
    public var goalsIgnored = 0
    /// Arm state messages published.
    public var statesPublished = 0

    // MARK: Gripper node

    /// Gripper process starts, the first one included.
    public var gripperProcessStarts = 0
    /// Gripper command messages parsed.
    public var gripperMessagesParsed = 0
    /// Gripper command messages that did not parse.
    public var gripperMessagesRefused = 0
    /// Executed commands that matched no known gripper message ("Unpack failed"; e.g. a real
    /// `FrankaGripperHomingMessage`).
    public var gripperUnpackFailures = 0
    /// Immediate `stop()` calls from the receive path (a Stop message arrived).
    public var gripperStops = 0
    /// `homing()` calls: one per start, plus one per executed Stop message (deoxys quirk).
    public var gripperHomings = 0
    public var gripperMoves = 0
    public var grasps = 0
    /// Grasp commands skipped because the hand already holds a grasp.
    public var graspsSkipped = 0
    public var gripperStatesPublished = 0

    public init() {}
}
