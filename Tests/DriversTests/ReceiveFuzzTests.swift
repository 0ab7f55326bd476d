import Drivers
import Foundation
import PLDCore
import SwiftProtobuf
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Seeded fuzzing through the real receive paths: a PUB sends each input over inproc to the
/// link's conflated SUB, `poll(now:)` drains and decodes it. Every input must be counted exactly
/// once (taken or refused), the state must stay finite, anything taken must equal what an
/// independent decoder (swift-protobuf) reads, and anything valid must be taken.
@Suite struct ReceiveFuzzTests {
    static let inputs = 10_000

    /// Sends `input` and polls until the link counted one more message.
    static func deliverOnce(_ input: [UInt8], pub: Socket, counted: () -> Int, poll: () -> Void) throws {
        let before = counted()
        try pub.send(input)
        for attempt in 0..<2_000 {
            poll()
            if counted() > before { break }
            if attempt > 20 { usleep(100) }
        }
        #expect(counted() == before + 1, "input of \(input.count) bytes counted \(counted() - before) times")
    }

    /// The refusal was protobuf-c parsing more strictly than swift-protobuf (`malformed`).
    static func strictParseRefusal(_ after: RefusalCounts, _ before: RefusalCounts) -> Bool {
        after.malformed > before.malformed
    }

    @Test func frankaStatePathSurvivesTenThousandMutatedStates() throws {
        let rig = try InProcessFranka()
        var seed = frankaStateMessage(qBase: 0.3, frame: 7)
        seed.qD = seed.q
        seed.tauExtHatFiltered = seed.tauJ
        seed.oFExtHatK = [1, 2, 3, 4, 5, 6]
        seed.currentErrors.jointReflex = true
        let seedBytes = try bytes(seed)
        try rig.deliver(seedBytes)
        var random = SeededRandom(seed: 0x5EED_F4A2)
        var accepted = 0
        for index in 0..<Self.inputs {
            let input: [UInt8]
            if index % 10 == 0 {
                input = try bytes(frankaStateMessage(qBase: Double(index) * 1e-4, frame: UInt64(index)))
            } else {
                input = random.fuzzInput(from: seedBytes, maxLength: 3_000)
            }
            let taken = rig.link.counters.statesReceived
            let refusalsBefore = rig.link.counters.stateRefusals
            try Self.deliverOnce(input, pub: rig.statePub, counted: {
                rig.link.counters.statesReceived + rig.link.counters.stateRefusals.total
            }, poll: { rig.poll() })
            let wasTaken = rig.link.counters.statesReceived > taken
            let state = rig.link.state
            for i in 0..<7 { #expect(state.q[i].isFinite && state.dq[i].isFinite && state.tau[i].isFinite) }
            let reference = try? DeoxysFrankaRobotStateMessage(serializedBytes: input)
            if wasTaken {
                accepted += 1
                let m = try #require(reference, "taken, but swift-protobuf cannot parse it (input \(index))")
                #expect((0..<7).map { state.q[$0] } == m.q)
                #expect((0..<16).map { state.eePose[$0] } == m.oTEe)
                #expect(state.sequence == m.frame)
            } else if let m = reference, !Self.strictParseRefusal(rig.link.counters.stateRefusals, refusalsBefore) {
                // Refused for its content: swift-protobuf must see it as invalid too. (A
                // `malformed` refusal may be protobuf-c's stricter parsing: it rejects a known
                // field sent with another wire type, which swift-protobuf keeps as unknown.)
                let counts = m.q.count == 7 && m.dq.count == 7 && m.tauJ.count == 7 && m.oTEe.count == 16
                    && [0, 7].contains(m.qD.count) && [0, 7].contains(m.tauExtHatFiltered.count)
                    && [0, 16].contains(m.oTEeD.count) && [0, 6].contains(m.oFExtHatK.count)
                let finite = (m.q + m.dq + m.tauJ + m.oTEe + m.qD + m.tauExtHatFiltered + m.oTEeD + m.oFExtHatK)
                    .allSatisfy(\.isFinite) && m.controlCommandSuccessRate.isFinite
                #expect(!(counts && finite) || input.count > FrankaStateDecoder.defaultMaxMessageBytes,
                        "a valid state was refused as \(RefusalReason.allCases.filter { rig.link.counters.stateRefusals[$0] > refusalsBefore[$0] }) (input \(index): \(hexString(input)))")
            }
        }
        let c = rig.link.counters
        #expect(c.statesReceived + c.stateRefusals.total == Self.inputs + 1)
        #expect(accepted >= Self.inputs / 10 && c.stateRefusals.total > Self.inputs / 2)
        print("Franka state fuzz: \(Self.inputs) inputs, \(accepted) taken, refused \(c.stateRefusals)")
    }

