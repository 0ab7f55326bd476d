import PLDCore
import Wire
import ZeroMQ

/// The runtime's side of an unmodified deoxys `franka-interface` NUC: four one-way ZeroMQ
/// links (reference/deoxys-wire.md §1).
///
/// | link | socket here | endpoint |
/// |---|---|---|
/// | arm command (`FrankaControlMessage`) | PUB, **binds** | `FrankaDeoxysConfig.armCommandBind` (5555) |
/// | gripper command (`FrankaGripperControlMessage`) | PUB, **binds** | `gripperCommandBind` (5557) |
/// | arm state (`FrankaRobotStateMessage`, 100 Hz) | SUB, conflated, connects | `armStateConnect` (5556) |
/// | gripper state (`FrankaGripperStateMessage`, 40 Hz) | SUB, conflated, connects | `gripperStateConnect` (5558) |
///
/// **Threading contract.** A `FrankaLink` is owned by the control thread and is not Sendable.
/// `poll(now:)`, the `send…` methods and `hold(now:)` never block, never allocate in steady
/// state and never log: refusals and failures are counted in `counters` and reported as
/// `LinkEvents` / `LinkSendResult`. `connect()` and `close()` bind, connect and close sockets
/// and run at setup, off the tick. Time is handed in as monotonic nanoseconds
/// (`DriverClock.monotonicNanos()`); every configured duration is multiplied by
/// `Options.timeScale`.
///
/// **What the NUC needs, and what this link guarantees** (deoxys-wire.md §5–6):
/// - every controller message carries the interpolator, its time fraction (> 0.1), `timeout`
///   0.2 and the state-estimator block with `Any(ExponentialSmoothingConfig)`; OSC messages
///   carry 3 + 3 stiffness and 7 residual-mass values (`FrankaCommandEncoder`, configured from
///   `FrankaDeoxysConfig`);
/// - **controller switch:** the NUC creates a controller only while its current type is
///   NO_CONTROL, so when the runtime asks for another controller than the one running, the link
///   first sends `preambleMessageCount` (20) NO_CONTROL messages one NUC poll period apart
///   (20 Hz: about 1 s) across ticks, without blocking; meanwhile NO_CONTROL holds the arm and
///   the runtime's requests return `.deferred`. The newest requested goal is then sent as the
///   new controller's first message. Like deoxys's Python client, the first controller after
///   `connect()` or a NUC restart also gets the preamble (`preambleBeforeFirstController`): the
///   link cannot know what a NUC it just met is running;
/// - **keep-alive:** the NUC terminates after 20 empty polls once a controller has run. From
///   the first command on, whenever the runtime has sent nothing for one NUC poll period the
///   link sends a hold itself (zero-delta OSC goal, the last joint goal, or NO_CONTROL when no
///   controller runs), repeated every `keepAliveRepeatFraction` × period while the runtime stays
///   silent. Waiting a full period after a runtime command first keeps a keep-alive from
///   overwriting, in the NUC's conflating SUB, a goal the NUC has not polled yet. This needs
///   `poll(now:)` to be called at least at the NUC poll rate (20 Hz). A runtime ticking at
///   exactly the poll rate may see a hold go out in `poll(now:)` just before its own command in
///   the same tick; the NUC's conflating SUB keeps the newer command, so that costs one message;
/// - **gripper:** a in [−1, 1] maps exactly as deoxys's client: a < 0 → `Move(open_width·|a|,
///   move_speed)`, a ≥ 0 → `Grasp(−0.01 m, 0.5 m/s, 30 N, ε 0.08/0.08)` (numbers from
///   `FrankaGripperConfig`). The gripper node executes every message it receives (blocking, not
///   pre-empted) and has no watchdog, so the link sends a gripper message only when the
///   requested command changes (Move widths differing by more than `gripperWidthDeadbandM`),
///   plus a re-send of the current command every `gripperResendIntervalS` (1 s) so a gripper
///   node that restarted or joined late still gets it. Re-sending is harmless: a repeated Move
///   goes nowhere, a repeated Grasp is skipped while grasped;
/// - **state:** the newest arm and gripper states are decoded with `FrankaStateDecoder`;
///   malformed, oversized, wrong-count or non-finite states are refused and counted by reason,
///   the previous good state is kept and its age keeps growing, and no command is derived from
///   a refused state. The state is stale when no good state arrived within `state_timeout_s`,
///   or when `time.toMSec` stops advancing while a controller should be running (the NUC keeps
///   republishing its last stored state with a frozen time when no controller runs);
/// - **restarts** (watchdog, termination, crash; `auto_arm.sh` restarts the NUC): `frame` going
///   backwards, or a gap followed by a frame near 0, is reported as `.restartDetected` and
///   counted; the link then assumes the NUC runs no controller;
/// - `close()` sends termination to the arm and the gripper node (when
///   `terminateOnClose`), which ends both NUC processes, and closes the sockets.
public final class FrankaLink {
    /// Tuning beyond the robot config. Defaults suit a real NUC at its 20 Hz poll rate.
    public struct Options: Sendable {
        /// Multiplies every configured duration (state timeout, NUC poll period, keep-alive,
        /// preamble spacing, gripper re-send): 1/K for a `--speed K` simulation.
        public var timeScale: Double = 1
        /// NO_CONTROL messages before a new controller (deoxys: 20, one per NUC poll).
        public var preambleMessageCount = 20
        /// Also run the preamble before the first controller after `connect()` or a NUC restart.
        public var preambleBeforeFirstController = true
        /// Spacing of repeated keep-alives while the runtime stays silent, as a fraction of the
        /// NUC poll period (0.9: ~22 Hz at 20 Hz, so every NUC poll finds a message).
        public var keepAliveRepeatFraction = 0.9
        /// Re-send the current gripper command this often, s; 0 = only on change.
        public var gripperResendIntervalS = 1.0
        /// Move widths closer than this count as the same gripper command, m.
        public var gripperWidthDeadbandM = 0.001
        /// Robot time (`time.toMSec`) not advancing for this long while a controller should run
        /// makes the state stale, s. nil: `state_timeout_s` + 2 NUC poll periods (the NUC needs
        /// a moment to start a controller).
        public var robotTimeStallTimeoutS: Double?
        /// A state gap at least this long followed by `frame ≤ restartFrameThreshold` is a NUC
        /// restart, s. nil: `state_timeout_s`.
        public var restartGapS: Double?
        public var restartFrameThreshold: UInt64 = 50
        /// Largest state message accepted, bytes (a full robot state is about 2.4 kB).
        public var maxStateBytes = FrankaStateDecoder.defaultMaxMessageBytes
        /// Most messages drained per socket per poll (conflated sockets hold one).
        public var maxDrainPerPoll = 16
        /// Send termination to arm and gripper in `close()`.
        public var terminateOnClose = true
        /// Finger opening read as fully closed when normalising the gripper width, m.
        public var gripperClosedWidthM = 0.0
        /// Finger opening read as fully open, m; nil: `FrankaGripperConfig.open_width_m`.
        public var gripperOpenWidthM: Double?

