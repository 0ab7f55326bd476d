import Drivers
import Foundation
import PLDCore
import SwiftProtobuf
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Bad input on every socket the drivers read: refused and counted by reason, the last good
/// state kept (its age growing), and no command derived from it.
@Suite struct BadInputTests {
    @Test func badFrankaStatesAreRefusedByReasonAndTheLastGoodStateIsKept() throws {
        let rig = try InProcessFranka()
        try rig.deliver(try bytes(frankaStateMessage(qBase: 0.2, frame: 1)))
        let good = rig.link.state
        #expect(good.hasState && good.q[0] == 0.2 && !good.isStale)

        var nan = frankaStateMessage(qBase: 0.9, frame: 2)
        nan.q[3] = .nan
        var infinite = frankaStateMessage(qBase: 0.9, frame: 3)
        infinite.oTEe[12] = .infinity
        var sixJoints = frankaStateMessage(qBase: 0.9, frame: 4)
        sixJoints.q.removeLast()
        var noDq = frankaStateMessage(qBase: 0.9, frame: 5)
        noDq.dq = []
        let full = try bytes(frankaStateMessage(qBase: 0.9, frame: 6))
        let cases: [(String, [UInt8], RefusalReason)] = [
            ("NaN q", try bytes(nan), .nonFinite),
            ("infinite O_T_EE", try bytes(infinite), .nonFinite),
            ("6 joint positions", try bytes(sixJoints), .wrongCount),
            ("no dq", try bytes(noDq), .wrongCount),
            ("garbage", garbageBytes, .malformed),
            ("truncated", Array(full.prefix(full.count / 2)), .malformed),
            ("oversized", padded(full, toAtLeast: FrankaStateDecoder.defaultMaxMessageBytes + 1), .tooLarge),
        ]
        for (label, input, reason) in cases {
            let before = rig.link.counters.stateRefusals
            let events = try rig.deliver(input)
            #expect(events.contains(.refused), "\(label)")
            #expect(!events.contains(.newState), "\(label)")
            #expect(rig.link.counters.stateRefusals[reason] == before[reason] + 1, "\(label)")
            #expect(rig.link.counters.stateRefusals.total == before.total + 1, "\(label)")
            #expect((0..<7).map { rig.link.state.q[$0] } == (0..<7).map { good.q[$0] }, "\(label)")
            #expect(rig.link.state.sequence == 1, "\(label)")
        }
        #expect(rig.link.counters.statesReceived == 1)
        #expect(rig.link.counters.stateRefusals.total == cases.count)
        // The kept state ages and goes stale; nothing refused ever refreshed it.
        rig.poll(afterMillis: 150)
        #expect(rig.link.state.messageAgeNanos > 150_000_000 && rig.link.state.isStale)
        #expect(rig.link.state.receivedAtNanos == good.receivedAtNanos)
    }

    @Test func badGripperStatesAreRefusedByReason() throws {
        let rig = try InProcessFranka()
        try rig.deliver(try bytes(frankaGripperMessage(width: 0.04)), gripper: true)
        #expect(abs(rig.link.state.gripperWidthMeters - 0.04) < 1e-12)
        var nan = frankaGripperMessage()
        nan.width = .nan
        var infiniteMax = frankaGripperMessage()
        infiniteMax.maxWidth = -.infinity
        let cases: [([UInt8], RefusalReason)] = [
            (try bytes(nan), .nonFinite),
            (try bytes(infiniteMax), .nonFinite),
            (garbageBytes, .malformed),
            (padded(try bytes(frankaGripperMessage()), toAtLeast: FrankaStateDecoder.defaultMaxMessageBytes + 10), .tooLarge),
        ]
        for (input, reason) in cases {
            let before = rig.link.counters.gripperStateRefusals[reason]
            try rig.deliver(input, gripper: true)
            #expect(rig.link.counters.gripperStateRefusals[reason] == before + 1)
            #expect(abs(rig.link.state.gripperWidthMeters - 0.04) < 1e-12)
        }
        #expect(rig.link.counters.gripperStatesReceived == 1)
    }

