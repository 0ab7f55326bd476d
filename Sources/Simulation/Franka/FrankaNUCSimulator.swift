import PLDCore
import Synchronization
import Wire
import ZeroMQ

/// A simulated deoxys NUC: `franka-interface` (arm node and state publisher) plus the gripper
/// node, serving the unmodified deoxys wire protocol (deoxys-wire.md) on top of a
/// ``FrankaPlant``, so a PC client cannot tell it from a real NUC.
///
/// Endpoints come from a ``FrankaDeoxysConfig`` as a real NUC reads them from its YAML: it
/// **connects** conflated SUBs to the PC's command PUBs (`tcp://<pc_bind_address>:arm_command`
/// and `:gripper_command`; a `*` bind address is reached on 127.0.0.1) and **binds** PUBs for
/// arm state (100 Hz) and gripper state (40 Hz) on `nuc_host` (127.0.0.1 when it is a host
/// name rather than an IP).
///
/// Contract of the arm node (every time in sim seconds, ``SimClock``):
/// - polls its command SUB without blocking once per 1/`policy_rate_hz` and interprets what it
///   got as deoxys does (``FrankaCommandInterpreter`` documents the rules: the 20-empty-poll
///   watchdog after the first controller message, the 0.1 time-fraction floor, controller
///   instantiation only from NO_CONTROL, goals relative to the measured pose);
/// - `termination`, the watchdog, ``kill()``/`kill-driver`, and an injected libfranka error
///   during a motion end the "process": motion stops, state publishing stops, sockets close.
///   Like `auto_arm.sh` it starts again after ``Options/restartDelaySeconds`` (1 s) with the
///   frame counter at 0, NO_CONTROL, the watchdog disarmed and errors cleared
///   (`automaticErrorRecovery`);
/// - publishes `FrankaRobotStateMessage` at ``Options/stateRateHz``. The stored libfranka state
///   is refreshed only at process start and while a controller runs, so while idle `frame`
///   keeps counting but `time`, `q`, `O_T_EE` … stay stale (deoxys quirk); `robot_mode` is
///   Move while a controller runs, Idle otherwise, Reflex while an injected error stands.
///
/// Gripper node: its own SUB and PUB; homes at start; Move / Grasp / Stop with deoxys's
/// dispatch quirks (a Stop message stops at once and then runs homing; a real Homing message
/// matches nothing; Grasp is skipped while the hand holds a grasp; force 0 → 2 N; both epsilons
/// 0 → 0.08); a gripper call "blocks" until the plant reports the motion done, and only Stop
/// pre-empts it; state at ``Options/gripperStateRateHz``.
///
/// Threads (each owns its sockets; none touches another's): `pld-sim <arm> arm` runs the arm
/// node's lifetimes and restarts (command poll and state publishing interleaved on one
/// schedule); `pld-sim <arm> gripper` does the same for the gripper node. Both call the plant.
/// Public methods are thread-safe.
public final class FrankaNUCSimulator: Sendable {
    /// Simulation settings that a real NUC has in its YAML or that only a simulator has.
    public struct Options: Sendable {
        /// The arm's name in the robot config (matches `kill-driver:ARM`, `motor-error:ARM`).
        public var armName = "franka"
        /// deoxys `CONTROL.STATE_PUBLISHER_RATE`, Hz (sim).
        public var stateRateHz = 100.0
        /// deoxys `GRIPPER.PUB_RATE`, Hz (sim).
        public var gripperStateRateHz = 40.0
        /// `auto_arm.sh` sleeps 1 s before restarting a process that exited, s (sim).
        public var restartDelaySeconds = 1.0
        /// Interface the state PUBs bind; nil = `nuc_host` if it is an IP, else 127.0.0.1.
        public var stateBindHost: String?
        /// Injected faults (only those for this arm, or for every device, apply).
        public var faults: [SimFault] = []
        /// Gripper temperature reported in its state, °C.
        public var gripperTemperatureCelsius: UInt32 = 30
        public var log: SimLog = .standardError

        public init() {}
    }

    /// PC arm command PUB this NUC connects to.
    public let armCommandEndpoint: String
    /// PC gripper command PUB this NUC connects to.
    public let gripperCommandEndpoint: String
    /// Arm state PUB this NUC binds.
    public let armStateEndpoint: String
    /// Gripper state PUB this NUC binds.
    public let gripperStateEndpoint: String

    let environment: FrankaNUCEnvironment
    private let threads = LockedValue<[NodeThread]>([])

    /// A NUC for the links in `config`, driving `plant`, timed by `clock`. Call ``start()``.
    /// - Parameter context: the ZeroMQ context to use; nil creates one for this simulator.
    public init(
        config: FrankaDeoxysConfig, plant: any FrankaPlant, clock: SimClock, options: Options = Options(),
        context: Context? = nil
    ) throws(ZMQError) {
        armCommandEndpoint = SimEndpoints.connectable(host: config.pcBindAddress, port: config.ports.armCommand)
        gripperCommandEndpoint = SimEndpoints.connectable(host: config.pcBindAddress, port: config.ports.gripperCommand)
        let bindHost = options.stateBindHost ?? config.nucHost
        armStateEndpoint = SimEndpoints.bindable(host: bindHost, port: config.ports.armState)
        gripperStateEndpoint = SimEndpoints.bindable(host: bindHost, port: config.ports.gripperState)
        let zmqContext: Context
        if let context { zmqContext = context } else { zmqContext = try Context() }
        environment = FrankaNUCEnvironment(
            context: zmqContext, plant: plant, clock: clock, options: options,
            policyRateHz: config.policyRateHz,
            faults: FaultTimeline(options.faults, arm: options.armName),
            armCommandEndpoint: armCommandEndpoint, gripperCommandEndpoint: gripperCommandEndpoint,
            armStateEndpoint: armStateEndpoint, gripperStateEndpoint: gripperStateEndpoint)
    }

