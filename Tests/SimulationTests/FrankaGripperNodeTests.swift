import Foundation
import Simulation
import SwiftProtobuf
import TestSupport
import Testing
import Wire

/// The simulated deoxys gripper node and its dispatch quirks, over real sockets. The plant is
/// a kinematic test double (physics only).
@Suite("Simulated deoxys NUC: gripper node", .serialized, .timeLimit(.minutes(2)))
struct FrankaGripperNodeTests {
    /// deoxys-wire.md §5.5: the Grasp the Python client sends for a closing action (96 bytes).
    static let goldenGrasp = decodeHex("""
        125e0a2d747970652e676f6f676c65617069732e636f6d2f4672616e6b614772
        697070657247726173704d657373616765122d097b14ae47e17a84bf11000000
        000000e03f190000000000003e40217b14ae47e17ab43f297b14ae47e17ab43f
        """)

    static func move(width: Double, speed: Double = 0.1) throws -> [UInt8] {
        var move = DeoxysFrankaGripperMoveMessage()
        move.width = width
        move.speed = speed
        return try gripperCommand(move)
    }

    @Test func graspIsSkippedWhileTheHandHoldsAGrasp() throws {
        let h = try FrankaHarness()
        try h.sendGripper(Self.goldenGrasp, until: { h.nuc.counters.grasps == 1 })
        #expect(h.plant.calls.contains(.grasp(
            widthMeters: -0.01, speedMetersPerSecond: 0.5, forceNewtons: 30, epsilonInner: 0.08, epsilonOuter: 0.08)))
        // The client repeats Grasp on every step; deoxys skips them while grasped.
        let skipped = h.nuc.counters.graspsSkipped
        try h.sendGripper(Self.goldenGrasp, until: { h.nuc.counters.graspsSkipped >= skipped + 3 })
        #expect(h.nuc.counters.grasps == 1)
        #expect(h.plant.count(\.isGrasp) == 1)
        #expect(eventually { (try? h.latestGripperState().isGrasped) == true })

        // Move clears the flag; the next Grasp runs again.
        try h.sendGripper(try Self.move(width: 0.08), until: { h.nuc.counters.gripperMoves >= 1 })
        try h.sendGripper(Self.goldenGrasp, until: { h.nuc.counters.grasps == 2 })
    }

    @Test func graspWithoutForceOrEpsilonsGetsDeoxysDefaults() throws {
        let h = try FrankaHarness()
        var grasp = DeoxysFrankaGripperGraspMessage()
        grasp.width = 0.02
        grasp.speed = 0.1
        try h.sendGripper(try gripperCommand(grasp), until: { h.nuc.counters.grasps == 1 })
        #expect(h.plant.calls.contains(.grasp(
            widthMeters: 0.02, speedMetersPerSecond: 0.1, forceNewtons: 2, epsilonInner: 0.08, epsilonOuter: 0.08)))
    }

    @Test func stopMessageStopsAtOnceAndThenHomesWhileAHomingMessageMatchesNothing() throws {
        let h = try FrankaHarness()
        #expect(eventually { h.nuc.counters.gripperHomings == 1 }, "the node homes at start")
        try h.sendGripper(try Self.move(width: 0.05), until: { h.nuc.counters.gripperMoves >= 1 })
        h.plant.clearCalls()

        var stop = DeoxysFrankaGripperStopMessage()
        stop.stop = true
        try h.sendGripper(try gripperCommand(stop), until: { h.nuc.counters.gripperHomings == 2 })
        #expect(h.plant.calls.prefix(2) == [.stopGripper, .homeGripper])
        #expect(h.nuc.counters.gripperStops == 1)

        var homing = DeoxysFrankaGripperHomingMessage()
        homing.homing = true
        try h.sendGripper(try gripperCommand(homing), until: { h.nuc.counters.gripperUnpackFailures >= 1 })
        #expect(h.nuc.counters.gripperHomings == 2)
        #expect(h.log.count(containing: "Unpack failed") >= 1)
    }

    @Test func gripperStateIsPublishedWithWidthAndTime() throws {
        let h = try FrankaHarness(speed: 10)
        try h.sendGripper(try Self.move(width: 0.04), until: { h.nuc.counters.gripperMoves >= 1 })
        #expect(eventually { (try? h.latestGripperState().width) == 0.04 })
        let a = try h.latestGripperState()
        h.clock.sleep(forSimSeconds: 0.3)
        let b = try h.latestGripperState()
        #expect(a.maxWidth == 0.08 && !a.isGrasped && a.temperature == 30)
        #expect(b.time.toMsec > a.time.toMsec)
    }

    @Test func gripperTerminationRestartsTheGripperNodeOnly() throws {
        let h = try FrankaHarness(speed: 10)
        try h.sendGripper(try gripperCommand(DeoxysFrankaGripperMoveMessage(), termination: true),
                          until: { h.nuc.counters.gripperProcessStarts == 2 })
        #expect(h.nuc.counters.gripperHomings == 2)
        #expect(h.nuc.counters.armProcessStarts == 1)
        #expect(eventually { h.log.count(containing: "gripper termination") >= 1 })
    }
}
