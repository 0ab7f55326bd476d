import Foundation
import PLDCore
import Simulation
import SwiftProtobuf
import Wire
import ZeroMQ

/// The PC side of a deoxys link, in-process, against a simulated NUC: the test binds the two
/// command PUBs (as `pld run` or deoxys's Python client would) and connects SUBs to the NUC's
/// two state PUBs. All four are real tcp sockets on 127.0.0.1.
///
/// Not Sendable: one test owns it.
final class FrankaHarness {
    let clock: SimClock
    let plant: KinematicFrankaPlant
    let context: Context
    let armCommand: Socket
    let gripperCommand: Socket
    let armState: Socket
    let gripperState: Socket
    let nuc: FrankaNUCSimulator
    let encoder: FrankaCommandEncoder
    let log = LogLines()
    let config: FrankaDeoxysConfig

    /// Starts a NUC at sim speed `speed` with `configure` applied to its options.
    init(speed: Double = 10, plant: KinematicFrankaPlant = KinematicFrankaPlant(),
         configure: (inout FrankaNUCSimulator.Options) -> Void = { _ in }) throws {
        clock = SimClock(speed: speed)
        self.plant = plant
        context = try Context()
        armCommand = try Socket(context: context, type: .pub)
        try armCommand.bind("tcp://127.0.0.1:*")
        gripperCommand = try Socket(context: context, type: .pub)
        try gripperCommand.bind("tcp://127.0.0.1:*")
        let yaml = """
            nuc_host: 127.0.0.1
            pc_bind_address: 127.0.0.1
            ports:
              arm_command: \(port(of: try armCommand.lastEndpoint))
              arm_state: \(freeTCPPort())
              gripper_command: \(port(of: try gripperCommand.lastEndpoint))
              gripper_state: \(freeTCPPort())
            policy_rate_hz: 20
            """
        config = try ConfigLoader.decode(FrankaDeoxysConfig.self, bytes: Array(yaml.utf8), file: "nuc-test.yaml").value
        var options = FrankaNUCSimulator.Options()
        let log = self.log
        options.log = SimLog { log.append($0) }
        configure(&options)
        nuc = try FrankaNUCSimulator(config: config, plant: plant, clock: clock, options: options, context: context)
        try nuc.start()
        armState = try Socket(context: context, type: .sub)
        try armState.set(.reconnectIntervalMilliseconds, 10)
        try armState.subscribe()
        try armState.connect(nuc.armStateEndpoint)
        gripperState = try Socket(context: context, type: .sub)
        try gripperState.set(.conflate, true)
        try gripperState.subscribe()
        try gripperState.connect(nuc.gripperStateEndpoint)
        encoder = try FrankaCommandEncoder()
    }

    deinit { nuc.stop() }

    /// One poll period of the NUC, in wall seconds.
    var pollPeriodWallSeconds: Double { clock.wallSeconds(forSimSeconds: 1 / config.policyRateHz) }

    // MARK: Sending

    func sendArm(_ bytes: [UInt8]) throws { try armCommand.send(bytes) }
    func sendGripper(_ bytes: [UInt8]) throws { try gripperCommand.send(bytes) }

    /// Sends `bytes` once per NUC poll period until `condition` holds (PUB/SUB loses what is
    /// sent before the NUC's SUB has connected). Throws if it never does.
    func sendArm(_ bytes: [UInt8], until condition: () -> Bool, timeoutSeconds: Double = 10) throws {
        try send(bytes, on: armCommand, until: condition, timeoutSeconds: timeoutSeconds)
    }

    func sendGripper(_ bytes: [UInt8], until condition: () -> Bool, timeoutSeconds: Double = 10) throws {
        try send(bytes, on: gripperCommand, until: condition, timeoutSeconds: timeoutSeconds)
    }

    private func send(_ bytes: [UInt8], on socket: Socket, until condition: () -> Bool, timeoutSeconds: Double) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !condition() {
            guard Date() < deadline else { throw HarnessError("condition not met after \(timeoutSeconds) s of sending") }
            try socket.send(bytes)
            usleep(useconds_t(pollPeriodWallSeconds * 1e6))
        }
    }

    /// Waits until the NUC's command SUB is connected: NO_CONTROL keep-alives (harmless
    /// before a controller runs) until one is parsed. Then clears the plant's call log.
    func connectArm() throws {
        let bytes = try encoded { try encoder.encodeNoControl(into: $0) }
        let before = nuc.counters.messagesParsed
        try sendArm(bytes, until: { nuc.counters.messagesParsed > before })
        plant.clearCalls()
    }

    /// Starts an OSC_POSE controller from NO_CONTROL with a zero delta; returns with one goal
    /// applied and the call log cleared.
    func startOSC() throws {
        try connectArm()
        let before = nuc.counters.goalsApplied
        try sendArmOnce(try osc(TaskSpaceGoal(isDelta: true)), until: { nuc.counters.goalsApplied > before })
        plant.clearCalls()
    }

    /// Sends `bytes` once (the SUB must be connected) and waits for `condition`.
    func sendArmOnce(_ bytes: [UInt8], until condition: () -> Bool, timeoutSeconds: Double = 10) throws {
        try sendArm(bytes)
        guard eventually(timeoutSeconds: timeoutSeconds, condition) else {
            throw HarnessError("condition not met after one message and \(timeoutSeconds) s")
        }
    }

    // MARK: Encoding

    func encoded(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = try buffer.withUnsafeMutableBytes { try body($0) }
        return Array(buffer[0..<count])
    }

    func osc(_ goal: TaskSpaceGoal) throws -> [UInt8] {
        try encoded { try encoder.encodeOSC(.oscPose, goal: goal, into: $0) }
    }

    // MARK: Receiving

    /// The newest arm state, waiting up to `timeoutSeconds` for one.
    func latestArmState(timeoutSeconds: Double = 5) throws -> DeoxysFrankaRobotStateMessage {
        guard var bytes = try armState.receive(timeoutMilliseconds: Int(timeoutSeconds * 1000)) else {
            throw HarnessError("no arm state within \(timeoutSeconds) s")
        }
        while let newer = try armState.receive(flags: .dontWait) { bytes = newer }
        return try DeoxysFrankaRobotStateMessage(serializedBytes: bytes)
    }

    /// The next arm state in arrival order.
    func nextArmState(timeoutSeconds: Double = 5) throws -> DeoxysFrankaRobotStateMessage? {
        guard let bytes = try armState.receive(timeoutMilliseconds: Int(timeoutSeconds * 1000)) else { return nil }
        return try DeoxysFrankaRobotStateMessage(serializedBytes: bytes)
    }

    func latestGripperState(timeoutSeconds: Double = 5) throws -> DeoxysFrankaGripperStateMessage {
        guard let bytes = try gripperState.receive(timeoutMilliseconds: Int(timeoutSeconds * 1000)) else {
            throw HarnessError("no gripper state within \(timeoutSeconds) s")
        }
        return try DeoxysFrankaGripperStateMessage(serializedBytes: bytes)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A gripper command as deoxys's Python client packs it.
func gripperCommand<M: SwiftProtobuf.Message>(_ inner: M, termination: Bool = false) throws -> [UInt8] {
    var envelope = DeoxysFrankaGripperControlMessage()
    envelope.termination = termination
    envelope.controlMsg = try Google_Protobuf_Any(message: inner, typePrefix: "type.googleapis.com")
    return try envelope.serializedBytes()
}
