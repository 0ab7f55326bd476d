import Drivers
import Foundation
import PLDCore
import SwiftProtobuf
import Testing
import Wire
import ZeroMQ

/// FrankaLink's command scheduling under a fake clock (in-process, deterministic): preamble,
/// keep-alive, time scaling, gripper re-send, restart detection.
@Suite struct FrankaSchedulingTests {
    /// Polls in 1 ms steps for `millis` and returns (fake time in ms since start, command) pairs.
    static func run(_ rig: InProcessFranka, millis: Int, tick: ((UInt64) -> Void)? = nil) throws -> [(Double, DeoxysFrankaControlMessage)] {
        let start = rig.now
        var out: [(Double, DeoxysFrankaControlMessage)] = []
        for _ in 0..<millis {
            rig.poll(afterMillis: 1)
            tick?(rig.now)
            for command in try rig.commands() { out.append((Double(rig.now - start) / 1e6, command)) }
        }
        return out
    }

    static func noPreamble(timeScale: Double = 1) -> FrankaLink.Options {
        var options = FrankaLink.Options()
        options.preambleBeforeFirstController = false
        options.timeScale = timeScale
        return options
    }

    @Test func keepAliveWaitsAFullPollPeriodAfterACommandThenRepeatsAtNineTenths() throws {
        let rig = try InProcessFranka(options: Self.noPreamble())
        try rig.deliver(try bytes(frankaStateMessage()))
        try rig.connectCommandSub()
        _ = try Self.run(rig, millis: 200)
        #expect(rig.link.sendOSC(TaskSpaceGoal(isDelta: true, x: 0.01), now: rig.now) == .sent)
        _ = try rig.commands()
        let sent = try Self.run(rig, millis: 300)
        let times = sent.map(\.0)
        // 50 ms after the command, then every 45 ms: 50, 95, 140, 185, 230, 275.
        #expect(times == [50, 95, 140, 185, 230, 275])
        #expect(sent.allSatisfy { $0.1.controllerType == .oscPose })
        let goals = try sent.map { try DeoxysFrankaOSCPoseControllerMessage(unpackingAny: $0.1.controlMsg).goal }
        #expect(goals.allSatisfy { $0.isDelta && $0.x == 0 && $0.y == 0 && $0.z == 0 && $0.ax == 0 && $0.ay == 0 && $0.az == 0 })
        // A runtime faster than the NUC polls (every 40 ms) never triggers a keep-alive.
        #expect(rig.link.sendOSC(.hold, now: rig.now) == .sent)
        _ = try rig.commands()
        let before = rig.link.counters.keepAlivesSent
        var last = rig.now
        let runtime = try Self.run(rig, millis: 500) { now in
            if now - last >= 40_000_000 {
                _ = rig.link.sendOSC(.hold, now: now)  // the counters below are what this test checks
                last = now
            }
        }
        #expect(rig.link.counters.keepAlivesSent == before)
        #expect(runtime.count == 12)
    }

    @Test func timeScaleShrinksEveryPeriod() throws {
        let rig = try InProcessFranka(options: Self.noPreamble(timeScale: 0.2))
        try rig.deliver(try bytes(frankaStateMessage()))
        try rig.connectCommandSub()
        #expect(rig.link.nucPollPeriodNanos == 10_000_000)
        #expect(rig.link.sendOSC(.hold, now: rig.now) == .sent)
        _ = try rig.commands()
        let times = try Self.run(rig, millis: 40).map(\.0)
        #expect(times == [10, 19, 28, 37])
        // The state timeout (0.1 s) scales too: 20 ms.
        try rig.deliver(try bytes(frankaStateMessage(frame: 2)))
        rig.poll(afterMillis: 15)
        #expect(!rig.link.state.isStale)
        rig.poll(afterMillis: 10)
        #expect(rig.link.state.isStale)
    }