    deinit { stop() }

    /// Starts the arm and gripper nodes and returns once both have bound their state PUBs.
    /// Call it once: a stopped simulator does not start again (make a new one).
    /// - Throws: the bind error (e.g. port in use); nothing keeps running then.
    public func start() throws(ZMQError) {
        let environment = self.environment
        precondition(!environment.shouldStop && threads.value.isEmpty, "FrankaNUCSimulator.start() called twice or after stop()")
        let armReady = OneShot<Result<Void, ZMQError>>()
        let gripperReady = OneShot<Result<Void, ZMQError>>()
        let name = environment.options.armName
        let arm = NodeThread(name: "pld-sim \(name) arm") { FrankaArmProcess.supervise(environment, ready: armReady) }
        let gripper = NodeThread(name: "pld-sim \(name) gripper") {
            FrankaGripperProcess.supervise(environment, ready: gripperReady)
        }
        threads.withLock { $0 += [arm, gripper] }
        for ready in [armReady, gripperReady] {
            if case .failure(let error) = ready.wait() {
                stop()
                throw error
            }
        }
    }

    /// Stops both nodes and waits for their threads. The plant is left as it is. Idempotent.
    public func stop() {
        environment.stopRequested.store(true, ordering: .sequentiallyConsistent)
        let running = threads.withLock { threads in
            defer { threads.removeAll() }
            return threads
        }
        for thread in running { thread.join() }
    }

    /// Ends the arm node process now, as `kill -9` would (motion stops, state publishing stops,
    /// sockets close); it restarts after the restart delay. The gripper node keeps running.
    public func kill() {
        environment.killRequested.store(true, ordering: .sequentiallyConsistent)
    }

    /// Makes libfranka report `errors` (robot mode Reflex, `current_errors` and
    /// `last_motion_errors` set). A running motion aborts with a control exception, which ends
    /// franka-interface (and `auto_arm.sh` restarts it, `automaticErrorRecovery` clearing the
    /// errors); while idle the errors stand until the next motion attempt does the same.
    public func injectErrors(_ errors: DeoxysFrankaRobotStateMessage.Errors) {
        environment.injectedErrors.withLock { $0 = errors }
    }

    /// Whether the arm node process is up (between a start and an exit).
    public var isArmProcessRunning: Bool { environment.armProcessUp.load(ordering: .sequentiallyConsistent) }

    /// A snapshot of what the NUC has done.
    public var counters: FrankaNUCCounters { environment.counters.value }
}

/// What the NUC's threads share: configuration, the plant, and the few cross-thread flags.
final class FrankaNUCEnvironment: Sendable {
    let context: Context
    let plant: any FrankaPlant
    let clock: SimClock
    let options: FrankaNUCSimulator.Options
    let policyRateHz: Double
    let faults: FaultTimeline
    let armCommandEndpoint: String
    let gripperCommandEndpoint: String
    let armStateEndpoint: String
    let gripperStateEndpoint: String

    let counters = LockedValue(FrankaNUCCounters())
    let injectedErrors = LockedValue<DeoxysFrankaRobotStateMessage.Errors?>(nil)
    let stopRequested = Atomic<Bool>(false)
    let killRequested = Atomic<Bool>(false)
    let armProcessUp = Atomic<Bool>(false)

    init(
        context: Context, plant: any FrankaPlant, clock: SimClock, options: FrankaNUCSimulator.Options,
        policyRateHz: Double, faults: FaultTimeline, armCommandEndpoint: String, gripperCommandEndpoint: String,
        armStateEndpoint: String, gripperStateEndpoint: String
    ) {
        self.context = context
        self.plant = plant
        self.clock = clock
        self.options = options
        self.policyRateHz = policyRateHz
        self.faults = faults
        self.armCommandEndpoint = armCommandEndpoint
        self.gripperCommandEndpoint = gripperCommandEndpoint
        self.armStateEndpoint = armStateEndpoint
        self.gripperStateEndpoint = gripperStateEndpoint
    }

    var shouldStop: Bool { stopRequested.load(ordering: .sequentiallyConsistent) }

    func log(_ line: String) { options.log("\(options.armName) NUC: \(line)") }

    func count(_ update: (inout FrankaNUCCounters) -> Void) { counters.withLock(update) }
}

/// Binds `socket` to `endpoint`, retrying for a short while on "address in use": a restarted
/// process may find its port still held by the socket its previous lifetime just closed.
func bindRetrying(_ socket: Socket, _ endpoint: String, clock: SimClock, attempts: Int = 50) throws(ZMQError) {
    var attempt = 0
    while true {
        do throws(ZMQError) {
            try socket.bind(endpoint)
            return
        } catch {
            attempt += 1
            guard error.errno == ZMQError.EADDRINUSE, attempt < attempts else { throw error }
            SimClock.sleepWall(seconds: 0.01)
        }
    }
}