        public init() {}
    }

    /// The arm's config name (in error messages).
    public let name: String
    public let config: FrankaDeoxysConfig
    public let options: Options
    /// Endpoints actually used (the config's, or explicit overrides for tests).
    public let armCommandEndpoint: String
    public let gripperCommandEndpoint: String
    public let armStateEndpoint: String
    public let gripperStateEndpoint: String

    /// The latest good state (q, dq, τ, EE pose, gripper, mode, errors, age, staleness).
    public internal(set) var state: ArmState
    /// The latest good gripper state as decoded.
    public internal(set) var gripperSample = FrankaGripperSample()
    /// Monotonic receive time of `gripperSample`; 0 before the first.
    public internal(set) var gripperReceivedAtNanos: UInt64 = 0
    public internal(set) var counters = FrankaLinkCounters()

    let context: Context
    let encoder: FrankaCommandEncoder
    let decoder: FrankaStateDecoder
    var armCommand: CommandPublisher?
    var gripperCommand: CommandPublisher?
    var armStateSub: StateSubscriber?
    var gripperStateSub: StateSubscriber?

    // Durations in monotonic ns, scaled.
    let stateTimeoutNanos: UInt64
    let pollPeriodNanos: UInt64
    let keepAliveRepeatNanos: UInt64
    let gripperResendNanos: UInt64
    let robotTimeStallNanos: UInt64
    let restartGapNanos: UInt64
    let lowerRad: InlineArray<7, Double>
    let upperRad: InlineArray<7, Double>
    let gripperOpenWidthM: Double
    let hasGripper: Bool

    // Command scheduling (see FrankaLink+Commands.swift).
    var active = false
    var nucController: FrankaControllerType = .noControl
    var controllerHasRun = false
    var controllerStartedAtNanos: UInt64 = 0
    var noControlStreak = 0
    var lastCountedNoControlAtNanos: UInt64 = 0
    var pending: PendingGoal?
    var lastArmSendAtNanos: UInt64 = 0
    var lastSendWasKeepAlive = false
    var lastJointGoal = InlineArray<7, Double>(repeating: 0)
    var hasJointGoal = false
    var lastGripper: FrankaGripperRequest?
    var lastGripperSentAtNanos: UInt64 = 0