    @Test func armStatePathSurvivesTenThousandMutatedStates() throws {
        let context = try Context()
        let name = "fuzz-arm-\(UUID().uuidString)"
        let pub = try Socket(context: context, type: .pub)
        try pub.bind("inproc://\(name)-state")
        // Bind every inproc endpoint the link connects to: libzmq 4.3.4 can assert when a context
        // ends with an inproc connection still pending (connected, never bound).
        let control = try Socket(context: context, type: .rep)
        try control.bind("inproc://\(name)-ctl")
        defer { control.close() }
        let link = try PLDArmLink(arm: try inprocYAMConfig(name), context: context)
        try link.open()
        var now: UInt64 = 1_000_000_000
        var seed = armStateMessage(qBase: 0.2, sequence: 5)
        seed.faultMessage = "ok"
        seed.motorTemperatureC = [30, 31, 32, 33, 34, 35]
        seed.lastCommandSequence = 4
        let seedBytes = try bytes(seed)
        // The first messages may race the subscription.
        for _ in 0..<500 where !link.state.hasState {
            try pub.send(seedBytes)
            now += 1_000_000
            link.poll(now: now)
            usleep(1_000)
        }
        try #require(link.state.hasState)
        let start = link.counters.statesReceived + link.counters.stateRefusals.total
        var random = SeededRandom(seed: 0xA4_5EED)
        var accepted = 0
        for index in 0..<Self.inputs {
            let input = index % 10 == 0
                ? try bytes(armStateMessage(qBase: Double(index) * 1e-4, sequence: UInt64(index)))
                : random.fuzzInput(from: seedBytes, maxLength: 600)
            let taken = link.counters.statesReceived
            let refusalsBefore = link.counters.stateRefusals
            try Self.deliverOnce(input, pub: pub, counted: {
                link.counters.statesReceived + link.counters.stateRefusals.total
            }, poll: {
                now += 1_000_000
                link.poll(now: now)
            })
            let state = link.state
            for i in 0..<8 { #expect(state.q[i].isFinite && state.dq[i].isFinite && state.tau[i].isFinite) }
            #expect(state.gripperPosition.isFinite)
            // swift-protobuf validates UTF-8 in strings, protobuf-c does not: a state with a
            // mangled arm name may be taken by the link and refused by the reference.
            let reference = try? PLDArmState(serializedBytes: input)
            if link.counters.statesReceived > taken {
                accepted += 1
                if let m = reference {
                    #expect((0..<6).map { state.q[$0] } == m.qRad)
                    #expect(m.protocolVersion == 1 && state.sequence == m.sequence)
                }
            } else if let m = reference, !Self.strictParseRefusal(link.counters.stateRefusals, refusalsBefore) {
                let valid = m.protocolVersion == 1 && m.qRad.count == 6 && [0, 6].contains(m.dqRadPerS.count)
                    && [0, 6].contains(m.tauNm.count)
                    && (m.qRad + m.dqRadPerS + m.tauNm + [m.gripperPosition, m.gripperVelocityPerS, m.gripperEffort]).allSatisfy(\.isFinite)
                #expect(!valid || input.count > ArmStateDecoder.defaultMaxMessageBytes,
                        "a valid arm state was refused as \(RefusalReason.allCases.filter { link.counters.stateRefusals[$0] > refusalsBefore[$0] }) (input \(index): \(hexString(input)))")
            }
        }
        let c = link.counters
        #expect(c.statesReceived + c.stateRefusals.total - start == Self.inputs)
        #expect(accepted >= Self.inputs / 10)
        print("arm state fuzz: \(Self.inputs) inputs, \(accepted) taken, refused \(c.stateRefusals)")
        link.close()
    }