    @Test func preambleIsTwentyNoControlOnePollPeriodApartAndHoldCancelsIt() throws {
        var options = FrankaLink.Options()
        options.timeScale = 0.5
        let goal: InlineArray<7, Double> = [0, -0.7, 0, -2.3, 0, 1.6, 0.7]
        let rig = try InProcessFranka(options: options)
        try rig.deliver(try bytes(frankaStateMessage()))
        let result = rig.link.sendJointImpedance(goal, now: rig.now)
        #expect(result == .deferred(remaining: 19))  // the first NO_CONTROL went out at once
        #expect(rig.link.runningController == .noControl && rig.link.isSwitchingController)
        var started: Double?
        let startNow = rig.now
        for _ in 0..<700 {
            let events = rig.poll(afterMillis: 1)
            if events.contains(.controllerStarted) { started = Double(rig.now - startNow) / 1e6 }
        }
        // 20 NO_CONTROL at 0, 25, …, 475 ms (25 ms = 50 ms × 0.5), the controller at 500 ms.
        #expect(started == 500)
        #expect(rig.link.counters.preambleMessagesSent == 20)
        #expect(rig.link.runningController == .jointImpedance)

        // hold() during a switch cancels it and keeps NO_CONTROL going.
        let other = try InProcessFranka(options: options)
        try other.deliver(try bytes(frankaStateMessage()))
        #expect(other.link.sendJointPosition(goal, now: other.now) == .deferred(remaining: 19))
        other.poll(afterMillis: 100)
        #expect(other.link.hold(now: other.now) == .sent)
        #expect(!other.link.isSwitchingController)
        for _ in 0..<600 { other.poll(afterMillis: 1) }
        #expect(other.link.runningController == .noControl && other.link.counters.controllersStarted == 0)
    }

    @Test func gripperCommandIsResentAtTheKeepAliveRateOnly() throws {
        let rig = try InProcessFranka(name: "gripper-\(UUID().uuidString)")
        let gripperSub = try Socket(context: rig.context, type: .sub)
        try gripperSub.subscribe(prefix: [UInt8]())
        try gripperSub.connect(rig.link.boundGripperCommandEndpoint!)
        // Re-send is every 1 s: the first message may race the subscription, the re-sends not.
        #expect(rig.link.sendGripper(action: 0.3, now: rig.now) == .sent)
        var received: [UInt64] = []
        for _ in 0..<3_500 {
            rig.poll(afterMillis: 1)
            #expect(rig.link.sendGripper(action: 0.9, now: rig.now) == .unchanged)
            while try gripperSub.receive(flags: .dontWait) != nil { received.append(rig.now) }
        }
        #expect(rig.link.counters.gripperCommandsSent == 1)
        #expect(rig.link.counters.gripperResends == 3)
        #expect(received.count >= 3)
        // Moves within the deadband are the same command; farther ones are new.
        #expect(rig.link.sendGripper(action: -0.5, now: rig.now) == .sent)
        #expect(rig.link.sendGripper(action: -0.505, now: rig.now) == .unchanged)
        #expect(rig.link.sendGripper(action: -0.6, now: rig.now) == .sent)
        #expect(rig.link.sendGripper(normalized: 0.25, now: rig.now) == .sent)  // Move(0.08 · 0.75) = 0.06 m
        #expect(rig.link.sendGripper(action: -0.75, now: rig.now) == .unchanged)  // the same 0.06 m
        #expect(rig.link.sendGripper(normalized: 0.5, now: rig.now) == .sent)  // close_threshold → grasp
    }

    @Test func aGapFollowedByAFrameNearZeroIsARestartEvenWhenTheFrameDidNotGoBack() throws {
        let rig = try InProcessFranka()
        try rig.deliver(try bytes(frankaStateMessage(frame: 3)))
        rig.poll(afterMillis: 50)
        try rig.deliver(try bytes(frankaStateMessage(frame: 4)))
        #expect(rig.link.counters.restartsDetected == 0)
        rig.poll(afterMillis: 300)  // a gap longer than state_timeout_s (0.1 s)
        let events = try rig.deliver(try bytes(frankaStateMessage(frame: 6)))
        #expect(events.contains(.restartDetected))
        #expect(rig.link.counters.restartsDetected == 1)
        // A long gap with a large frame is a network hiccup, not a restart.
        for frame in 7..<100 { try rig.deliver(try bytes(frankaStateMessage(frame: UInt64(frame)))) }
        rig.poll(afterMillis: 300)
        try rig.deliver(try bytes(frankaStateMessage(frame: 130)))
        #expect(rig.link.counters.restartsDetected == 1)
        // Frames going backwards without a gap: restart.
        try rig.deliver(try bytes(frankaStateMessage(frame: 0)))
        #expect(rig.link.counters.restartsDetected == 2)
    }
}