    // State tracking (see FrankaLink+State.swift).
    var lastRobotTimeAdvanceAtNanos: UInt64 = 0
    var wasFresh = false

    /// A link for `arm` (kind `franka_deoxys`). Creates no sockets yet; see `connect()`.
    ///
    /// - Parameters:
    ///   - endpoints: overrides of the four endpoints derived from the config (tests bind
    ///     `tcp://127.0.0.1:*`); nil uses the config.
    /// - Throws: `DriverError` when the arm has no `franka` section or the encoder refuses the
    ///   configured settings.
    public init(
        arm: ArmConfig, context: Context, options: Options = Options(), endpoints: FrankaEndpoints? = nil
    ) throws(DriverError) {
        guard let franka = arm.franka else {
            throw DriverError(subject: "arm \(arm.name)", operation: "create FrankaLink", reason: "the arm has no franka section (kind \(arm.kind.rawValue))")
        }
        name = arm.name
        config = franka
        self.options = options
        self.context = context
        let resolved = endpoints ?? FrankaEndpoints(config: franka)
        armCommandEndpoint = resolved.armCommandBind
        gripperCommandEndpoint = resolved.gripperCommandBind
        armStateEndpoint = resolved.armStateConnect
        gripperStateEndpoint = resolved.gripperStateConnect
        do {
            let settings = FrankaLink.controllerSettings(franka)
            encoder = try FrankaCommandEncoder(
                osc: settings.osc, jointPosition: settings.jointPosition, jointImpedance: settings.jointImpedance)
        } catch {
            throw DriverError(subject: "arm \(arm.name)", operation: "configure deoxys commands", reason: error.description)
        }
        decoder = FrankaStateDecoder(maxMessageBytes: options.maxStateBytes)
        state = ArmState(link: .franka, jointCount: 7)
        let scale = options.timeScale
        stateTimeoutNanos = scaledNanos(arm.stateTimeoutS, timeScale: scale)
        let pollPeriodS = 1 / franka.policyRateHz
        pollPeriodNanos = scaledNanos(pollPeriodS, timeScale: scale)
        keepAliveRepeatNanos = scaledNanos(pollPeriodS * options.keepAliveRepeatFraction, timeScale: scale)
        gripperResendNanos = scaledNanos(options.gripperResendIntervalS, timeScale: scale)
        robotTimeStallNanos = scaledNanos(
            options.robotTimeStallTimeoutS ?? (arm.stateTimeoutS + 2 * pollPeriodS), timeScale: scale)
        restartGapNanos = scaledNanos(options.restartGapS ?? arm.stateTimeoutS, timeScale: scale)
        var lower = InlineArray<7, Double>(repeating: -.infinity)
        var upper = InlineArray<7, Double>(repeating: .infinity)
        for i in 0..<min(7, arm.jointLimits.lowerRad.count) { lower[i] = arm.jointLimits.lowerRad[i] }
        for i in 0..<min(7, arm.jointLimits.upperRad.count) { upper[i] = arm.jointLimits.upperRad[i] }
        lowerRad = lower
        upperRad = upper
        gripperOpenWidthM = options.gripperOpenWidthM ?? franka.gripper.openWidthM
        hasGripper = arm.hasGripper
    }

