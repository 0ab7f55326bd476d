import Foundation
import SwiftProtobuf
import Testing
@testable import Wire

/// A full robot state with every field filled, values distinct per field so a mix-up shows.
func fullFrankaState(frame: UInt64 = 42) -> DeoxysFrankaRobotStateMessage {
    var m = DeoxysFrankaRobotStateMessage()
    func series(_ base: Double, _ n: Int) -> [Double] { (0..<n).map { base + Double($0) * 0.01 } }
    var pose = [Double](repeating: 0, count: 16)
    pose[0] = 1; pose[5] = -1; pose[10] = -1; pose[15] = 1
    pose[12] = 0.45; pose[13] = -0.02; pose[14] = 0.31
    m.oTEe = pose
    m.oTEeD = pose
    m.fTEe = series(1, 16); m.fTNe = series(2, 16); m.neTEe = series(3, 16); m.eeTK = series(4, 16)
    m.mEe = 0.73; m.iEe = series(5, 9); m.fXCee = series(6, 3)
    m.mLoad = 0.1; m.iLoad = series(7, 9); m.fXCload = series(8, 3)
    m.mTotal = 0.83; m.iTotal = series(9, 9); m.fXCtotal = series(10, 3)
    m.elbow = [0.1, -1]; m.elbowD = [0.1, -1]; m.elbowC = [0.1, -1]; m.delbowC = [0, 0]; m.ddelbowC = [0, 0]
    m.tauJ = series(-3, 7); m.tauJD = series(-2, 7); m.dtauJ = series(0.5, 7)
    m.q = [0, -0.785, 0, -2.356, 0, 1.571, 0.785]
    m.qD = series(0.2, 7); m.dq = series(0.01, 7); m.dqD = series(0.02, 7); m.ddqD = series(0.03, 7)
    m.jointContact = series(0, 7); m.cartesianContact = series(0, 6)
    m.jointCollision = series(0, 7); m.cartesianCollision = series(0, 6)
    m.tauExtHatFiltered = series(0.4, 7); m.oFExtHatK = series(1.5, 6); m.kFExtHatK = series(1.6, 6)
    m.oDPEeD = series(0, 6); m.oTEeC = pose; m.oDPEeC = series(0, 6); m.oDdPEeC = series(0, 6)
    m.theta = series(0.3, 7); m.dtheta = series(0.04, 7)
    m.currentErrors.jointReflex = true
    m.currentErrors.jointMoveInWrongDirection = true
    m.lastMotionErrors.communicationConstraintsViolation = true
    m.controlCommandSuccessRate = 0.98
    m.robotMode = .move
    m.time.toSec = 12.345
    m.time.toMsec = 12345
    m.frame = frame
    return m
}

func decodeState(_ bytes: [UInt8], _ decoder: FrankaStateDecoder = FrankaStateDecoder()) throws(WireDecodeError) -> FrankaStateSample {
    // Array.withUnsafeBytes rethrows untyped errors; carry the typed one out in a Result.
    let result = bytes.withUnsafeBytes { raw in Result { () throws(WireDecodeError) in try decoder.decodeRobotState(raw) } }
    return try result.get()
}

@Suite struct HotPathDecodeTests {
    @Test func protobufCDecodesEveryFieldTheRuntimeUses() throws {
        let message = fullFrankaState()
        let sample = try decodeState(try message.serializedBytes())
        for i in 0..<7 {
            #expect(sample.q[i] == message.q[i])
            #expect(sample.dq[i] == message.dq[i])
            #expect(sample.qDesired[i] == message.qD[i])
            #expect(sample.tauJ[i] == message.tauJ[i])
            #expect(sample.tauExternal[i] == message.tauExtHatFiltered[i])
        }
        for i in 0..<16 {
            #expect(sample.oTEE[i] == message.oTEe[i])
            #expect(sample.oTEEDesired[i] == message.oTEeD[i])
        }
        for i in 0..<6 { #expect(sample.externalWrench[i] == message.oFExtHatK[i]) }
        #expect(sample.eePositionMeters.x == 0.45)
        #expect(sample.robotMode == 2)
        // joint_reflex is field 7 → bit 6; joint_move_in_wrong_direction field 37 → bit 36.
        #expect(sample.currentErrors == (1 << 6) | (1 << 36))
        #expect(sample.lastMotionErrors == 1 << 31)
        #expect(sample.controlCommandSuccessRate == 0.98)
        #expect(sample.timeMilliseconds == 12345)
        #expect(sample.frame == 42)
    }

    @Test func errorFlagsAreContiguousInTheGeneratedStruct() {
        #expect(errorFlagLayoutIsContiguous())
    }

    @Test func aStateWithSixJointsIsRefused() throws {
        var message = fullFrankaState()
        message.q.removeLast()
        #expect(throws: WireDecodeError.wrongCount(field: .frankaQ, expected: 7, actual: 6)) {
            try decodeState(try message.serializedBytes())
        }
    }

    @Test func aStateWithoutPoseIsRefused() throws {
        var message = fullFrankaState()
        message.oTEe = []
        #expect(throws: WireDecodeError.wrongCount(field: .frankaOTEE, expected: 16, actual: 0)) {
            try decodeState(try message.serializedBytes())
        }
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func aStateWithNonFiniteJointsIsRefused(value: Double) throws {
        var message = fullFrankaState()
        message.dq[4] = value
        #expect(throws: WireDecodeError.nonFinite(field: .frankaDq)) { try decodeState(try message.serializedBytes()) }
    }

