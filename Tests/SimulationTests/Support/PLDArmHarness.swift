import Foundation
import PLDCore
import Simulation
import SwiftProtobuf
import Wire
import ZeroMQ

/// The runtime side of the PLD arm protocol against a simulated driver, in-process over real
/// tcp sockets: the test binds the command PUB and connects a SUB to the driver's state PUB and
/// a REQ to its control REP.
final class PLDArmHarness {
    static let jointNames = ["joint1", "joint2", "joint3", "joint4", "joint5", "joint6"]
    /// MuJoCo Menagerie i2rt_yam limits (yam.md §5.1).
    static let yamLimits: [DriverJointLimit] = zip([-2.618, 0, 0, -1.571, -1.571, -2.094], [3.054, 3.665, 3.142, 1.571, 1.571, 2.094])
        .enumerated().map { index, bounds in
            DriverJointLimit(lowerRad: bounds.0, upperRad: bounds.1, maxVelocityRadPerS: index < 3 ? 2 : 3,
                             maxEffortNm: index < 3 ? 28 : 10)
        }

    let clock: SimClock
    let plant: KinematicYAMPlant
    let context: Context
    let command: Socket
    let state: Socket
    private(set) var control: Socket
    let driver: PLDArmDriverSimulator
    let log = LogLines()
    let link: PLDArmConfig
    private var sequence: UInt64 = 0
    private var requestID: UInt64 = 100
    /// Sim time of the last command ``stream(_:hold:until:timeoutSeconds:)`` sent.
    private(set) var lastSentAt = 0.0

    init(speed: Double = 10, plant: KinematicYAMPlant = KinematicYAMPlant(),
         configure: (inout PLDArmDriverSettings) -> Void = { _ in }) throws {
        clock = SimClock(speed: speed)
        self.plant = plant
        context = try Context()
        command = try Socket(context: context, type: .pub)
        try command.bind("tcp://127.0.0.1:*")
        let yaml = """
            state_endpoint: tcp://127.0.0.1:\(freeTCPPort())
            command_endpoint: tcp://*:\(port(of: try command.lastEndpoint))
            control_endpoint: tcp://127.0.0.1:\(freeTCPPort())
            joint_names: [\(Self.jointNames.joined(separator: ", "))]
            command_timeout_s: 0.1
            motor_timeout_s: 0.2
            """
        link = try ConfigLoader.decode(PLDArmConfig.self, bytes: Array(yaml.utf8), file: "arm-test.yaml").value
        var settings = PLDArmDriverSettings(armName: "left", link: link, jointLimits: Self.yamLimits)
        let log = self.log
        settings.log = SimLog { log.append($0) }
        configure(&settings)
        driver = try PLDArmDriverSimulator(settings: settings, plant: plant, clock: clock, context: context)
        try driver.start()
        state = try Socket(context: context, type: .sub)
        try state.set(.conflate, true)
        try state.set(.reconnectIntervalMilliseconds, 10)
        try state.subscribe()
        try state.connect(link.stateEndpoint.configString)
        control = try Self.connectRequester(context, link.controlEndpoint.configString)
    }

    deinit { driver.stop() }

    private static func connectRequester(_ context: Context, _ endpoint: String) throws -> Socket {
        let socket = try Socket(context: context, type: .req)
        try socket.connect(endpoint)
        return socket
    }

    // MARK: Commands

    func armCommand(_ q: [Double], hold: Bool = false, gripper: Double = 0, version: UInt32 = 1) -> PLDArmCommand {
        sequence += 1
        var message = PLDArmCommand()
        message.protocolVersion = version
        message.sequence = sequence
        message.sentUnixNs = clock.unixNanoseconds
        message.qTargetRad = q
        message.gripperTarget = gripper
        message.hold = hold
        return message
    }

    func send(_ message: PLDArmCommand) throws { try command.send(try message.serializedBytes() as [UInt8]) }
    func send(bytes: [UInt8]) throws { try command.send(bytes) }

    /// Sends `q` every 20 ms of sim time until `condition` holds (the first messages may be lost
    /// while the driver's SUB connects).
    func stream(_ q: [Double], hold: Bool = false, until condition: () -> Bool, timeoutSeconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !condition() {
            guard Date() < deadline else { throw HarnessError("condition not met after \(timeoutSeconds) s of commands") }
            try send(armCommand(q, hold: hold))
            lastSentAt = clock.now
            clock.sleep(forSimSeconds: 0.02)
        }
    }

    /// Sends `bytes` (once per 20 ms sim) until the driver has counted one more refusal.
    func sendUntilRefused(_ bytes: [UInt8]) throws {
        let before = driver.counters.commandsRefused
        let deadline = Date().addingTimeInterval(10)
        while driver.counters.commandsRefused == before {
            guard Date() < deadline else { throw HarnessError("command was never refused") }
            try send(bytes: bytes)
            clock.sleep(forSimSeconds: 0.02)
        }
    }

    // MARK: State

    func latestState(timeoutSeconds: Double = 5) throws -> PLDArmState {
        guard let bytes = try state.receive(timeoutMilliseconds: Int(timeoutSeconds * 1000)) else {
            throw HarnessError("no ArmState within \(timeoutSeconds) s")
        }
        return try PLDArmState(serializedBytes: bytes)
    }

    /// Waits until a published state satisfies `condition`.
    func waitForState(timeoutSeconds: Double = 10, _ condition: (PLDArmState) -> Bool) -> PLDArmState? {
        var found: PLDArmState?
        _ = eventually(timeoutSeconds: timeoutSeconds) {
            guard let state = try? latestState(timeoutSeconds: 1), condition(state) else { return false }
            found = state
            return true
        }
        return found
    }

    // MARK: Requests

    /// Sends one request and waits for the reply (a REQ/REP round trip).
    func request(_ body: PLDArmRequest.OneOf_Request?, version: UInt32 = 1) throws -> PLDArmReply {
        requestID += 1
        var request = PLDArmRequest()
        request.protocolVersion = version
        request.requestID = requestID
        request.request = body
        return try requestRaw(try request.serializedBytes())
    }

    /// Sends `frames` as one request message and waits for the reply.
    func requestRaw(_ bytes: [UInt8], extraFrames: [[UInt8]] = [], timeoutSeconds: Double = 5) throws -> PLDArmReply {
        try control.send(multipart: [bytes] + extraFrames)
        guard let reply = try control.receive(timeoutMilliseconds: Int(timeoutSeconds * 1000)) else {
            // A REQ that lost its reply is stuck; start over with a fresh one.
            control = try Self.connectRequester(context, link.controlEndpoint.configString)
            throw HarnessError("no reply within \(timeoutSeconds) s")
        }
        return try PLDArmReply(serializedBytes: reply)
    }

    var lastRequestID: UInt64 { requestID }

    static func hello() -> PLDArmRequest.OneOf_Request {
        var hello = PLDHello()
        hello.protocolVersion = 1
        hello.clientName = "SimulationTests"
        return .hello(hello)
    }

    static func move(_ q: [Double], seconds: Double, gripper: Double? = nil) -> PLDArmRequest.OneOf_Request {
        var move = PLDMoveToJoints()
        move.qTargetRad = q
        move.durationS = seconds
        if let gripper {
            move.hasGripperTarget_p = true
            move.gripperTarget = gripper
        }
        return .moveToJoints(move)
    }
}