    /// The encoder settings deoxys's client would send for this config: the interpolators its
    /// controller YAMLs use (LINEAR_POSE for OSC, SMOOTH_JOINT_POSITION hard-coded for joint
    /// position, LINEAR_JOINT_POSITION for joint impedance), the configured time fraction,
    /// timeout 0.2, the configured estimator, stiffness, residual mass and joint gains.
    public static func controllerSettings(
        _ franka: FrankaDeoxysConfig
    ) -> (osc: FrankaControllerSettings, jointPosition: FrankaControllerSettings, jointImpedance: FrankaControllerSettings) {
        let estimator = FrankaEstimatorSettings(
            isEstimation: franka.stateEstimator.enabled, alphaQ: franka.stateEstimator.alphaQ,
            alphaDq: franka.stateEstimator.alphaDq, alphaEEF: franka.stateEstimator.alphaEef)
        func fixed<let N: Int>(_ values: [Double], _ fallback: InlineArray<N, Double>) -> InlineArray<N, Double> {
            guard values.count == N else { return fallback }
            var out = fallback
            for i in 0..<N { out[i] = values[i] }
            return out
        }
        let base = FrankaControllerSettings.oscPose
        let fraction = franka.trajInterpolatorTimeFraction
        let osc = FrankaControllerSettings(
            interpolator: .linearPose, interpolatorTimeFraction: fraction, estimator: estimator,
            translationalStiffness: fixed(franka.osc.translationalStiffness, base.translationalStiffness),
            rotationalStiffness: fixed(franka.osc.rotationalStiffness, base.rotationalStiffness),
            residualMass: fixed(franka.osc.residualMass, base.residualMass))
        let jointPosition = FrankaControllerSettings(
            interpolator: .smoothJointPosition, interpolatorTimeFraction: fraction, estimator: estimator)
        let jointImpedance = FrankaControllerSettings(
            interpolator: .linearJointPosition, interpolatorTimeFraction: fraction, estimator: estimator,
            jointKp: fixed(franka.jointImpedance.kp, base.jointKp), jointKd: fixed(franka.jointImpedance.kd, base.jointKd))
        return (osc, jointPosition, jointImpedance)
    }

    /// True between `connect()` and `close()`.
    public var isConnected: Bool { armCommand != nil }

    /// The arm command PUB's endpoint after binding (wildcard ports resolved); nil before.
    public var boundArmCommandEndpoint: String? { armCommand?.boundEndpoint }
    /// The gripper command PUB's endpoint after binding; nil before.
    public var boundGripperCommandEndpoint: String? { gripperCommand?.boundEndpoint }

    /// The controller the link believes the NUC is running (`.noControl` while stopped, during
    /// a preamble, and after a restart).
    public var runningController: FrankaControllerType { nucController }
    /// True while a controller-switch preamble is being sent.
    public var isSwitchingController: Bool { pending != nil }
    /// The NUC poll period after scaling, ns.
    public var nucPollPeriodNanos: UInt64 { pollPeriodNanos }

    /// Binds the two command PUBs and connects the two conflated state SUBs. Setup-time;
    /// idempotent. On failure nothing stays open.
    public func connect() throws(DriverError) {
        guard armCommand == nil else { return }
        let subject = "arm \(name)"
        let capacity = options.maxStateBytes
        do {
            armCommand = try CommandPublisher(
                context: context, endpoint: armCommandEndpoint, capacityBytes: 2048, subject: subject, name: "arm command")
            gripperCommand = try CommandPublisher(
                context: context, endpoint: gripperCommandEndpoint, capacityBytes: 1024, subject: subject,
                name: "gripper command")
            armStateSub = try StateSubscriber(
                context: context, endpoint: armStateEndpoint, capacityBytes: capacity, subject: subject, name: "arm state")
            gripperStateSub = try StateSubscriber(
                context: context, endpoint: gripperStateEndpoint, capacityBytes: capacity, subject: subject,
                name: "gripper state")
        } catch {
            closeSockets()
            throw error
        }
        resetCommandState()
    }

    /// Orderly shutdown: sends termination to the arm and gripper nodes (when
    /// `Options.terminateOnClose`; the NUC processes then exit, and deoxys's `auto_arm.sh`
    /// restarts them), lets those messages flush for up to `flushMilliseconds`, and closes every
    /// socket. Setup-time. Safe to call twice.
    public func close(flushMilliseconds: Int32 = 200) {
        guard let armCommand, let gripperCommand else { return }
        if options.terminateOnClose {
            if let count = try? encoder.encodeTermination(into: armCommand.buffer) {
                if armCommand.send(count: count) { counters.terminationsSent += 1 }
            }
            if let count = try? encoder.encodeGripperTermination(into: gripperCommand.buffer) {
                if gripperCommand.send(count: count) { counters.terminationsSent += 1 }
            }
            armCommand.setLinger(milliseconds: flushMilliseconds)
            gripperCommand.setLinger(milliseconds: flushMilliseconds)
        }
        closeSockets()
    }

    func closeSockets() {
        armCommand?.close()
        gripperCommand?.close()
        armStateSub?.close()
        gripperStateSub?.close()
        armCommand = nil
        gripperCommand = nil
        armStateSub = nil
        gripperStateSub = nil
    }

    func resetCommandState() {
        active = false
        nucController = .noControl
        controllerHasRun = false
        noControlStreak = 0
        pending = nil
        lastSendWasKeepAlive = false
        hasJointGoal = false
        lastGripper = nil
    }

    deinit { closeSockets() }
}