    @Test func anOversizedMessageIsRefusedBeforeDecoding() throws {
        let decoder = FrankaStateDecoder(maxMessageBytes: 1024)
        let bytes: [UInt8] = try fullFrankaState().serializedBytes()
        #expect(throws: WireDecodeError.tooLarge(message: .frankaRobotState, bytes: bytes.count, limit: 1024)) {
            try decodeState(bytes, decoder)
        }
    }

    @Test func truncatedStatesAreRefusedOrDecodeToTheTruth() throws {
        let message = fullFrankaState()
        let bytes: [UInt8] = try message.serializedBytes()
        let decoder = FrankaStateDecoder()
        var refused = 0
        for length in 0..<bytes.count {
            // proto3 has no required fields: a prefix that ends on a field boundary after every
            // array the runtime needs is a valid (shorter) state. Anything else must be refused.
            guard let sample = try? decodeState(Array(bytes[0..<length]), decoder) else {
                refused += 1
                continue
            }
            for i in 0..<7 { #expect(sample.q[i] == message.q[i]) }
            for i in 0..<16 { #expect(sample.oTEE[i] == message.oTEe[i]) }
        }
        // Only prefixes ending exactly on a field boundary after `dq` (field 26, the last array
        // the decoder requires) decode: at most one per later field (27…48).
        #expect(bytes.count - refused <= 22)
    }

    @Test func gripperStateDecodes() throws {
        var message = DeoxysFrankaGripperStateMessage()
        message.width = 0.042
        message.maxWidth = 0.08
        message.isGrasped = true
        message.temperature = 31
        message.time.toMsec = 99
        let bytes: [UInt8] = try message.serializedBytes()
        let sample = try bytes.withUnsafeBytes { try FrankaStateDecoder().decodeGripperState($0) }
        #expect(sample == {
            var s = FrankaGripperSample()
            s.widthMeters = 0.042; s.maxWidthMeters = 0.08; s.isGrasped = true; s.temperature = 31; s.timeMilliseconds = 99
            return s
        }())
    }

    @Test func armStateRoundTripsThroughSwiftProtobufAndProtobufC() throws {
        var message = PLDArmState()
        message.protocolVersion = 1
        message.armName = "left"
        message.sequence = 7
        message.qRad = [0.1, 1.0, 1.0, 0.0, -0.2, 0.3]
        message.dqRadPerS = [0, 0, 0, 0.5, 0, 0]
        message.gripperPosition = 0.25
        message.mode = .damping
        message.faultMessage = "motor 3 timeout"
        let bytes: [UInt8] = try message.serializedBytes()
        let sample = try bytes.withUnsafeBytes { try ArmStateDecoder(jointCount: 6).decode($0) }
        #expect(sample.jointCount == 6)
        for i in 0..<6 { #expect(sample.q[i] == message.qRad[i]) }
        #expect(sample.dq[3] == 0.5)
        #expect(sample.tau[0] == 0)  // absent → zero
        #expect(sample.gripperPosition == 0.25)
        #expect(sample.mode == .damping)
        #expect(sample.hasFaultMessage)
        #expect(sample.sequence == 7)
    }

    @Test func armStateFromAnotherProtocolVersionOrJointCountIsRefused() throws {
        var message = PLDArmState()
        message.protocolVersion = 2
        message.qRad = [0, 0, 0, 0, 0, 0]
        let decoder = ArmStateDecoder(jointCount: 6)
        #expect(throws: WireDecodeError.protocolVersion(expected: 1, actual: 2)) {
            try (try message.serializedBytes() as [UInt8]).withUnsafeBytes { try decoder.decode($0) }
        }
        message.protocolVersion = 1
        message.qRad = [0, 0, 0, 0, 0, 0, 0]
        #expect(throws: WireDecodeError.wrongCount(field: .armQ, expected: 6, actual: 7)) {
            try (try message.serializedBytes() as [UInt8]).withUnsafeBytes { try decoder.decode($0) }
        }
        message.qRad = [0, 0, .nan, 0, 0, 0]
        #expect(throws: WireDecodeError.nonFinite(field: .armQ)) {
            try (try message.serializedBytes() as [UInt8]).withUnsafeBytes { try decoder.decode($0) }
        }
    }

    @Test func armCommandEncodesWhatSwiftProtobufReadsBack() throws {
        let encoder = ArmCommandEncoder(jointCount: 6)
        var q = InlineArray<8, Double>(repeating: 0)
        for i in 0..<6 { q[i] = Double(i) * 0.1 }
        let bytes = try encoded {
            try encoder.encodeTarget(sequence: 9, sentUnixNanos: 1_700_000_000_000_000_000, qTarget: q, gripperTarget: 1, into: $0)
        }
        let command = try PLDArmCommand(serializedBytes: bytes)
        #expect(command.protocolVersion == 1)
        #expect(command.sequence == 9)
        #expect(command.qTargetRad == [0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5])
        #expect(command.gripperTarget == 1)
        #expect(!command.hold)
        let hold = try PLDArmCommand(serializedBytes: try encoded { try encoder.encodeHold(sequence: 10, sentUnixNanos: 0, into: $0) })
        #expect(hold.hold)
        #expect(hold.qTargetRad.isEmpty)
        q[2] = .nan
        var buffer = [UInt8](repeating: 0, count: 256)
        _ = buffer.withUnsafeMutableBytes { out in
            #expect(throws: WireEncodeError.nonFinite(field: .commandQ)) {
                try encoder.encodeTarget(sequence: 11, sentUnixNanos: 0, qTarget: q, gripperTarget: 0, into: out)
            }
        }
    }
}