    @Test func holdAfterANaNStateUsesTheLastGoodJointGoal() throws {
        var options = FrankaLink.Options()
        options.preambleBeforeFirstController = false
        let rig = try InProcessFranka(options: options)
        try rig.deliver(try bytes(frankaStateMessage(qBase: 0.1, frame: 1)))
        try rig.connectCommandSub()
        let goal: InlineArray<7, Double> = [0.1, -0.5, 0.2, -2.0, 0.1, 1.6, 0.7]
        #expect(rig.link.sendJointPosition(goal, now: rig.now) == .sent)
        _ = try rig.commands()

        var nan = frankaStateMessage(qBase: 0.5, frame: 2)
        nan.q[0] = .nan
        try rig.deliver(try bytes(nan))
        #expect(rig.link.hold(now: rig.now) == .sent)
        // The keep-alive after a silent poll period is the same hold.
        rig.poll(afterMillis: 60)
        let sent = try rig.commands()
        #expect(sent.count == 2)
        for command in sent {
            #expect(command.controllerType == .jointPosition)
            let inner = try DeoxysFrankaJointPositionControllerMessage(unpackingAny: command.controlMsg)
            let q = [inner.goal.q1, inner.goal.q2, inner.goal.q3, inner.goal.q4, inner.goal.q5, inner.goal.q6, inner.goal.q7]
            #expect(q == (0..<7).map { goal[$0] })
        }
        #expect(rig.link.counters.keepAlivesSent == 1)
        // A NaN goal from the runtime is refused, nothing sent.
        var bad = goal
        bad[2] = .nan
        #expect(rig.link.sendJointPosition(bad, now: rig.now) == .refused(.nonFinite))
        var outside = goal
        outside[3] = 0.5  // joint 4 upper limit −0.1
        #expect(rig.link.sendJointPosition(outside, now: rig.now) == .refused(.outsideJointLimits(joint: 3)))
        #expect(rig.link.sendOSC(TaskSpaceGoal(isDelta: true, x: .infinity), now: rig.now) == .refused(.nonFinite))
        #expect(rig.link.sendGripper(action: .nan, now: rig.now) == .refused(.nonFinite))
        #expect(try rig.commands().isEmpty)
    }

    @Test func badArmStatesFromTheDriverStandInAreRefusedAndHoldCarriesNoState() throws {
        let context = try Context()
        let ports = try freeTCPPorts(3)
        let link = try PLDArmLink(arm: try yamArmConfig(ports: ports), context: context)
        let driver = try StandIn(
            script: "arm_driver_standin.py",
            arguments: [
                "--command", "tcp://127.0.0.1:\(ports[1])", "--state", "tcp://127.0.0.1:\(ports[0])",
                "--control", "tcp://127.0.0.1:\(ports[2])",
            ] + driverLimitArguments,
            context: context, controlKey: "test_control")
        defer {
            link.close()
            driver.stop()
        }
        try link.connect()
        try driver.control.call(["cmd": "pause", "value": true])
        /// Publishes raw bytes until the link counted something new.
        func deliver(_ input: [UInt8]) throws {
            let before = link.counters.statesReceived + link.counters.stateRefusals.total
            let arrived = try pump(until: 3) { _ in
                try driver.control.call(["cmd": "raw", "hex": hexString(input)])
                for _ in 0..<20 {
                    link.poll(now: DriverClock.monotonicNanos())
                    if link.counters.statesReceived + link.counters.stateRefusals.total > before { return true }
                    usleep(500)
                }
                return false
            }
            try #require(arrived)
        }
        try deliver(try bytes(armStateMessage(qBase: 0.05, sequence: 10)))
        let good = (0..<6).map { link.state.q[$0] }
        #expect(good == (1...6).map { 0.05 + 0.1 * Double($0) })

        var nan = armStateMessage(qBase: 0.3, sequence: 11)
        nan.qRad[2] = .nan
        var infiniteGripper = armStateMessage(sequence: 12)
        infiniteGripper.gripperPosition = .infinity
        let sevenJoints = armStateMessage(sequence: 13, joints: 7)
        var otherVersion = armStateMessage(sequence: 14)
        otherVersion.protocolVersion = 2
        var noQ = armStateMessage(sequence: 15)
        noQ.qRad = []
        let full = try bytes(armStateMessage(sequence: 16))
        let cases: [([UInt8], RefusalReason)] = [
            (try bytes(nan), .nonFinite), (try bytes(infiniteGripper), .nonFinite), (try bytes(sevenJoints), .wrongCount),
            (try bytes(noQ), .wrongCount), (try bytes(otherVersion), .protocolVersion), (garbageBytes, .malformed),
            (Array(full.prefix(full.count - 9)), .malformed),
            (padded(full, toAtLeast: ArmStateDecoder.defaultMaxMessageBytes + 1), .tooLarge),
        ]
        for (input, reason) in cases {
            let before = link.counters.stateRefusals[reason]
            try deliver(input)
            #expect(link.counters.stateRefusals[reason] == before + 1, "\(reason)")
            #expect((0..<6).map { link.state.q[$0] } == good)
            #expect(link.state.sequence == 10)
        }
        #expect(link.counters.statesReceived == 1)
        // After the refused states: hold carries no targets, so nothing of them. (Repeated until
        // the driver's command SUB, which connects in the background, has seen one.)
        _ = try driver.log("commands", clear: true)
        var commands: [[String: Any]] = []
        pump(until: 3, intervalMicros: 20_000) { now in
            #expect(link.hold(now: now) == .sent)
            commands = (try? driver.log("commands")) ?? []
            return !commands.isEmpty
        }
        #expect(!commands.isEmpty)
        #expect(commands.allSatisfy { $0["hold"] as? Bool == true && ($0["q"] as? [Double])?.isEmpty == true })
    }

