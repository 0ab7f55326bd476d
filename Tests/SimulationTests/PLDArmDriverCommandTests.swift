import Foundation
import Simulation
import SwiftProtobuf
import TestSupport
import Testing
import Wire

/// The simulated PLD arm driver's command stream and safety contract, over real sockets. The
/// plant is a kinematic test double (physics only).
@Suite("Simulated PLD arm driver: commands and safety", .serialized, .timeLimit(.minutes(2)))
struct PLDArmDriverCommandTests {
    static let pose: [Double] = [0.1, 1.0, 1.1, 0.05, -0.1, 0.2]

    @Test func statesArePublishedWithTheProtocolFields() throws {
        let h = try PLDArmHarness()
        let a = try #require(h.waitForState { $0.sequence > 0 })
        h.clock.sleep(forSimSeconds: 0.2)
        let b = try h.latestState()
        #expect(a.protocolVersion == 1 && a.armName == "left")
        #expect(a.mode == .holding, "a fresh driver holds where the arm is")
        #expect(a.qRad == h.plant.q && a.dqRadPerS.count == 6 && a.tauNm.count == 6 && a.motorTemperatureC.count == 6)
        #expect(b.sequence >= a.sequence + 10, "100 Hz of sim time")
        #expect(b.sampleUnixNs > a.sampleUnixNs)
        #expect(a.faultMessage.isEmpty)
    }

    @Test func commandsTrackAndHoldStopsAtTheMeasuredPosition() throws {
        let h = try PLDArmHarness()
        try h.stream(Self.pose, until: { h.driver.mode == .tracking })
        #expect(h.plant.lastTarget == Self.pose)
        let tracking = try #require(h.waitForState { $0.mode == .tracking && $0.lastCommandSequence > 0 })
        #expect(tracking.qRad == Self.pose)
        #expect(h.driver.counters.commandsApplied >= 1)

        // hold = true: HOLDING at the measured position, whatever q_target says.
        let pushed: [Double] = [0.2, 1.0, 1.1, 0.05, -0.1, 0.2]
        h.plant.setMeasured(pushed)
        try h.stream([9, 9, 9, 9, 9, 9], hold: true, until: { h.driver.mode == .holding })
        #expect(h.plant.lastTarget == pushed)
    }

    @Test func silenceHoldsAfterTheCommandTimeoutThenDampsAndOnlyClearErrorsRecovers() throws {
        let h = try PLDArmHarness(speed: 10)
        try h.stream(Self.pose, until: { h.driver.mode == .tracking })
        let lastCommand = h.lastSentAt
        #expect(eventually { h.driver.mode == .holding })
        let heldAfter = h.clock.now - lastCommand
        #expect(heldAfter >= 0.095 && heldAfter < 0.6, "held after \(heldAfter) s (command_timeout_s 0.1)")
        #expect(h.plant.dampCount == 0)
        #expect(h.plant.lastTarget == Self.pose, "holding keeps the last target")

        #expect(eventually { h.driver.mode == .damping })
        let dampedAfter = h.clock.now - lastCommand
        #expect(dampedAfter >= 1.095 && dampedAfter < 2.5, "damped after \(dampedAfter) s (0.1 + hold timeout 1)")
        #expect(eventually { h.plant.dampCount == 1 })
        let damping = try #require(h.waitForState { $0.mode == .damping })
        #expect(damping.faultMessage.contains("damping"))
        #expect(h.driver.counters.holdTimeouts == 1 && h.driver.counters.dampingTimeouts == 1)

        // Commands do not revive a damped arm.
        let ignored = h.driver.counters.commandsIgnored
        try h.stream(Self.pose, until: { h.driver.counters.commandsIgnored > ignored + 2 })
        #expect(h.driver.mode == .damping)

        let reply = try h.request(.clearErrors_p(PLDClearErrors()))
        #expect(reply.ok)
        #expect(h.driver.mode == .holding)
        #expect(try #require(h.waitForState { $0.mode == .holding }).faultMessage.isEmpty)
        try h.stream([0, 1, 1, 0, 0, 0], until: { h.driver.mode == .tracking })
    }

    @Test func aFreshDriverHoldsIndefinitelyBeforeItsFirstCommand() throws {
        let h = try PLDArmHarness(speed: 10)
        h.clock.sleep(forSimSeconds: 2)
        #expect(h.driver.mode == .holding)
        #expect(h.plant.dampCount == 0)
    }

