import SwiftProtobuf
import Wire

/// Protobuf encode/decode on the hot path: swift-protobuf versus protobuf-c into an arena.
struct ProtobufCodecResults: Codable {
    struct Case: Codable {
        var bytes: Int
        var nanosPerCall: Percentiles
        var allocationsPerCall: Double
    }
    var frankaStateDecodeSwiftProtobuf: Case
    var frankaStateDecodeProtobufC: Case
    var frankaStateEncodeSwiftProtobuf: Case
    var oscCommandEncodeSwiftProtobuf: Case
    var oscCommandEncodeProtobufC: Case
    var armStateDecodeSwiftProtobuf: Case
    var armStateDecodeProtobufC: Case
    var armCommandEncodeProtobufC: Case
}

/// A robot state with every repeated field at libfranka's size, as a deoxys NUC publishes it.
func fullRobotState() -> DeoxysFrankaRobotStateMessage {
    var m = DeoxysFrankaRobotStateMessage()
    var next = 0.1
    func values(_ n: Int) -> [Double] {
        (0..<n).map { _ in
            next += 0.013
            return next
        }
    }
    m.oTEe = values(16); m.oTEeD = values(16); m.fTEe = values(16); m.fTNe = values(16)
    m.neTEe = values(16); m.eeTK = values(16); m.mEe = 0.73; m.iEe = values(9); m.fXCee = values(3)
    m.mLoad = 0.1; m.iLoad = values(9); m.fXCload = values(3); m.mTotal = 0.83; m.iTotal = values(9)
    m.fXCtotal = values(3); m.elbow = values(2); m.elbowD = values(2); m.elbowC = values(2)
    m.delbowC = values(2); m.ddelbowC = values(2); m.tauJ = values(7); m.tauJD = values(7)
    m.dtauJ = values(7); m.q = values(7); m.qD = values(7); m.dq = values(7); m.dqD = values(7)
    m.ddqD = values(7); m.jointContact = values(7); m.cartesianContact = values(6)
    m.jointCollision = values(7); m.cartesianCollision = values(6); m.tauExtHatFiltered = values(7)
    m.oFExtHatK = values(6); m.kFExtHatK = values(6); m.oDPEeD = values(6); m.oTEeC = values(16)
    m.oDPEeC = values(6); m.oDdPEeC = values(6); m.theta = values(7); m.dtheta = values(7)
    m.currentErrors.jointReflex = true
    m.lastMotionErrors.cartesianReflex = true
    m.controlCommandSuccessRate = 0.99
    m.robotMode = .move
    m.time.toSec = 1234.567
    m.time.toMsec = 1_234_567
    m.frame = 123_456
    return m
}

func benchProtobuf(iterations: Int) throws -> ProtobufCodecResults {
    let state = fullRobotState()
    let stateBytes: [UInt8] = try state.serializedBytes()
    let decoder = FrankaStateDecoder()
    var sink = 0.0

    func run(_ bytes: Int, _ body: () throws -> Void) throws -> ProtobufCodecResults.Case {
        let timing = try timeEach(iterations: iterations, body)
        return .init(bytes: bytes, nanosPerCall: timing, allocationsPerCall: try allocationsPerCall(body))
    }

    let decodeSwift = try run(stateBytes.count) {
        let m = try DeoxysFrankaRobotStateMessage(serializedBytes: stateBytes)
        sink += m.q[0]
    }
    let decodeC = try stateBytes.withUnsafeBytes { raw in
        try run(stateBytes.count) {
            let sample = try decoder.decodeRobotState(raw)
            sink += sample.q[0]
        }
    }
    let encodeSwift = try run(stateBytes.count) {
        let bytes: [UInt8] = try state.serializedBytes()
        sink += Double(bytes.count)
    }

    // OSC_POSE command as deoxys's Python client builds it.
    let encoder = try FrankaCommandEncoder()
    let goal = TaskSpaceGoal(isDelta: true, x: 0.01)
    var out = [UInt8](repeating: 0, count: 4096)
    var oscBytes = 0
    let oscC = try out.withUnsafeMutableBytes { buffer in
        try run(287) {
            oscBytes = try encoder.encodeOSC(.oscPose, goal: goal, into: buffer)
        }
    }
    precondition(oscBytes == 287)
    let oscSwift = try run(287) {
        let bytes: [UInt8] = try DeoxysFrankaControlMessage.referenceOSC(goal: goal).serializedBytes()
        sink += Double(bytes.count)
    }

    // PLD arm protocol, one YAM arm.
    var arm = PLDArmState()
    arm.protocolVersion = 1
    arm.armName = "left"
    arm.sequence = 99
    arm.qRad = [0.1, 1.0, 1.0, 0.0, -0.2, 0.3]
    arm.dqRadPerS = [0, 0.01, 0, 0, 0, 0]
    arm.tauNm = [0, 1.5, 2.0, 0.1, 0, 0]
    arm.gripperPosition = 0.5
    arm.mode = .tracking
    let armBytes: [UInt8] = try arm.serializedBytes()
    let armDecoder = ArmStateDecoder(jointCount: 6)
    let armSwift = try run(armBytes.count) {
        let m = try PLDArmState(serializedBytes: armBytes)
        sink += m.qRad[0]
    }
    let armC = try armBytes.withUnsafeBytes { raw in
        try run(armBytes.count) {
            let sample = try armDecoder.decode(raw)
            sink += sample.q[0]
        }
    }
    let commandEncoder = ArmCommandEncoder(jointCount: 6)
    var q = InlineArray<8, Double>(repeating: 0.1)
    q[0] = 0.2
    var commandBytes = 0
    let armCommandC = try out.withUnsafeMutableBytes { buffer in
        try run(0) {
            commandBytes = try commandEncoder.encodeTarget(
                sequence: 1, sentUnixNanos: 1_700_000_000_000_000_000, qTarget: q, gripperTarget: 0.5, into: buffer)
        }
    }
    precondition(sink.isFinite)
    var command = armCommandC
    command.bytes = commandBytes
    return ProtobufCodecResults(
        frankaStateDecodeSwiftProtobuf: decodeSwift, frankaStateDecodeProtobufC: decodeC,
        frankaStateEncodeSwiftProtobuf: encodeSwift, oscCommandEncodeSwiftProtobuf: oscSwift,
        oscCommandEncodeProtobufC: oscC, armStateDecodeSwiftProtobuf: armSwift, armStateDecodeProtobufC: armC,
        armCommandEncodeProtobufC: command)
}