    static func cameraConfig(_ endpoint: String, encoding: String = "rgb8") throws -> CameraConfig {
        try decodeConfig(CameraConfig.self, """
            name: wrist
            endpoint: \(endpoint)
            width: 4
            height: 3
            encoding: \(encoding)
            max_age_s: 0.05
            """)
    }

    static func frame(sequence: UInt64, camera: String = "wrist", width: UInt32 = 4, height: UInt32 = 3,
                      encoding: PLDCameraFrame.Encoding = .rgb8, data: [UInt8]? = nil) -> PLDCameraFrame {
        var f = PLDCameraFrame()
        f.camera = camera
        f.sequence = sequence
        f.captureUnixNs = 1_700_000_000_000_000_000 + Int64(sequence)
        f.width = width
        f.height = height
        f.encoding = encoding
        f.data = Data(data ?? [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: Int(width * height * 3)))
        return f
    }

    @Test func badCameraFramesAreRefusedByReasonAndTheLastGoodFrameIsKept() throws {
        let context = try Context()
        let pub = try Socket(context: context, type: .pub)
        let endpoint = "inproc://camera-\(UUID().uuidString)"
        try pub.bind(endpoint)
        let feed = CameraFeed(camera: try Self.cameraConfig(endpoint), context: context)
        try feed.connect()
        var now: UInt64 = 1_000_000_000
        func deliver(_ input: [UInt8]) throws -> FeedEvents {
            let before = feed.counters.received + feed.counters.refusals.total
            for _ in 0..<200 {
                try pub.send(input)
                now += 1_000_000
                let events = feed.poll(now: now)
                if feed.counters.received + feed.counters.refusals.total > before { return events }
                usleep(1_000)
            }
            throw ZMQError(errno: ZMQError.EAGAIN, message: "frame never arrived", operation: "deliver")
        }
        #expect(try deliver(try bytes(Self.frame(sequence: 1))).contains(.newSample))
        #expect(feed.latest?.sequence == 1 && feed.latest?.data.count == 36 && !feed.isFrozen)
        let good = try bytes(Self.frame(sequence: 9))
        let cases: [(String, [UInt8], RefusalReason)] = [
            ("garbage", garbageBytes, .malformed),
            ("truncated", Array(good.prefix(good.count - 5)), .malformed),
            ("oversized", padded(good, toAtLeast: feed.maxMessageBytes + 1), .tooLarge),
            ("other camera", try bytes(Self.frame(sequence: 2, camera: "top")), .wrongName),
            ("other width", try bytes(Self.frame(sequence: 2, width: 5)), .wrongSize),
            ("other height", try bytes(Self.frame(sequence: 2, height: 2)), .wrongSize),
            ("short RGB8", try bytes(Self.frame(sequence: 2, data: [UInt8](repeating: 1, count: 35))), .wrongSize),
            ("JPEG for RGB8", try bytes(Self.frame(sequence: 2, encoding: .jpeg, data: [0xFF, 0xD8, 0xFF, 0xE0])), .wrongEncoding),
            ("no encoding", try bytes(Self.frame(sequence: 2, encoding: .unspecified)), .wrongEncoding),
        ]
        for (label, input, reason) in cases {
            let before = feed.counters.refusals[reason]
            let events = try deliver(input)
            #expect(events.contains(.refused) && !events.contains(.newSample), "\(label)")
            #expect(feed.counters.refusals[reason] == before + 1, "\(label)")
            #expect(feed.latest?.sequence == 1 && feed.latest?.data == [UInt8](repeating: 1, count: 36), "\(label)")
        }
        #expect(feed.counters.received == 1 && feed.counters.refusals.total == cases.count)
    }

