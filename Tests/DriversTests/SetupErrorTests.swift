import Drivers
import Foundation
import PLDCore
import Testing
import Wire
import ZeroMQ

/// Setup-time failures are one clear line naming the arm and the endpoint; links refuse per-tick
/// calls until they are connected.
@Suite struct SetupErrorTests {
    @Test func aCommandPortInUseNamesTheArmAndTheEndpoint() throws {
        let context = try Context()
        let ports = try freeTCPPorts(4)
        let first = try FrankaLink(arm: try frankaArmConfig(ports: ports), context: context)
        try first.connect()
        defer { first.close() }
        let second = try FrankaLink(arm: try frankaArmConfig(ports: ports), context: context)
        do {
            try second.connect()
            Issue.record("a second link bound the same port")
        } catch {
            #expect(error.description.hasPrefix("arm franka: bind arm command PUB tcp://127.0.0.1:\(ports[0]): "))
            #expect(error.description.contains("Address already in use"))
            #expect(!error.description.contains("\n"))
        }
        #expect(!second.isConnected)
        #expect(second.poll(now: 1).isEmpty)
        #expect(second.hold(now: 1) == .notConnected)
        #expect(second.sendOSC(.hold, now: 1) == .notConnected)
        #expect(second.sendGripper(action: 1, now: 1) == .notConnected)

        let yam = try PLDArmLink(arm: try yamArmConfig(ports: [ports[1], ports[0], ports[2]]), context: context)
        do {
            try yam.connect()
            Issue.record("a PLD arm link bound a port in use")
        } catch {
            #expect(error.kind == .transport)
            #expect(error.description.contains("bind command PUB tcp://127.0.0.1:\(ports[0])"))
        }
        #expect(!yam.isOpen && !yam.isReady)
    }

    @Test func linksRefuseArmsOfTheOtherKind() throws {
        let context = try Context()
        let franka = try frankaArmConfig(ports: [5555, 5556, 5557, 5558])
        let yam = try yamArmConfig(ports: [6001, 6002, 6003])
        #expect(throws: DriverError.self) { try PLDArmLink(arm: franka, context: context) }
        #expect(throws: DriverError.self) { try FrankaLink(arm: yam, context: context) }
    }

    @Test func aFrankaWithoutGripperRefusesGripperCommands() throws {
        let rig = try InProcessFranka()
        #expect(rig.link.sendGripper(action: 1, now: rig.now) == .sent)
        var arm = try frankaArmConfig(ports: [5555, 5556, 5557, 5558])
        arm.hasGripper = false
        let context = try Context()
        // Bound first: an inproc connection still pending when the context ends can trip an
        // assertion in libzmq 4.3.4.
        let states = try ["inproc://nogripper-state", "inproc://nogripper-gstate"].map { endpoint in
            let pub = try Socket(context: context, type: .pub)
            try pub.bind(endpoint)
            return pub
        }
        defer { for pub in states { pub.close() } }
        let link = try FrankaLink(
            arm: arm, context: context,
            endpoints: FrankaEndpoints(
                armCommandBind: "inproc://nogripper-cmd", gripperCommandBind: "inproc://nogripper-gcmd",
                armStateConnect: "inproc://nogripper-state", gripperStateConnect: "inproc://nogripper-gstate"))
        try link.connect()
        #expect(link.sendGripper(action: 1, now: 1) == .refused(.noGripper))
        link.close()
    }

    @Test func helloCheckAcceptsAMatchingDriver() throws {
        let arm = try yamArmConfig(ports: [6001, 6002, 6003])
        var reply = PLDHelloReply()
        reply.protocolVersion = 1
        reply.jointNames = yamJointNames
        reply.jointLimits = (0..<6).map { i in
            var limit = PLDJointLimit()
            limit.name = yamJointNames[i]
            limit.lowerRad = yamLowerRad[i]
            limit.upperRad = yamUpperRad[i]
            limit.maxVelocityRadPerS = 0  // not stated: not checked
            return limit
        }
        reply.commandTimeoutS = 0.1
        #expect(PLDArmHelloCheck.mismatch(reply, arm: arm, endpoint: "x") == nil)
        reply.jointLimits[5].name = "wrist"
        #expect(PLDArmHelloCheck.mismatch(reply, arm: arm, endpoint: "x")?.field == "joint_limits[5].name")
        reply.jointLimits[5].name = ""
        reply.commandTimeoutS = 0
        #expect(PLDArmHelloCheck.mismatch(reply, arm: arm, endpoint: "x")?.field == "command_timeout_s")
    }
}