    @Test func commandsWithWrongVersionCountOrNaNAreRefusedAndNeverApplied() throws {
        let h = try PLDArmHarness()
        try h.stream(Self.pose, until: { h.driver.mode == .tracking })
        h.plant.clearCalls()
        let applied = h.driver.counters.commandsApplied

        try h.sendUntilRefused(try h.armCommand([0, 0, 0, 0, 0, 0], version: 2).serializedBytes())
        #expect(h.driver.counters.lastCommandProblem.contains("protocol_version 2"))
        try h.sendUntilRefused(try h.armCommand([0, 0, 0, 0, 0]).serializedBytes())
        #expect(h.driver.counters.lastCommandProblem.contains("5 q_target_rad values"))
        try h.sendUntilRefused(try h.armCommand([0, 0, .nan, 0, 0, 0]).serializedBytes())
        #expect(h.driver.counters.lastCommandProblem.contains("NaN"))
        try h.sendUntilRefused(try h.armCommand([0, 0, 0, 0, 0, 0], gripper: .infinity).serializedBytes())
        try h.sendUntilRefused([0xFF, 0x01, 0x02])

        #expect(h.driver.counters.commandsRefused == 5)
        #expect(h.driver.counters.commandsApplied == applied)
        #expect(h.plant.targets.isEmpty, "no refused command reached the plant")
    }

    @Test func trackingTargetsAreClippedLikeI2RT() throws {
        let h = try PLDArmHarness()
        try h.stream([5, 1, 1, 0, 0, 0], until: { h.driver.mode == .tracking })
        let target = try #require(h.plant.lastTarget)
        #expect(abs(target[0] - (3.054 + 0.15)) < 1e-12, "joint 1 clipped at its upper limit + 0.15 rad")
    }

    @Test func motorErrorDampsAndNeedsClearErrors() throws {
        let h = try PLDArmHarness()
        try h.stream(Self.pose, until: { h.driver.mode == .tracking })
        h.driver.injectMotorError()
        #expect(h.driver.mode == .error)
        let state = try #require(h.waitForState { $0.mode == .error })
        #expect(state.faultMessage == "motor 3: loss communication")
        #expect(eventually { h.plant.dampCount == 1 })
        let move = try h.request(PLDArmHarness.move(Self.pose, seconds: 1))
        #expect(!move.ok && move.error.contains("ERROR"))
        #expect(try h.request(.clearErrors_p(PLDClearErrors())).ok)
        #expect(h.driver.mode == .holding)
    }

    @Test func motorErrorFaultSpecHitsTheNamedArm() throws {
        let h = try PLDArmHarness(speed: 10) { $0.faults = [try! SimFault(spec: "motor-error:left@300ms")] }
        #expect(eventually { h.driver.mode == .error })
        #expect(h.driver.counters.motorErrors == 1)
        #expect(eventually { h.log.count(containing: "loss communication") == 1 })
    }

    @Test func killedDriverGoesSilentDampsAfterTheMotorTimeoutAndRestartsHolding() throws {
        let h = try PLDArmHarness(speed: 10) { $0.restartDelaySeconds = 2 }
        // Keep commanding (so the driver stays TRACKING) while the sequence runs up.
        try h.stream(Self.pose, until: { h.driver.counters.statesPublished > 150 })
        let before = try h.latestState()
        h.driver.kill()
        #expect(eventually { !h.driver.isRunning })
        let killedAt = h.clock.now
        let published = h.driver.counters.statesPublished
        #expect(eventually { h.plant.dampCount == 1 }, "motors damp once nobody refreshes them")
        #expect(h.clock.now - killedAt >= 0.15, "after motor_timeout_s 0.2")
        #expect(h.driver.counters.statesPublished == published)
        #expect(eventually { h.driver.isRunning })
        #expect(h.driver.counters.processStarts == 2 && h.driver.counters.restarts == 1)
        let restarted = try #require(h.waitForState { $0.mode == .holding })
        #expect(restarted.sequence < before.sequence && restarted.sequence < 100, "a new process counts from 0")
        #expect(try h.request(PLDArmHarness.hello()).ok, "the control socket answers again")
    }

    @Test func delayCommandsFaultAppliesCommandsLate() throws {
        let h = try PLDArmHarness(speed: 10) { $0.faults = [try! SimFault(spec: "delay-commands:500ms")] }
        // Prime the link with hold commands (harmless), then time one tracking command.
        try h.stream(PLDArmHarness.yamLimits.map { _ in 0 }, hold: true, until: { h.driver.counters.commandsApplied > 0 })
        let sentAt = h.clock.now
        try h.send(h.armCommand(Self.pose))
        #expect(eventually { h.driver.mode == .tracking })
        #expect(h.clock.now - sentAt >= 0.5)
    }

    @Test func dropStateFaultStopsStatesForItsWindow() throws {
        let h = try PLDArmHarness(speed: 10) { $0.faults = [try! SimFault(spec: "drop-state:1s@1s")] }
        h.clock.sleep(until: 1.2)
        let during = h.driver.counters.statesPublished
        h.clock.sleep(until: 1.8)
        #expect(h.driver.counters.statesPublished == during)
        h.clock.sleep(until: 2.3)
        #expect(h.driver.counters.statesPublished > during)
    }
}