    @Test func badFeatureVectorsAreRefusedByReason() throws {
        let context = try Context()
        let pub = try Socket(context: context, type: .pub)
        let endpoint = "inproc://feature-\(UUID().uuidString)"
        try pub.bind(endpoint)
        let config = try decodeConfig(FeatureConfig.self, "name: block_pose\nendpoint: \(endpoint)\ndims: 3\nmax_age_s: 0.05")
        let feed = FeatureFeed(feature: config, context: context)
        try feed.connect()
        var now: UInt64 = 1_000_000_000
        func deliver(_ input: [UInt8]) throws {
            let before = feed.counters.received + feed.counters.refusals.total
            for _ in 0..<200 {
                try pub.send(input)
                now += 1_000_000
                feed.poll(now: now)
                if feed.counters.received + feed.counters.refusals.total > before { return }
                usleep(1_000)
            }
            throw ZMQError(errno: ZMQError.EAGAIN, message: "vector never arrived", operation: "deliver")
        }
        func vector(_ values: [Float], name: String = "block_pose", labels: [String] = [], sequence: UInt64 = 2) -> PLDFeatureVector {
            var v = PLDFeatureVector()
            v.name = name
            v.sequence = sequence
            v.values = values
            v.labels = labels
            return v
        }
        try deliver(try bytes(vector([0.1, 0.2, 0.3], labels: ["x", "y", "z"], sequence: 1)))
        #expect(feed.latest?.values == [0.1, 0.2, 0.3] && feed.latest?.labels == ["x", "y", "z"])
        let cases: [([UInt8], RefusalReason)] = [
            (try bytes(vector([0.1, .nan, 0.3])), .nonFinite),
            (try bytes(vector([0.1, 0.2, -.infinity])), .nonFinite),
            (try bytes(vector([0.1, 0.2])), .wrongCount),
            (try bytes(vector([0.1, 0.2, 0.3, 0.4])), .wrongCount),
            (try bytes(vector([0.1, 0.2, 0.3], labels: ["x"])), .wrongCount),
            (try bytes(vector([0.1, 0.2, 0.3], name: "gpu_pose")), .wrongName),
            (garbageBytes, .malformed),
            (padded(try bytes(vector([1, 2, 3])), toAtLeast: feed.maxMessageBytes + 1), .tooLarge),
        ]
        for (input, reason) in cases {
            let before = feed.counters.refusals[reason]
            try deliver(input)
            #expect(feed.counters.refusals[reason] == before + 1, "\(reason)")
            #expect(feed.latest?.values == [0.1, 0.2, 0.3] && feed.latest?.sequence == 1)
        }
    }
}
