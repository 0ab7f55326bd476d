import PLDCore
import Foundation
import Simulation
import SwiftProtobuf
import TestSupport
import Testing
import Wire

/// The simulated deoxys arm node against a PC client over real sockets, with deoxys's own
/// command bytes. The plant is a kinematic test double (physics only).
@Suite("Simulated deoxys NUC: arm node", .serialized, .timeLimit(.minutes(2)))
struct FrankaArmNodeTests {
    /// deoxys-wire.md §5.5: OSC_POSE with x = 0.01 (action 0.2 × scale 0.05), as deoxys's
    /// Python client serializes it (287 bytes).
    static let goldenOSCPoseX001 = decodeHex("""
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

    /// deoxys-wire.md §5.5: the NO_CONTROL keep-alive / preamble (61 bytes).
    static let goldenNoControl: [UInt8] =
        [0x2a, 0x32, 0x0a, 0x30] + Array("type.googleapis.com/FrankaDummyControllerMessage".utf8)
        + [0x31, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xc9, 0x3f]

    @Test func oscDeltaGoalIsAppliedRelativeToTheMeasuredPose() throws {
        let h = try FrankaHarness()
        try h.connectArm()
        try h.sendArmOnce(Self.goldenOSCPoseX001, until: { h.nuc.counters.goalsApplied == 1 })
        let start = KinematicFrankaPlant.startPose
        let (first, seconds) = try #require(h.plant.poseGoals.first)
        #expect(distance(first.translation, start.translation + SIMD3(0.01, 0, 0)) < 1e-12)
        #expect(first.rotation.maxDifference(to: start.rotation) < 1e-12)
        #expect(abs(seconds - 0.3 / 20) < 1e-12, "interpolation time = fraction 0.3 / policy rate 20 Hz")
        #expect(h.nuc.counters.controllersStarted == 1)

        // Physics ended somewhere else than the goal: the next delta starts from the measured
        // pose, and the rotation delta is applied in the base frame (R(axis-angle) · current).
        let measured = Pose(
            translation: SIMD3(0.5, 0.1, 0.2), rotation: Rotation(axisAngle: SIMD3(3.0, 0.2, 0)))
        h.plant.setMeasuredPose(measured)
        h.plant.clearCalls()
        try h.sendArmOnce(try h.osc(TaskSpaceGoal(isDelta: true, y: -0.02, az: 0.1)), until: { h.nuc.counters.goalsApplied == 2 })
        let (second, _) = try #require(h.plant.poseGoals.first)
        #expect(distance(second.translation, SIMD3(0.5, 0.08, 0.2)) < 1e-12)
        let expected = Rotation(axisAngle: SIMD3(0, 0, 0.1)) * measured.rotation
        #expect(second.rotation.maxDifference(to: expected) < 1e-12)
        #expect(second.rotation.maxDifference(to: measured.rotation * Rotation(axisAngle: SIMD3(0, 0, 0.1))) > 1e-3,
                "a tool-frame rotation would be a different goal")
    }

    @Test func oscAbsoluteGoalIsUsedAsGiven() throws {
        let h = try FrankaHarness()
        try h.connectArm()
        let goal = TaskSpaceGoal(isDelta: false, x: 0.4, y: -0.1, z: 0.3, ax: 3.1, ay: 0, az: 0.2)
        try h.sendArmOnce(try h.osc(goal), until: { h.nuc.counters.goalsApplied == 1 })
        let (pose, _) = try #require(h.plant.poseGoals.first)
        #expect(distance(pose.translation, SIMD3(0.4, -0.1, 0.3)) < 1e-12)
        #expect(pose.rotation.maxDifference(to: Rotation(axisAngle: SIMD3(3.1, 0, 0.2))) < 1e-12)
    }

    @Test func noControlStopsTheRunningMotionAndTheStateSaysIdle() throws {
        let h = try FrankaHarness()
        try h.startOSC()
        #expect(eventually { (try? h.latestArmState().robotMode) == .move })
        try h.sendArmOnce(Self.goldenNoControl, until: { h.nuc.counters.motionsStopped == 1 })
        #expect(h.plant.calls == [.stopMotion])
        #expect(eventually { (try? h.latestArmState().robotMode) == .idle })
        // Back at NO_CONTROL, the next controller message instantiates a controller again.
        try h.sendArmOnce(try h.osc(TaskSpaceGoal(isDelta: true, z: 0.01)), until: { h.nuc.counters.controllersStarted == 2 })
    }

    @Test func watchdogTripsAfterTwentyEmptyPollsOnlyOnceAControllerStarted() throws {
        let h = try FrankaHarness(speed: 10)
        try h.connectArm()
        // NO_CONTROL is not a controller: silence does not trip the watchdog.
        let quietStart = h.nuc.counters.emptyPolls
        h.clock.sleep(forSimSeconds: 2)
        #expect(h.nuc.counters.emptyPolls - quietStart >= 25)
        #expect(h.nuc.counters.watchdogTrips == 0)
        #expect(h.nuc.isArmProcessRunning)

        // One controller message arms it; 20 empty polls (1 s at 20 Hz) later the process exits.
        try h.sendArmOnce(try h.osc(.hold), until: { h.nuc.counters.goalsApplied == 1 })
        let armedAt = h.clock.now
        #expect(eventually { h.nuc.counters.watchdogTrips == 1 })
        let trippedAfter = h.clock.now - armedAt
        #expect(trippedAfter >= 0.95 && trippedAfter < 3, "tripped after \(trippedAfter) s of sim time")
        #expect(h.plant.calls.contains(.stopMotion))
        #expect(eventually { h.log.count(containing: "watchdog") == 1 })

        // auto_arm.sh restarts it, disarmed again: silence is fine until the next controller.
        #expect(eventually { h.nuc.counters.armProcessStarts == 2 })
        h.clock.sleep(forSimSeconds: 1.5)
        #expect(h.nuc.counters.watchdogTrips == 1)
        #expect(h.nuc.counters.armRestarts == 1)
    }

    @Test func noControlKeepAlivesHoldOffTheWatchdog() throws {
        let h = try FrankaHarness(speed: 10)
        try h.startOSC()
        let keepAlive = Self.goldenNoControl
        let until = h.clock.now + 2
        while h.clock.now < until {
            try h.sendArm(keepAlive)
            h.clock.sleep(forSimSeconds: 0.05)
        }
        #expect(h.nuc.counters.watchdogTrips == 0)
        #expect(h.nuc.counters.motionsStopped == 1)
    }

    @Test func terminationEndsTheProcessWhichRestartsWithFrameCounterFromZero() throws {
        let h = try FrankaHarness(speed: 10)
        // NO_CONTROL only, so the watchdog stays disarmed while frames run up.
        try h.connectArm()
        var lastFrame: UInt64 = 0
        #expect(eventually {
            lastFrame = (try? h.latestArmState().frame) ?? 0
            return lastFrame > 150
        })
        let termination = try h.encoded { try h.encoder.encodeTermination(into: $0) }
        try h.sendArmOnce(termination, until: { h.nuc.counters.terminations == 1 })
        #expect(eventually { h.nuc.counters.armProcessStarts == 2 })

        // The state stream resumes from a new process: the frame counter starts again near 0.
        var firstAfterRestart: UInt64?
        for _ in 0..<5_000 {
            guard let state = try h.nextArmState(timeoutSeconds: 3) else { break }
            if state.frame < lastFrame {
                firstAfterRestart = state.frame
                break
            }
            lastFrame = state.frame
        }
        let frame = try #require(firstAfterRestart)
        #expect(frame < 100, "first frame after the restart: \(frame)")
        #expect(eventually { h.log.count(containing: "termination") == 1 })
        #expect(eventually { h.log.count(containing: "restarted") == 1 })
        #expect(h.nuc.counters.watchdogTrips == 0)

        // The new process is at NO_CONTROL: a controller message instantiates at once.
        try h.sendArm(try h.osc(.hold), until: { h.nuc.counters.controllersStarted == 1 })
    }

    @Test func timeIsFrozenWhileIdleWhileFrameKeepsCounting() throws {
        let h = try FrankaHarness(speed: 10)
        let idleA = try h.latestArmState()
        h.clock.sleep(forSimSeconds: 0.5)
        let idleB = try h.latestArmState()
        #expect(idleB.frame >= idleA.frame + 20)
        #expect(idleB.time.toMsec == idleA.time.toMsec)
        #expect(idleB.time.toSec == idleA.time.toSec)
        #expect(idleB.robotMode == .idle)

        try h.startOSC()
        let movingA = try h.latestArmState()
        h.clock.sleep(forSimSeconds: 0.3)
        let movingB = try h.latestArmState()
        #expect(movingB.robotMode == .move)
        #expect(movingB.time.toMsec >= movingA.time.toMsec + 200)
        #expect(movingB.frame > movingA.frame)
        #expect(movingB.q.count == 7 && movingB.oTEe.count == 16 && movingB.tauJ.count == 7)
        #expect(movingB.controlCommandSuccessRate == 1.0)
        #expect(movingB.currentErrors == DeoxysFrankaRobotStateMessage.Errors())
    }

    @Test func timeFractionAtOrBelowOneTenthIsFlooredToOneTenth() throws {
        let h = try FrankaHarness()
        try h.connectArm()
        var settings = FrankaControllerSettings.oscPose
        settings.interpolatorTimeFraction = 0.05
        let low: [UInt8] = try DeoxysFrankaControlMessage.referenceOSC(
            goal: TaskSpaceGoal(isDelta: true, x: 0.01), settings: settings).serializedBytes()
        try h.sendArmOnce(low, until: { h.nuc.counters.goalsApplied == 1 })
        #expect(h.plant.poseGoals.last?.1 == 0.1 / 20)

        settings.interpolatorTimeFraction = 0.5
        let high: [UInt8] = try DeoxysFrankaControlMessage.referenceOSC(
            goal: TaskSpaceGoal(isDelta: true, x: 0.01), settings: settings).serializedBytes()
        try h.sendArmOnce(high, until: { h.nuc.counters.goalsApplied == 2 })
        #expect(h.plant.poseGoals.last?.1 == 0.5 / 20)
    }

    @Test func controllerSwitchWithoutTheNoControlPreambleKeepsTheOldController() throws {
        let h = try FrankaHarness()
        try h.startOSC()
        let q: InlineArray<7, Double> = [0.1, -0.7, 0, -2.3, 0, 1.6, 0.8]
        let joint = try h.encoded { try h.encoder.encodeJointPosition(q, into: $0) }
        try h.sendArmOnce(joint, until: { h.nuc.counters.goalsIgnored == 1 })
        #expect(h.plant.count(\.isJoints) == 0)
        #expect(h.nuc.counters.lastRefusal.contains("NO_CONTROL"))
        #expect(h.nuc.counters.controllersStarted == 1)

        // The OSC controller still runs and takes OSC goals.
        let applied = h.nuc.counters.goalsApplied
        try h.sendArmOnce(try h.osc(TaskSpaceGoal(isDelta: true, x: 0.01)), until: { h.nuc.counters.goalsApplied == applied + 1 })

        // With the preamble the switch works.
        try h.sendArmOnce(Self.goldenNoControl, until: { h.nuc.counters.motionsStopped == 1 })
        try h.sendArmOnce(joint, until: { h.nuc.counters.controllersStarted == 2 })
        #expect(h.plant.calls.last == .joints([0.1, -0.7, 0, -2.3, 0, 1.6, 0.8], interpolationSeconds: 0.3 / 20, kind: .position))
    }

    @Test func jointImpedanceGoalsAreTrackedWithImpedanceControl() throws {
        let h = try FrankaHarness()
        try h.connectArm()
        let q: InlineArray<7, Double> = [0, -0.5, 0, -2.0, 0, 1.5, 0.7]
        let bytes = try h.encoded { try h.encoder.encodeJointImpedance(q, into: $0) }
        try h.sendArmOnce(bytes, until: { h.nuc.counters.goalsApplied == 1 })
        #expect(h.plant.calls == [.joints([0, -0.5, 0, -2.0, 0, 1.5, 0.7], interpolationSeconds: 0.3 / 20, kind: .impedance)])
    }

    @Test func unparseableMessagesCountTowardTheWatchdog() throws {
        let h = try FrankaHarness(speed: 5)
        try h.startOSC()
        // Garbage several times per poll period, so no poll is empty: 0xFF starts a field with
        // wire type 7, which no protobuf parser accepts.
        var random = SeededRandom(seed: 7)
        let refusedBefore = h.nuc.counters.messagesRefused
        while h.nuc.counters.messagesRefused - refusedBefore < 25 {
            let garbage: [UInt8] = [0xFF] + (0..<Int.random(in: 0...40, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            try h.sendArm(garbage)
            usleep(1_000)
        }
        // More than 20 refusals, yet no trip: deoxys checks the counter on empty polls only.
        #expect(h.nuc.counters.watchdogTrips == 0)
        let garbageEnded = h.clock.now
        // The first silent poll ends the process, not another second of silence.
        #expect(eventually { h.nuc.counters.watchdogTrips == 1 })
        #expect(h.clock.now - garbageEnded < 0.6)
    }

    @Test func aTypeURLWithAPackagePrefixIsRefusedAsUnparseable() throws {
        let h = try FrankaHarness()
        try h.connectArm()
        var message = try DeoxysFrankaControlMessage.referenceOSC(goal: TaskSpaceGoal(isDelta: true, x: 0.01))
        message.controlMsg.typeURL = "type.googleapis.com/deoxys.FrankaOSCPoseControllerMessage"
        try h.sendArmOnce(try message.serializedBytes(), until: { h.nuc.counters.messagesRefused == 1 })
        #expect(h.nuc.counters.lastRefusal.contains("deoxys.FrankaOSCPoseControllerMessage"))
        #expect(h.nuc.counters.controllersStarted == 0)
        #expect(h.plant.poseGoals.isEmpty)
    }

    @Test func randomBytesOnTheCommandSocketNeverCrashTheNUC() throws {
        let h = try FrankaHarness(speed: 10)
        try h.connectArm()
        var random = SeededRandom(seed: 42)
        for _ in 0..<300 {
            try h.sendArm(random.fuzzInput(from: Self.goldenOSCPoseX001))
            usleep(200)
        }
        // Still serving: states flow and a well-formed controller message is obeyed (after a
        // watchdog restart, if the fuzz happened to start a controller).
        #expect(h.nuc.counters.messagesRefused > 0)
        try h.sendArm(Self.goldenNoControl, until: { h.nuc.isArmProcessRunning })
        let applied = h.nuc.counters.goalsApplied
        try h.sendArm(Self.goldenNoControl, until: { (try? h.latestArmState().robotMode) == .idle })
        try h.sendArm(Self.goldenOSCPoseX001, until: { h.nuc.counters.goalsApplied > applied })
    }

    @Test func injectedErrorAbortsTheMotionAndTheRestartRecoversIt() throws {
        let h = try FrankaHarness(speed: 10)
        var errors = DeoxysFrankaRobotStateMessage.Errors()
        errors.cartesianReflex = true
        // While idle the error stands in the published state.
        h.nuc.injectErrors(errors)
        #expect(eventually {
            guard let state = try? h.latestArmState() else { return false }
            return state.robotMode == .reflex && state.currentErrors.cartesianReflex && state.lastMotionErrors.cartesianReflex
        })
        // A motion attempt raises the control exception: franka-interface exits and restarts
        // with automaticErrorRecovery.
        try h.connectArm()
        try h.sendArmOnce(try h.osc(.hold), until: { h.nuc.counters.reflexExits == 1 })
        #expect(eventually { h.log.count(containing: "cartesian_reflex") == 1 })
        #expect(eventually { h.nuc.counters.armProcessStarts == 2 })
        #expect(eventually {
            guard let state = try? h.latestArmState() else { return false }
            return state.robotMode == .idle && state.currentErrors == DeoxysFrankaRobotStateMessage.Errors()
        })
    }
}

func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
    ((a - b) * (a - b)).sum().squareRoot()
}
