import PLDCore
import Wire
import ZeroMQ

/// The runtime's side of one arm behind a PLD-arm-protocol driver node (the YAM driver in
/// `Tools/`, the simulated YAM of `pld sim`, any other arm): three ZeroMQ links
/// (`Sources/Wire/proto/pld_arm.proto`).
///
/// | link | socket here | endpoint (`PLDArmConfig`) |
/// |---|---|---|
/// | state (`pld.ArmState`) | SUB, conflated, connects | `state_endpoint` |
/// | command (`pld.ArmCommand`) | PUB, **binds** | `command_endpoint` |
/// | control (`ArmRequest` → `ArmReply`) | REQ, connects | `control_endpoint` |
///
/// **Threading contract.** A `PLDArmLink` is owned by the control thread and is not Sendable.
/// `poll(now:)`, `sendJointTarget(_:gripper:now:)` and `hold(now:)` never block, never allocate in
/// steady state and never log (they count, and return `LinkEvents` / `LinkSendResult`).
/// `open()`, `connect()`, `close()` and the control requests (`moveToJoints`, `gripper`,
/// `clearErrors`, `setGains`, `ping`) block for up to `request_timeout_s` × `timeScale` and run
/// at setup, off the tick. Time is handed in as monotonic nanoseconds; configured durations are
/// multiplied by `Options.timeScale`.
///
/// **Setup.** `connect()` opens the sockets, sends Hello and checks the reply against the config
/// (`PLDArmHelloCheck`: protocol version, joint names in order, joint count, limits within the
/// driver's, the driver's command timeout within the config's), then sends the configured gains.
/// A mismatch is refused with one clear line naming the field and both values; no command can
/// be sent until a hello was verified. A request without a reply within the timeout closes and
/// recreates the REQ socket (a REQ cannot send twice) and throws `.timeout`; the next request
/// then goes out on the fresh socket, so the link recovers as soon as the driver is back.
///
/// **Per tick.** `poll(now:)` decodes the newest `ArmState` with `ArmStateDecoder` (refusing
/// other protocol versions, joint counts, NaN/Inf and malformed or oversized messages, counted by
/// reason; the previous good state is kept and its age grows), tracks staleness (no good state
/// within `state_timeout_s`), the driver mode and fault flag, and driver restarts (sequence going
/// backwards). Commands carry an increasing sequence; a hold command carries no targets, so it
/// can never be derived from a refused state. The driver's own safety contract covers silence:
/// it holds after `command_timeout_s` without commands.
public final class PLDArmLink {
    public struct Options: Sendable {
        /// Multiplies every configured duration (state timeout, request timeouts).
        public var timeScale: Double = 1
        /// `Hello.client_name`.
        public var clientName = "pld run"
        /// Send the config's gains (`pld_arm.gains`) with SetGains after a verified hello.
        public var sendGainsOnConnect = true
        /// Largest state message accepted, bytes.
        public var maxStateBytes = ArmStateDecoder.defaultMaxMessageBytes
        /// Largest control reply accepted, bytes.
        public var maxReplyBytes = 64 * 1024
        /// Most messages drained per poll (the SUB is conflated: usually one).
        public var maxDrainPerPoll = 16

        public init() {}
    }

    public let name: String
    public let arm: ArmConfig
    public let config: PLDArmConfig
    public let options: Options
    public let jointCount: Int
    /// The latest good state.
    public internal(set) var state: ArmState
    public internal(set) var counters = PLDArmLinkCounters()
    /// The verified HelloReply; nil until `connect()` succeeded.
    public internal(set) var driver: PLDHelloReply?

    let context: Context
    let decoder: ArmStateDecoder
    let encoder: ArmCommandEncoder
    var commandPub: CommandPublisher?
    var stateSub: StateSubscriber?
    var controlReq: Socket?
    let stateTimeoutNanos: UInt64
    let requestTimeoutNanos: UInt64
    var lowerRad = InlineArray<8, Double>(repeating: -.infinity)
    var upperRad = InlineArray<8, Double>(repeating: .infinity)
    var sequence: UInt64 = 0
    var nextRequestID: UInt64 = 0
    var wasFresh = false
    /// Copy of the newest state that carried a fault message, for `faultMessage()`.
    let faultBytes: UnsafeMutableRawBufferPointer
    var faultByteCount = 0

    /// A link for `arm` (kind `pld_arm`). Creates no sockets yet.
    public init(arm: ArmConfig, context: Context, options: Options = Options()) throws(DriverError) {
        guard let pld = arm.pldArm else {
            throw DriverError(subject: "arm \(arm.name)", operation: "create PLDArmLink", reason: "the arm has no pld_arm section (kind \(arm.kind.rawValue))")
        }
        let count = pld.jointNames.count
        guard (1...armMaxJoints).contains(count) else {
            throw DriverError(subject: "arm \(arm.name)", operation: "create PLDArmLink", reason: "\(count) joints; the PLD arm link supports 1...\(armMaxJoints)")
        }
        name = arm.name
        self.arm = arm
        config = pld
        self.options = options
        self.context = context
        jointCount = count
        decoder = ArmStateDecoder(jointCount: count, maxMessageBytes: options.maxStateBytes)
        encoder = ArmCommandEncoder(jointCount: count)
        state = ArmState(link: .pldArm, jointCount: count)
        stateTimeoutNanos = scaledNanos(arm.stateTimeoutS, timeScale: options.timeScale)
        requestTimeoutNanos = scaledNanos(pld.requestTimeoutS, timeScale: options.timeScale)
        for i in 0..<min(count, arm.jointLimits.lowerRad.count) { lowerRad[i] = arm.jointLimits.lowerRad[i] }
        for i in 0..<min(count, arm.jointLimits.upperRad.count) { upperRad[i] = arm.jointLimits.upperRad[i] }
        faultBytes = .allocate(byteCount: options.maxStateBytes, alignment: 16)
    }

