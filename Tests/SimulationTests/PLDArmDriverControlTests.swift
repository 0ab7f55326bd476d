import Foundation
import Simulation
import SwiftProtobuf
import TestSupport
import Testing
import Wire

/// The simulated PLD arm driver's control channel (REQ/REP), over real sockets.
@Suite("Simulated PLD arm driver: control requests", .serialized, .timeLimit(.minutes(2)))
struct PLDArmDriverControlTests {
    @Test func helloReplyAdvertisesTheArm() throws {
        let h = try PLDArmHarness()
        let reply = try h.request(PLDArmHarness.hello())
        #expect(reply.ok && reply.protocolVersion == 1 && reply.requestID == h.lastRequestID)
        let hello = reply.hello
        #expect(hello.protocolVersion == 1)
        #expect(hello.armName == "left")
        #expect(hello.driverName == "pld sim")
        #expect(hello.jointNames == PLDArmHarness.jointNames)
        #expect(hello.jointLimits.map(\.name) == PLDArmHarness.jointNames)
        #expect(hello.jointLimits.map(\.lowerRad) == PLDArmHarness.yamLimits.map(\.lowerRad))
        #expect(hello.jointLimits.map(\.upperRad) == PLDArmHarness.yamLimits.map(\.upperRad))
        #expect(hello.jointLimits.map(\.maxEffortNm) == [28, 28, 28, 10, 10, 10])
        #expect(hello.gripper.present && hello.gripper.strokeM == 0.096)
        #expect(hello.stateRateHz == 100)
        #expect(hello.commandTimeoutS == 0.1)
        #expect(hello.motorTimeoutS == 0.2)
    }

    @Test func helloAdvertisesConstructorLimitsEvenWhenTheyDisagreeWithTheConfig() throws {
        let narrow = PLDArmHarness.yamLimits.map {
            DriverJointLimit(lowerRad: $0.lowerRad / 2, upperRad: $0.upperRad / 2, maxVelocityRadPerS: 1, maxEffortNm: 5)
        }
        let names = ["j1", "j2", "j3", "j4", "j5", "j6"]
        let h = try PLDArmHarness { settings in
            settings = PLDArmDriverSettings(armName: "left", link: settings.link, jointLimits: narrow, jointNames: names)
            settings.gripper = nil
        }
        let hello = try h.request(PLDArmHarness.hello()).hello
        #expect(hello.jointNames == names)
        #expect(hello.jointLimits.map(\.upperRad) == narrow.map(\.upperRad))
        #expect(!hello.gripper.present)
    }

    @Test func moveToJointsValidatesItsRequest() throws {
        let h = try PLDArmHarness()
        let zero = try h.request(PLDArmHarness.move([0, 1, 1, 0, 0, 0], seconds: 0))
        #expect(!zero.ok && zero.error == "MoveToJoints duration_s must be > 0, got 0.0")
        let outside = try h.request(PLDArmHarness.move([0, 1, 1, 0, 2.0, 0], seconds: 1))
        #expect(!outside.ok && outside.error.contains("joint5") && outside.error.contains("outside"))
        let short = try h.request(PLDArmHarness.move([0, 1, 1], seconds: 1))
        #expect(!short.ok && short.error.contains("6 joints"))
        let nan = try h.request(PLDArmHarness.move([0, 1, .nan, 0, 0, 0], seconds: 1))
        #expect(!nan.ok && nan.error.contains("NaN"))
        let gripper = try h.request(PLDArmHarness.move([0, 1, 1, 0, 0, 0], seconds: 1, gripper: 1.5))
        #expect(!gripper.ok && gripper.error.contains("gripper_target"))
        #expect(h.driver.counters.movesStarted == 0)
        #expect(h.driver.mode == .holding)
    }

