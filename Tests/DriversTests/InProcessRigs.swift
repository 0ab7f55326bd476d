import Drivers
import Foundation
import PLDCore
import SwiftProtobuf
import Testing
import Wire
import ZeroMQ

/// A good deoxys robot state with distinct values (q_i = base + 0.1·i).
func frankaStateMessage(qBase: Double = 0, frame: UInt64 = 1, timeMilliseconds: UInt64 = 1000) -> DeoxysFrankaRobotStateMessage {
    var m = DeoxysFrankaRobotStateMessage()
    m.q = (0..<7).map { qBase + 0.1 * Double($0) }
    m.dq = (0..<7).map { 0.01 * Double($0) }
    m.tauJ = (0..<7).map { -1 + Double($0) }
    m.oTEe = [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0.5, 0.1, 0.4, 1]
    m.robotMode = .move
    m.controlCommandSuccessRate = 0.99
    m.time.toMsec = timeMilliseconds
    m.frame = frame
    return m
}

func frankaGripperMessage(width: Double = 0.08) -> DeoxysFrankaGripperStateMessage {
    var m = DeoxysFrankaGripperStateMessage()
    m.width = width
    m.maxWidth = 0.08
    m.temperature = 30
    return m
}

/// A good PLD arm state for 6 joints (q_i = base + 0.1·(i+1)).
func armStateMessage(qBase: Double = 0, sequence: UInt64 = 1, joints: Int = 6) -> PLDArmState {
    var m = PLDArmState()
    m.protocolVersion = 1
    m.armName = "left"
    m.sequence = sequence
    m.sampleUnixNs = 1_700_000_000_000_000_000
    m.qRad = (0..<joints).map { qBase + 0.1 * Double($0 + 1) }
    m.dqRadPerS = [Double](repeating: 0, count: joints)
    m.tauNm = [Double](repeating: 0.5, count: joints)
    m.gripperPosition = 0.2
    m.mode = .tracking
    return m
}

/// Bytes that are not a protobuf of anything: a length prefix far past the end.
let garbageBytes: [UInt8] = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01, 0x02]

/// A message padded with an unknown bytes field to `total` bytes or more.
func padded(_ bytes: [UInt8], toAtLeast total: Int) -> [UInt8] {
    let fill = max(0, total - bytes.count)
    // Field 999 (wire type 2): tag varint 0xBA 0x3E, then a varint length.
    var out = bytes + [0xBA, 0x3E]
    var length = fill
    repeat {
        var byte = UInt8(length & 0x7F)
        length >>= 7
        if length > 0 { byte |= 0x80 }
        out.append(byte)
    } while length > 0
    return out + [UInt8](repeating: 0x55, count: fill)
}

/// FrankaLink wired in-process (inproc) to test PUBs standing in for the NUC's state
/// publishers, and a test SUB on the link's arm command PUB.
final class InProcessFranka {
    let context: Context
    let link: FrankaLink
    let statePub: Socket
    let gripperPub: Socket
    let commandSub: Socket
    var now: UInt64 = 1_000_000_000

    init(options: FrankaLink.Options = FrankaLink.Options(), name: String = UUID().uuidString) throws {
        context = try Context()
        statePub = try Socket(context: context, type: .pub)
        try statePub.bind("inproc://\(name)-state")
        gripperPub = try Socket(context: context, type: .pub)
        try gripperPub.bind("inproc://\(name)-gripper")
        let arm = try frankaArmConfig(ports: [5555, 5556, 5557, 5558])
        link = try FrankaLink(
            arm: arm, context: context, options: options,
            endpoints: FrankaEndpoints(
                armCommandBind: "inproc://\(name)-cmd", gripperCommandBind: "inproc://\(name)-gripper-cmd",
                armStateConnect: "inproc://\(name)-state", gripperStateConnect: "inproc://\(name)-gripper"))
        try link.connect()
        commandSub = try Socket(context: context, type: .sub)
        try commandSub.subscribe(prefix: [UInt8]())
        try commandSub.connect("inproc://\(name)-cmd")
    }

    /// Advances the fake clock by `millis` and polls.
    @discardableResult
    func poll(afterMillis millis: UInt64 = 1) -> LinkEvents {
        now += millis * 1_000_000
        return link.poll(now: now)
    }

    /// Publishes on the arm state link until the link has taken or refused something new
    /// (the first messages may race the subscription), then returns the events.
    @discardableResult
    func deliver(_ bytes: [UInt8], gripper: Bool = false) throws -> LinkEvents {
        let c = link.counters
        let before = gripper
            ? c.gripperStatesReceived + c.gripperStateRefusals.total : c.statesReceived + c.stateRefusals.total
        for _ in 0..<200 {
            try (gripper ? gripperPub : statePub).send(bytes)
            let events = poll()
            let k = link.counters
            let after = gripper
                ? k.gripperStatesReceived + k.gripperStateRefusals.total : k.statesReceived + k.stateRefusals.total
            if after > before { return events }
            usleep(1_000)
        }
        throw ZMQError(errno: ZMQError.EAGAIN, message: "message never arrived", operation: "deliver")
    }

    /// Decoded arm commands the link sent since the last call.
    func commands() throws -> [DeoxysFrankaControlMessage] {
        var out: [DeoxysFrankaControlMessage] = []
        while let bytes = try commandSub.receive(flags: .dontWait) {
            out.append(try DeoxysFrankaControlMessage(serializedBytes: bytes))
        }
        return out
    }

    /// Holds until the test SUB sees the link's commands.
    func connectCommandSub() throws {
        for _ in 0..<500 {
            link.hold(now: now)
            if try !commands().isEmpty { return }
            usleep(1_000)
        }
        throw ZMQError(errno: ZMQError.EAGAIN, message: "command SUB never connected", operation: "connect")
    }
}

/// A PLD arm config whose three endpoints are inproc (for in-process tests).
func inprocYAMConfig(_ name: String) throws -> ArmConfig {
    try yamArmConfig(
        ports: [], stateEndpoint: "inproc://\(name)-state", commandEndpoint: "inproc://\(name)-cmd",
        controlEndpoint: "inproc://\(name)-ctl")
}