    @Test func gripperCameraAndFeaturePathsSurviveMutatedMessages() throws {
        // Franka gripper state.
        let rig = try InProcessFranka()
        let gripperSeed = try bytes(frankaGripperMessage(width: 0.03))
        try rig.deliver(gripperSeed, gripper: true)
        var random = SeededRandom(seed: 0x6A1B)
        for _ in 0..<2_000 {
            try Self.deliverOnce(random.fuzzInput(from: gripperSeed, maxLength: 200), pub: rig.gripperPub, counted: {
                rig.link.counters.gripperStatesReceived + rig.link.counters.gripperStateRefusals.total
            }, poll: { rig.poll() })
            #expect(rig.link.state.gripperWidthMeters.isFinite && (0...1).contains(rig.link.state.gripperPosition))
        }

        // Camera frames and feature vectors.
        let context = try Context()
        let cameraEndpoint = "inproc://fuzz-camera-\(UUID().uuidString)"
        let featureEndpoint = "inproc://fuzz-feature-\(UUID().uuidString)"
        let cameraPub = try Socket(context: context, type: .pub)
        try cameraPub.bind(cameraEndpoint)
        let featurePub = try Socket(context: context, type: .pub)
        try featurePub.bind(featureEndpoint)
        let camera = CameraFeed(camera: try BadInputTests.cameraConfig(cameraEndpoint), context: context)
        try camera.connect()
        let feature = FeatureFeed(
            feature: try decodeConfig(FeatureConfig.self, "name: f\nendpoint: \(featureEndpoint)\ndims: 4"), context: context)
        try feature.connect()
        var now: UInt64 = 1_000_000_000
        let frameSeed = try bytes(BadInputTests.frame(sequence: 3))
        var vector = PLDFeatureVector()
        vector.name = "f"
        vector.sequence = 3
        vector.values = [1, 2, 3, 4]
        vector.labels = ["a", "b", "c", "d"]
        let vectorSeed = try bytes(vector)
        for _ in 0..<500 where camera.latest == nil || feature.latest == nil {
            try cameraPub.send(frameSeed)
            try featurePub.send(vectorSeed)
            now += 1_000_000
            camera.poll(now: now)
            feature.poll(now: now)
            usleep(1_000)
        }
        try #require(camera.latest != nil && feature.latest != nil)
        for _ in 0..<2_000 {
            try Self.deliverOnce(random.fuzzInput(from: frameSeed, maxLength: 200), pub: cameraPub, counted: {
                camera.counters.received + camera.counters.refusals.total
            }, poll: {
                now += 1_000_000
                camera.poll(now: now)
            })
            #expect(camera.latest?.data.count == 36 && camera.latest?.camera == "wrist")
            try Self.deliverOnce(random.fuzzInput(from: vectorSeed, maxLength: 200), pub: featurePub, counted: {
                feature.counters.received + feature.counters.refusals.total
            }, poll: {
                now += 1_000_000
                feature.poll(now: now)
            })
            #expect(feature.latest?.values.count == 4 && feature.latest?.values.allSatisfy(\.isFinite) == true)
        }
        print("camera fuzz: refused \(camera.counters.refusals.total); feature fuzz: refused \(feature.counters.refusals.total)")
    }
}
