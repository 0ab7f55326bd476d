import Foundation
import SwiftProtobuf
import TestSupport
import Testing
@testable import Wire

/// The bytes deoxys's Python client sends, from reference/deoxys-wire.md §5.5
/// (produced there with `protoc --encode` from deoxys's own .proto files).
enum DeoxysGolden {
    static let noControl: [UInt8] =
        [0x2a, 0x32, 0x0a, 0x30] + Array("type.googleapis.com/FrankaDummyControllerMessage".utf8)
        + [0x31, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xc9, 0x3f]

    static let oscPoseX001 = decodeHex("""
        1001180221333333333333d33f2ab3010a32747970652e676f6f676c65617069
        732e636f6d2f4672616e6b614f5343506f7365436f6e74726f6c6c65724d6573
        73616765127d0a0b0801117b14ae47e17a843f12180000000000c06240000000
        0000c062400000000000c062401a180000000000406f400000000000406f4000
        00000000406f402a3a0a38000000000000000000000000000000000000000000
        00000000000000000000009a9999999999b93f000000000000e03f0000000000
        00e03f319a9999999999c93f3a5110012a4d0a2e747970652e676f6f676c6561
        7069732e636f6d2f4578706f6e656e7469616c536d6f6f7468696e67436f6e66
        6967121b09cdccccccccccec3f11cdccccccccccec3f19000000000000f03f
        """)

    static let gripperGrasp = decodeHex("""
        125e0a2d747970652e676f6f676c65617069732e636f6d2f4672616e6b614772
        697070657247726173704d657373616765122d097b14ae47e17a84bf11000000
        000000e03f190000000000003e40217b14ae47e17ab43f297b14ae47e17ab43f
        """)
}

/// Encodes with a fresh 4 kB buffer and returns the bytes.
func encoded(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = try buffer.withUnsafeMutableBytes { try body($0) }
    return Array(buffer[0..<count])
}

@Suite struct DeoxysGoldenVectorTests {
    @Test func goldenVectorsHaveTheDocumentedLengths() {
        #expect(DeoxysGolden.noControl.count == 61)
        #expect(DeoxysGolden.oscPoseX001.count == 287)
        #expect(DeoxysGolden.gripperGrasp.count == 96)
    }

    @Test func protobufCNoControlMatchesDeoxysBytes() throws {
        let encoder = try FrankaCommandEncoder()
        #expect(try encoded { try encoder.encodeNoControl(into: $0) } == DeoxysGolden.noControl)
    }

    @Test func protobufCOSCPoseMatchesDeoxysBytes() throws {
        let encoder = try FrankaCommandEncoder()
        // x = 0.01 m (action 0.2 × deoxys's translation scale 0.05). The golden bytes hold the
        // double nearest 0.01; 0.2 * 0.05 rounds one ulp higher, so spell the literal.
        let bytes = try encoded { try encoder.encodeOSC(.oscPose, goal: TaskSpaceGoal(isDelta: true, x: 0.01), into: $0) }
        #expect(bytes == DeoxysGolden.oscPoseX001)
    }

    @Test func protobufCGraspMatchesDeoxysBytes() throws {
        let encoder = try FrankaCommandEncoder()
        let bytes = try encoded {
            try encoder.encodeGripperGrasp(
                widthMeters: -0.01, speedMetersPerSecond: 0.5, forceNewtons: 30, epsilonInnerMeters: 0.08,
                epsilonOuterMeters: 0.08, into: $0)
        }
        #expect(bytes == DeoxysGolden.gripperGrasp)
    }

    @Test func swiftProtobufOSCPoseMatchesDeoxysBytes() throws {
        let control = try DeoxysFrankaControlMessage.referenceOSC(goal: TaskSpaceGoal(isDelta: true, x: 0.01))
        let bytes: [UInt8] = try control.serializedBytes()
        #expect(bytes == DeoxysGolden.oscPoseX001)
    }

    /// Beyond the one golden vector: protobuf-c and swift-protobuf agree byte for byte over
    /// random goals and every controller preset.
    @Test(arguments: [FrankaControllerSettings.oscPose, .oscPosition])
    func protobufCAgreesWithSwiftProtobufOnRandomGoals(settings: FrankaControllerSettings) throws {
        var random = SeededRandom(seed: 11)
        let encoder = try FrankaCommandEncoder(osc: settings)
        for controller in [FrankaControllerType.oscPose, .oscPosition, .oscYaw] {
            for _ in 0..<200 {
                func value() -> Double { [0, Double.random(in: -0.05...0.05, using: &random)].randomElement(using: &random)! }
                let goal = TaskSpaceGoal(
                    isDelta: Bool.random(using: &random), x: value(), y: value(), z: value(), ax: value(), ay: value(), az: value())
                let ours = try encoded { try encoder.encodeOSC(controller, goal: goal, into: $0) }
                let reference: [UInt8] = try DeoxysFrankaControlMessage.referenceOSC(controller, goal: goal, settings: settings)
                    .serializedBytes()
                #expect(ours == reference)
            }
        }
    }

    @Test func swiftProtobufDecodesTheGoldenOSCPoseWithBareTypeURL() throws {
        let control = try DeoxysFrankaControlMessage(serializedBytes: DeoxysGolden.oscPoseX001)
        #expect(control.controlMsg.typeURL == "type.googleapis.com/FrankaOSCPoseControllerMessage")
        let osc = try DeoxysFrankaOSCPoseControllerMessage(unpackingAny: control.controlMsg)
        #expect(osc.goal.x == 0.01)
        #expect(osc.config.residualMassVec == [0, 0, 0, 0, 0.1, 0.5, 0.5])
    }

    @Test func interpolatorFractionAtTheNUCFloorIsRefused() {
        var settings = FrankaControllerSettings.oscPose
        settings.interpolatorTimeFraction = 0.1
        #expect(throws: WireEncodeError.interpolatorFractionTooSmall) { try FrankaCommandEncoder(osc: settings) }
    }

    @Test func nonFiniteGoalsAreNeverEncoded() throws {
        let encoder = try FrankaCommandEncoder()
        var buffer = [UInt8](repeating: 0, count: 1024)
        buffer.withUnsafeMutableBytes { out in
            #expect(throws: WireEncodeError.goalNotFinite) {
                try encoder.encodeOSC(goal: TaskSpaceGoal(isDelta: true, x: .nan), into: out)
            }
            var q = InlineArray<7, Double>(repeating: 0)
            q[3] = .infinity
            #expect(throws: WireEncodeError.nonFinite(field: .commandQ)) { try encoder.encodeJointPosition(q, into: out) }
        }
    }

    @Test func tooSmallBufferIsReportedNotOverrun() throws {
        let encoder = try FrankaCommandEncoder()
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        buffer.withUnsafeMutableBytes { out in
            let small = UnsafeMutableRawBufferPointer(rebasing: out[0..<32])
            #expect(throws: WireEncodeError.bufferTooSmall(needed: 287, capacity: 32)) {
                try encoder.encodeOSC(goal: TaskSpaceGoal(isDelta: true, x: 0.01), into: small)
            }
        }
        #expect(buffer.allSatisfy { $0 == 0xEE })
    }
}
