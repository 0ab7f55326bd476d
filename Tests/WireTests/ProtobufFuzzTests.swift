import Foundation
import SwiftProtobuf
import TestSupport
import Testing
@testable import Wire

/// Every decoder that reads socket bytes survives at least 10,000 hostile inputs: it either
/// decodes or throws its typed error; it never crashes or reads out of bounds.
@Suite struct ProtobufFuzzTests {
    static let iterations = 10_000

    @Test func frankaStateDecoderSurvivesHostileInput() throws {
        var random = SeededRandom(seed: 1)
        let valid: [UInt8] = try fullFrankaState().serializedBytes()
        let decoder = FrankaStateDecoder()
        var accepted = 0
        for _ in 0..<Self.iterations {
            let input = random.fuzzInput(from: valid, maxLength: 4096)
            do {
                let sample = try input.withUnsafeBytes { raw throws(WireDecodeError) in try decoder.decodeRobotState(raw) }
                for i in 0..<7 { #expect(sample.q[i].isFinite) }
                accepted += 1
            } catch {}
        }
        #expect(accepted < Self.iterations)  // the generator really produced bad input
    }

    @Test func frankaGripperDecoderSurvivesHostileInput() throws {
        var random = SeededRandom(seed: 2)
        var message = DeoxysFrankaGripperStateMessage()
        message.width = 0.05
        message.maxWidth = 0.08
        message.time.toMsec = 5
        let valid: [UInt8] = try message.serializedBytes()
        let decoder = FrankaStateDecoder()
        for _ in 0..<Self.iterations {
            let input = random.fuzzInput(from: valid)
            if let sample = try? input.withUnsafeBytes({ raw throws(WireDecodeError) in try decoder.decodeGripperState(raw) }) {
                #expect(sample.widthMeters.isFinite)
            }
        }
    }

    @Test func armStateDecoderSurvivesHostileInput() throws {
        var random = SeededRandom(seed: 3)
        var message = PLDArmState()
        message.protocolVersion = 1
        message.qRad = [0, 1, 1, 0, 0, 0]
        message.dqRadPerS = [0, 0, 0, 0, 0, 0]
        message.faultMessage = "none"
        let valid: [UInt8] = try message.serializedBytes()
        let decoder = ArmStateDecoder(jointCount: 6)
        for _ in 0..<Self.iterations {
            let input = random.fuzzInput(from: valid)
            if let sample = try? input.withUnsafeBytes({ raw throws(WireDecodeError) in try decoder.decode(raw) }) {
                for i in 0..<6 { #expect(sample.q[i].isFinite) }
            }
        }
    }

    @Test func controlPlaneMessagesSurviveHostileInput() throws {
        var random = SeededRandom(seed: 4)
        var request = PLDArmRequest()
        request.protocolVersion = 1
        request.moveToJoints.qTargetRad = [0, 1, 1, 0, 0, 0]
        request.moveToJoints.durationS = 2
        var hello = PLDArmReply()
        hello.ok = true
        hello.hello.jointNames = ["joint1", "joint2"]
        var frame = PLDCameraFrame()
        frame.camera = "wrist"
        frame.data = Data(repeating: 7, count: 64)
        var command = PLDOperatorCommand()
        command.kind = .estop
        command.issuer = "tester"
        var status = PLDRunStatus()
        status.links = [PLDLinkHealth()]
        status.stageName = "insert"
        let seeds: [[UInt8]] = try [
            request.serializedBytes(), hello.serializedBytes(), frame.serializedBytes(),
            command.serializedBytes(), status.serializedBytes(), DeoxysGolden.oscPoseX001,
        ]
        for i in 0..<Self.iterations {
            let input = random.fuzzInput(from: seeds[i % seeds.count])
            _ = try? PLDArmRequest(wireBytes: input, maxBytes: 1 << 16)
            _ = try? PLDArmReply(wireBytes: input, maxBytes: 1 << 16)
            _ = try? PLDCameraFrame(wireBytes: input, maxBytes: 1 << 16)
            _ = try? PLDFeatureVector(wireBytes: input, maxBytes: 1 << 16)
            _ = try? PLDOperatorCommand(wireBytes: input, maxBytes: 1 << 16)
            _ = try? PLDRunStatus(wireBytes: input, maxBytes: 1 << 16)
            if let control = try? DeoxysFrankaControlMessage(wireBytes: input, maxBytes: 1 << 16) {
                _ = try? DeoxysFrankaOSCPoseControllerMessage(unpackingAny: control.controlMsg)
            }
        }
    }

    @Test func oversizedControlPlaneMessageIsRefusedWithItsName() {
        let bytes = [UInt8](repeating: 0, count: 2000)
        #expect(throws: WireMessageError(messageName: "pld.OperatorCommand", reason: "2000 bytes exceeds the 1024-byte limit")) {
            try PLDOperatorCommand(wireBytes: bytes, maxBytes: 1024)
        }
        do {
            _ = try PLDOperatorCommand(wireBytes: [0x0A, 0xFF], maxBytes: 1024)
            Issue.record("truncated bytes decoded")
        } catch {
            #expect(error.description.hasPrefix("pld.OperatorCommand: malformed protobuf"))
        }
    }
}