    @Test func moveToJointsRepliesAtOnceAndInterpolatesInSimTime() throws {
        let h = try PLDArmHarness(speed: 10)
        let start = h.plant.q
        let goal: [Double] = [0.5, 1.5, 0.5, 0.3, -0.3, 1.0]
        h.plant.clearCalls()
        let sentAt = h.clock.now
        let reply = try h.request(PLDArmHarness.move(goal, seconds: 2, gripper: 1))
        #expect(reply.ok)
        #expect(h.clock.now - sentAt < 1, "the reply comes when the move starts, not when it ends")
        #expect(h.driver.mode == .moving)
        #expect(try #require(h.waitForState { $0.mode == .moving }).mode == .moving)

        // Commands are ignored while moving.
        let ignored = h.driver.counters.commandsIgnored
        try h.stream(start, until: { h.driver.counters.commandsIgnored > ignored })

        #expect(eventually { h.driver.mode == .holding })
        let took = h.clock.now - sentAt
        #expect(took >= 1.95 && took < 4, "2 s move took \(took) s of sim time")
        #expect(h.plant.lastTarget == goal)
        let targets = h.plant.targets
        #expect(targets.count >= 50, "one target per driver tick (100 Hz) over 2 s")
        let middle = targets[targets.count / 2]
        #expect(zip(zip(start, goal), middle).allSatisfy { pair, value in
            value > min(pair.0, pair.1) - 1e-9 && value < max(pair.0, pair.1) + 1e-9
        })
        #expect(middle != start && middle != goal)
        #expect(h.driver.counters.movesFinished == 1)
        #expect(h.plant.calls.last(where: { if case .gripper = $0 { true } else { false } })
                == .gripper(1, speedPerSecond: 2, maxEffort: 5))
    }

    @Test func gripperCommandsMoveTheGripper() throws {
        let h = try PLDArmHarness()
        var close = PLDGripperCommand()
        close.action = .close
        #expect(try h.request(.gripper(close)).ok)
        #expect(eventually { h.plant.readState().gripperPosition == 1 })
        var move = PLDGripperCommand()
        move.action = .move
        move.position = 0.25
        move.speedPerS = 0.5
        #expect(try h.request(.gripper(move)).ok)
        #expect(eventually { h.plant.calls.last == .gripper(0.25, speedPerSecond: 0.5, maxEffort: 5) })
        move.position = 2
        let bad = try h.request(.gripper(move))
        #expect(!bad.ok && bad.error.contains("[0, 1]"))
        #expect(!(try h.request(.gripper(PLDGripperCommand()))).ok, "ACTION_UNSPECIFIED is an error")
    }

    @Test func setGainsChecksLengthsAndRanges() throws {
        let h = try PLDArmHarness()
        var gains = PLDSetGains()
        gains.kp = [1, 2, 3]
        gains.kd = [1, 1, 1, 1, 1, 1]
        let short = try h.request(.setGains(gains))
        #expect(!short.ok && short.error == "SetGains needs 6 kp and 6 kd values, got 3 and 6")
        gains.kp = [600, 80, 80, 10, 10, 10]
        #expect(!(try h.request(.setGains(gains))).ok)
        gains.kp = [40, 40, 40, 5, 5, 5]
        gains.kd = [2, 2, 2, 1, 1, 1]
        #expect(try h.request(.setGains(gains)).ok)
        try h.stream(PLDArmDriverCommandTests.pose, until: { h.driver.mode == .tracking })
        #expect(h.plant.calls.last == .target(PLDArmDriverCommandTests.pose, kp: [40, 40, 40, 5, 5, 5], kd: [2, 2, 2, 1, 1, 1]))
    }

    @Test func pingIsAnsweredWithPong() throws {
        let h = try PLDArmHarness()
        var ping = PLDPing()
        ping.clientUnixNs = 1234
        let reply = try h.request(.ping(ping))
        #expect(reply.ok && reply.pong.clientUnixNs == 1234 && reply.pong.driverUnixNs > 0)
    }

    @Test func malformedRequestsAreAnsweredWithOkFalseAndOneLine() throws {
        let h = try PLDArmHarness()
        let garbage = try h.requestRaw([0xFF, 0x00, 0x13])
        #expect(!garbage.ok && garbage.error.contains("pld.ArmRequest") && !garbage.error.contains("\n"))

        let wrongVersion = try h.request(PLDArmHarness.hello(), version: 7)
        #expect(!wrongVersion.ok && wrongVersion.requestID == h.lastRequestID)
        #expect(wrongVersion.error == "ArmRequest protocol_version 7; this driver speaks 1")

        let empty = try h.request(nil)
        #expect(!empty.ok && empty.error.hasPrefix("empty ArmRequest"))

        let twoFrames = try h.requestRaw([0x08, 0x01], extraFrames: [[0x01]])
        #expect(!twoFrames.ok && twoFrames.error == "ArmRequest must be one frame, got 2")

        var hello = PLDHello()
        hello.protocolVersion = 3
        let oldHello = try h.request(.hello(hello))
        #expect(!oldHello.ok && oldHello.error.contains("Hello protocol_version 3"))
        #expect(h.driver.counters.requestsFailed == 5)
    }

    @Test func everyOneOfAThousandRandomRequestsGetsAReply() throws {
        let h = try PLDArmHarness()
        var random = SeededRandom(seed: 2024)
        var seed = PLDArmRequest()
        seed.protocolVersion = 1
        seed.requestID = 9
        seed.request = PLDArmHarness.move([0, 1, 1, 0, 0, 0], seconds: 1)
        let seedBytes: [UInt8] = try seed.serializedBytes()
        for index in 0..<1_000 {
            let bytes = index % 2 == 0
                ? (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                : random.fuzzInput(from: seedBytes)
            _ = try h.requestRaw(bytes)
        }
        #expect(h.driver.counters.requestsAnswered == 1_000)
        #expect(h.driver.counters.requestsFailed > 500)
        #expect(try h.request(PLDArmHarness.hello()).ok, "still serving")
    }
}
