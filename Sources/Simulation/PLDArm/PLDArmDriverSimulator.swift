import PLDCore
import Synchronization
import Wire
import ZeroMQ

/// A simulated PLD arm driver node (the YAM driver of `Tools/`, played by `pld sim`): serves
/// the PLD arm protocol (`pld_arm.proto`) for one arm on top of a ``YAMPlant``.
///
/// Links, from ``PLDArmDriverSettings/link``: it **binds** the state PUB (`state_endpoint`)
/// and the control REP (`control_endpoint`), and **connects** a conflated SUB to the runtime's
/// command PUB (`command_endpoint`; a `*` bind address is reached on 127.0.0.1).
///
/// Contract (times in sim seconds, ``SimClock``):
/// - publishes `ArmState` at ``PLDArmDriverSettings/stateRateHz`` (protocol version 1,
///   sequence from 0 per process start, sample time from ``SimClock/unixNanoseconds``);
/// - applies `ArmCommand`s with the right protocol version and joint count and finite values
///   (TRACKING, or HOLDING at the measured position for `hold`); refuses and counts the rest;
/// - safety: no command for `command_timeout_s` → HOLDING (the last target); none for a further
///   ``PLDArmDriverSettings/holdTimeoutSeconds`` → DAMPING with a fault message; from DAMPING or
///   ERROR only ClearErrors returns to HOLDING (``PLDArmDriverCore`` has the details);
/// - answers every control request exactly once, at once (MoveToJoints replies when the move
///   starts; the interpolation runs in the driver loop);
/// - ``kill()`` / `kill-driver`: the process stops publishing, reading and answering (its
///   sockets close); the motors keep their last target for `motor_timeout_s`, then damp; after
///   ``PLDArmDriverSettings/restartDelaySeconds`` it starts again, HOLDING where the arm is;
/// - ``injectMotorError(motor:reason:)`` / `motor-error`: ERROR, damping, "motor 3: loss
///   communication".
///
/// Threads: `pld-sim <arm> driver` runs the process lifetimes (state PUB and command SUB, the
/// only caller of the plant's command methods) and, per lifetime, starts `pld-sim <arm>
/// control` for the REP socket. They share the ``PLDArmDriverCore`` behind one lock. Public
/// methods are thread-safe.
public final class PLDArmDriverSimulator: Sendable {
    /// Driver state PUB this driver binds.
    public let stateEndpoint: String
    /// Control REP this driver binds.
    public let controlEndpoint: String
    /// Runtime command PUB this driver connects to.
    public let commandEndpoint: String

    let environment: PLDArmDriverEnvironment
    private let thread = LockedValue<NodeThread?>(nil)

    /// A driver for `settings`, driving `plant`, timed by `clock`. Call ``start()``.
    /// - Parameter context: the ZeroMQ context to use; nil creates one for this driver.
    public init(settings: PLDArmDriverSettings, plant: any YAMPlant, clock: SimClock, context: Context? = nil)
        throws(ZMQError)
    {
        stateEndpoint = SimEndpoints.bindable(settings.link.stateEndpoint)
        controlEndpoint = SimEndpoints.bindable(settings.link.controlEndpoint)
        commandEndpoint = SimEndpoints.connectable(settings.link.commandEndpoint)
        let zmqContext: Context
        if let context { zmqContext = context } else { zmqContext = try Context() }
        environment = PLDArmDriverEnvironment(
            context: zmqContext, settings: settings, plant: plant, clock: clock,
            faults: FaultTimeline(settings.faults, arm: settings.armName),
            stateEndpoint: stateEndpoint, controlEndpoint: controlEndpoint, commandEndpoint: commandEndpoint)
    }

    deinit { stop() }

    /// Starts the driver and returns once its state PUB and control REP are bound.
    /// Call it once: a stopped driver does not start again (make a new one).
    /// - Throws: the bind error (e.g. port in use); nothing keeps running then.
    public func start() throws(ZMQError) {
        let environment = self.environment
        precondition(!environment.shouldStop && thread.value == nil, "PLDArmDriverSimulator.start() called twice or after stop()")
        let ready = OneShot<Result<Void, ZMQError>>()
        let driver = NodeThread(name: "pld-sim \(environment.settings.armName) driver") {
            PLDArmDriverProcess.supervise(environment, ready: ready)
        }
        thread.withLock { $0 = driver }
        if case .failure(let error) = ready.wait() {
            stop()
            throw error
        }
    }

    /// Stops the driver and waits for its threads. The plant keeps its last target. Idempotent.
    public func stop() {
        environment.stopRequested.store(true, ordering: .sequentiallyConsistent)
        let running = thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        running?.join()
    }

    /// Kills the driver process now (see the type's contract); it restarts after the delay.
    public func kill() {
        environment.killRequested.store(true, ordering: .sequentiallyConsistent)
    }

    /// A motor reports an error: ERROR, plant damping, fault "motor `motor`: `reason`".
    public func injectMotorError(motor: Int = 3, reason: String = "loss communication") {
        environment.core.withLock { $0.motorError(motor: motor, reason: reason) }
        environment.log("motor \(motor): \(reason); driver in ERROR, motors damping")
    }

    /// The driver's current mode.
    public var mode: PLDDriverMode { environment.core.withLock { $0.mode } }

    /// Whether the driver process is up.
    public var isRunning: Bool { environment.processUp.load(ordering: .sequentiallyConsistent) }

    /// A snapshot of what the driver has done.
    public var counters: PLDArmDriverCounters { environment.core.withLock { $0.counters } }
}

/// What the driver's threads share.
final class PLDArmDriverEnvironment: Sendable {
    let context: Context
    let settings: PLDArmDriverSettings
    let plant: any YAMPlant
    let clock: SimClock
    let faults: FaultTimeline
    let stateEndpoint: String
    let controlEndpoint: String
    let commandEndpoint: String
    let core: LockedValue<PLDArmDriverCore>
    let stopRequested = Atomic<Bool>(false)
    let killRequested = Atomic<Bool>(false)
    let processUp = Atomic<Bool>(false)

    init(
        context: Context, settings: PLDArmDriverSettings, plant: any YAMPlant, clock: SimClock, faults: FaultTimeline,
        stateEndpoint: String, controlEndpoint: String, commandEndpoint: String
    ) {
        self.context = context
        self.settings = settings
        self.plant = plant
        self.clock = clock
        self.faults = faults
        self.stateEndpoint = stateEndpoint
        self.controlEndpoint = controlEndpoint
        self.commandEndpoint = commandEndpoint
        core = LockedValue(PLDArmDriverCore(settings: settings))
    }

    var shouldStop: Bool { stopRequested.load(ordering: .sequentiallyConsistent) }

    func log(_ line: String) { settings.log("\(settings.armName) driver: \(line)") }
}
