import Foundation
import Simulation
import Testing
import Wire

/// Fault injection wired into the simulated deoxys NUC.
@Suite("Simulated deoxys NUC: faults", .serialized, .timeLimit(.minutes(2)))
struct FrankaFaultTests {
    @Test func killDriverFaultRestartsTheArmProcess() throws {
        let h = try FrankaHarness(speed: 10) { $0.faults = [try! SimFault(spec: "kill-driver@500ms")] }
        #expect(eventually { h.nuc.counters.kills == 1 })
        #expect(eventually { h.nuc.counters.armProcessStarts == 2 })
        #expect(eventually { h.log.count(containing: "killed") == 1 })
    }

    @Test func killDriverForAnotherArmLeavesThisOneAlone() throws {
        let h = try FrankaHarness(speed: 10) { $0.faults = [try! SimFault(spec: "kill-driver:left@100ms")] }
        h.clock.sleep(until: 0.5)
        #expect(h.nuc.counters.kills == 0)
        #expect(h.nuc.counters.armProcessStarts == 1)
    }

    @Test func killMethodEndsTheArmProcessAndStateStops() throws {
        let h = try FrankaHarness(speed: 10) { $0.restartDelaySeconds = 3 }
        _ = try h.latestArmState()
        h.nuc.kill()
        #expect(eventually { !h.nuc.isArmProcessRunning })
        let published = h.nuc.counters.statesPublished
        h.clock.sleep(forSimSeconds: 1)
        #expect(h.nuc.counters.statesPublished == published, "a dead process publishes nothing")
        #expect(eventually { h.nuc.isArmProcessRunning })
    }

    @Test func dropStateSilencesTheStateStreamForItsWindow() throws {
        let h = try FrankaHarness(speed: 10) { $0.faults = [try! SimFault(spec: "drop-state:1s@1s")] }
        h.clock.sleep(until: 1.2)
        let during = h.nuc.counters
        h.clock.sleep(until: 1.8)
        #expect(h.nuc.counters.statesPublished == during.statesPublished)
        #expect(h.nuc.counters.gripperStatesPublished == during.gripperStatesPublished)
        h.clock.sleep(until: 2.3)
        #expect(h.nuc.counters.statesPublished > during.statesPublished)
    }

    @Test func delayCommandsAppliesEachCommandLate() throws {
        let h = try FrankaHarness(speed: 10) { $0.faults = [try! SimFault(spec: "delay-commands:400ms")] }
        try h.connectArm()
        let sentAt = h.clock.now
        try h.sendArmOnce(try h.osc(.hold), until: { h.nuc.counters.goalsApplied == 1 })
        let appliedAfter = h.clock.now - sentAt
        #expect(appliedAfter >= 0.4 && appliedAfter < 2, "applied \(appliedAfter) s after sending")
    }

    @Test func motorErrorFaultIsAFrankaReflex() throws {
        let h = try FrankaHarness(speed: 10) { $0.faults = [try! SimFault(spec: "motor-error:franka@200ms")] }
        #expect(eventually {
            guard let state = try? h.latestArmState() else { return false }
            return state.robotMode == .reflex && state.currentErrors.jointReflex
        })
    }
}