    deinit {
        closeSockets()
        faultBytes.deallocate()
    }

    /// Sockets are open (`open()` or `connect()` ran, `close()` did not).
    public var isOpen: Bool { commandPub != nil }
    /// Open and a hello was verified: commands may be sent.
    public var isReady: Bool { isOpen && driver != nil }
    /// The command PUB's endpoint after binding (wildcards resolved); nil before `open()`.
    public var boundCommandEndpoint: String? { commandPub?.boundEndpoint }
    public var controlEndpoint: String { config.controlEndpoint.configString }

    /// Binds the command PUB, connects the conflated state SUB and the control REQ. Does not
    /// talk to the driver: states can be polled, commands wait for `connect()`. Idempotent.
    public func open() throws(DriverError) {
        guard commandPub == nil else { return }
        let subject = "arm \(name)"
        do {
            commandPub = try CommandPublisher(
                context: context, endpoint: config.commandEndpoint.configString, capacityBytes: 1024, subject: subject,
                name: "command")
            stateSub = try StateSubscriber(
                context: context, endpoint: config.stateEndpoint.configString, capacityBytes: options.maxStateBytes,
                subject: subject, name: "state")
            controlReq = try makeRequestSocket()
        } catch {
            closeSockets()
            throw error
        }
    }

    /// Opens the sockets if needed, sends Hello, verifies the reply against the config and sends
    /// the configured gains. Setup-time: blocks up to the request timeout per request. May be
    /// called again after a failure (a timed-out REQ has been recreated by then).
    @discardableResult
    public func connect() throws(PLDArmLinkError) -> PLDHelloReply {
        do {
            try open()
        } catch {
            throw PLDArmLinkError(kind: .transport, arm: name, endpoint: error.operation, message: error.description)
        }
        driver = nil
        var hello = PLDHello()
        hello.protocolVersion = PLDArmHelloCheck.protocolVersion
        hello.clientName = options.clientName
        let reply = try request("hello", timeoutNanos: requestTimeoutNanos) { $0.request = .hello(hello) }
        guard case .hello(let helloReply)? = reply.reply else {
            throw PLDArmLinkError(kind: .badReply, arm: name, endpoint: controlEndpoint, message: "hello: the reply carries no HelloReply")
        }
        if let mismatch = PLDArmHelloCheck.mismatch(helloReply, arm: arm, endpoint: controlEndpoint) {
            counters.helloRefusals += 1
            throw mismatch
        }
        driver = helloReply
        if options.sendGainsOnConnect, let gains = config.gains {
            try setGains(kp: gains.kp, kd: gains.kd)
        }
        return helloReply
    }

    /// Closes every socket. Setup-time. The driver holds by its own timeout afterwards.
    public func close() {
        closeSockets()
        driver = nil
    }

    func closeSockets() {
        commandPub?.close()
        stateSub?.close()
        controlReq?.close()
        commandPub = nil
        stateSub = nil
        controlReq = nil
    }

    func makeRequestSocket() throws(DriverError) -> Socket {
        let endpoint = controlEndpoint
        do {
            let socket = try Socket(context: context, type: .req)
            try socket.connect(endpoint)
            return socket
        } catch {
            throw .zmq("arm \(name)", "connect control REQ to \(endpoint)", error)
        }
    }
}

/// Counters of one `PLDArmLink`. A value type, no heap.
public struct PLDArmLinkCounters: Sendable, Equatable {
    public var statesReceived = 0
    /// Refused states, by reason.
    public var stateRefusals = RefusalCounts()
    /// Target commands and holds sent.
    public var commandsSent = 0
    public var holdsSent = 0
    /// Commands refused before encoding (non-finite, outside joint limits) or by the encoder.
    public var commandsRefused = 0
    public var sendFailures = 0
    public var receiveFailures = 0
    /// The driver's state sequence went backwards.
    public var driverRestarts = 0
    /// Transitions from fresh to stale.
    public var stalePeriods = 0
    /// Transitions into a fault (error or damping mode, or a fault message).
    public var faultsRaised = 0
    public var requestsSent = 0
    public var requestTimeouts = 0
    /// Requests the driver refused or answered with a bad reply.
    public var requestFailures = 0
    /// REQ sockets closed and recreated after a timeout.
    public var requestSocketsRecreated = 0
    /// Hello replies that did not fit the config.
    public var helloRefusals = 0

    public init() {}
}
