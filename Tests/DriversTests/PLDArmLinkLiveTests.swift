import Drivers
import Foundation
import PLDCore
import TestSupport
import Testing
import Wire
import ZeroMQ

let yamJointNames = ["joint1", "joint2", "joint3", "joint4", "joint5", "joint6"]
let yamLowerRad = [-2.6, 0.0, 0.0, -1.5, -1.5, -2.0]
let yamUpperRad = [3.0, 3.6, 3.1, 1.5, 1.5, 2.0]
/// The driver stand-in's limits: a little wider than the config's, as a real driver's are.
let driverLimitArguments = [
    "--lower=-2.7,-0.1,-0.1,-1.6,-1.6,-2.1", "--upper=3.1,3.7,3.2,1.6,1.6,2.1", "--velocity=3,3,3,4,4,4",
]

/// A YAM-like PLD arm config; `ports` are state, command and control.
func yamArmConfig(
    ports: [Int], stateTimeoutS: Double = 0.1, requestTimeoutS: Double = 0.5, withGains: Bool = true,
    stateEndpoint: String? = nil, commandEndpoint: String? = nil, controlEndpoint: String? = nil
) throws -> ArmConfig {
    try decodeConfig(ArmConfig.self, """
        name: left
        kind: pld_arm
        state_timeout_s: \(stateTimeoutS)
        joint_limits:
          lower_rad: \(yamLowerRad)
          upper_rad: \(yamUpperRad)
          velocity_rad_per_s: [2, 2, 2, 3, 3, 3]
          acceleration_rad_per_s2: [10, 10, 10, 10, 10, 10]
        pld_arm:
          state_endpoint: \(stateEndpoint ?? "tcp://127.0.0.1:\(ports[0])")
          command_endpoint: \(commandEndpoint ?? "tcp://127.0.0.1:\(ports[1])")
          control_endpoint: \(controlEndpoint ?? "tcp://127.0.0.1:\(ports[2])")
          joint_names: \(yamJointNames)
          command_timeout_s: 0.1
          request_timeout_s: \(requestTimeoutS)
        \(withGains ? "  gains: {kp: [80, 80, 80, 10, 10, 10], kd: [5, 5, 5, 1.5, 1.5, 1.5]}" : "")
        """)
}

/// PLDArmLink against `Tests/Peers/arm_driver_standin.py` (pyzmq + protobuf): hello, state,
/// commands and control requests over real tcp sockets between two processes.
@Suite(.serialized) struct PLDArmLinkLiveTests {
    final class Rig {
        let context: Context
        let ports: [Int]
        let link: PLDArmLink
        var driver: StandIn?

        init(driverArguments: [String] = driverLimitArguments, requestTimeoutS: Double = 0.5, launch: Bool = true) throws {
            context = try Context()
            ports = try freeTCPPorts(3)
            link = try PLDArmLink(arm: try yamArmConfig(ports: ports, requestTimeoutS: requestTimeoutS), context: context)
            if launch { driver = try startDriver(driverArguments) }
        }

        func startDriver(_ arguments: [String]) throws -> StandIn {
            try StandIn(
                script: "arm_driver_standin.py",
                arguments: [
                    "--command", "tcp://127.0.0.1:\(ports[1])", "--state", "tcp://127.0.0.1:\(ports[0])",
                    "--control", "tcp://127.0.0.1:\(ports[2])",
                ] + arguments,
                context: context, controlKey: "test_control")
        }

        /// connect(), then wait for a state and for the driver's command SUB to be connected
        /// (it logs the holds we send).
        func connectAndWarmUp() throws {
            try link.connect()
            let driver = try #require(driver)
            let ready = pump(until: 10) { now in
                link.poll(now: now)
                link.hold(now: now)
                return link.state.hasState && ((try? driver.log("commands").isEmpty) == false)
            }
            try #require(ready, "driver stand-in and link did not connect")
            _ = try driver.log("commands", clear: true)
        }

        func stop() {
            link.close()
            driver?.stop()
        }
    }

    @Test func helloIsVerifiedAndTheConfiguredGainsAreSent() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let hello = try rig.link.connect()
        #expect(hello.armName == "left" && hello.driverName == "arm_driver_standin.py")
        #expect(hello.jointNames == yamJointNames)
        #expect(rig.link.isReady && rig.link.driver == hello)
        let requests = try #require(rig.driver).log("requests")
        #expect(requests.map { $0["kind"] as? String } == ["hello", "set_gains"])
        #expect(requests[0]["client_name"] as? String == "pld run")
        #expect(requests.allSatisfy { $0["protocol_version"] as? Int == 1 })
        #expect(requests[1]["kp"] as? [Double] == [80, 80, 80, 10, 10, 10])
        #expect(requests[1]["kd"] as? [Double] == [5, 5, 5, 1.5, 1.5, 1.5])
        #expect(rig.link.counters.requestsSent == 2)
    }

    @Test func statesAreDecodedWithDriverModeAndFault() throws {
        let rig = try Rig()
        defer { rig.stop() }
        try rig.connectAndWarmUp()
        let driver = try #require(rig.driver)
        let s = rig.link.state
        #expect(s.link == .pldArm && s.jointCount == 6 && !s.isStale && !s.isFault)
        #expect((0..<6).map { s.q[$0] } == (1...6).map { 0.1 * Double($0) })
        #expect(s.tau[0] == 0.5 && s.sequence > 0 && s.sampleUnixNanos > 0)
        #expect(!s.hasEEPose && s.eePose[0] == 1 && s.eePose[15] == 1 && s.eePose[12] == 0)

        try driver.control.call(["cmd": "set", "mode": "ERROR", "fault": "motor 3 overheated"])
        var events: LinkEvents = []
        let faulted = pump(until: 3) { now in
            events.formUnion(rig.link.poll(now: now))
            return rig.link.state.isFault
        }
        #expect(faulted)
        #expect(rig.link.state.mode == .error && rig.link.state.driverMode == .error)
        #expect(events.contains(.faultRaised) && events.contains(.modeChanged))
        #expect(rig.link.faultMessage() == "motor 3 overheated")
        #expect(rig.link.counters.faultsRaised == 1)

        try rig.link.clearErrors()
        let cleared = pump(until: 3) { now in
            rig.link.poll(now: now)
            return !rig.link.state.isFault
        }
        #expect(cleared && rig.link.state.mode == .holding)

        try driver.control.call(["cmd": "set", "mode": "DAMPING"])
        #expect(pump(until: 3) { now in
            rig.link.poll(now: now)
            return rig.link.state.mode == .damping
        })
        #expect(rig.link.state.isFault)
    }

    @Test func commandsTheDriverReceivesEqualWhatWasSent() throws {
        let rig = try Rig()
        defer { rig.stop() }
        try rig.connectAndWarmUp()
        let driver = try #require(rig.driver)
        let start = rig.link.lastCommandSequence
        var sent: [[Double]] = []
        for k in 0..<5 {
            var q = InlineArray<8, Double>(repeating: 0)
            for i in 0..<6 { q[i] = 0.1 * Double(i + 1) + 0.01 * Double(k) }
            #expect(rig.link.sendJointTarget(q, gripper: 0.25, now: DriverClock.monotonicNanos()) == .sent)
            sent.append((0..<6).map { q[$0] })
            pump(seconds: 0.01) { rig.link.poll(now: $0) }
        }
        // Refused before encoding: nothing reaches the driver.
        var outside = InlineArray<8, Double>(repeating: 0.5)
        outside[1] = 3.7
        #expect(rig.link.sendJointTarget(outside, gripper: 0, now: DriverClock.monotonicNanos()) == .refused(.outsideJointLimits(joint: 1)))
        var nan = InlineArray<8, Double>(repeating: 0.5)
        nan[4] = .nan
        #expect(rig.link.sendJointTarget(nan, gripper: 0, now: DriverClock.monotonicNanos()) == .refused(.nonFinite))
        #expect(rig.link.hold(now: DriverClock.monotonicNanos()) == .sent)
        var log: [[String: Any]] = []
        pump(until: 2) { now in
            rig.link.poll(now: now)
            log = (try? driver.log("commands")) ?? []
            return log.count >= 6 && rig.link.state.lastCommandSequence == start + 6
        }
        #expect(log.count == 6)
        #expect(log.compactMap { $0["sequence"] as? Int } == (1...6).map { Int(start) + $0 })
        #expect(log.prefix(5).map { exactDoubles($0["q_bits"]) ?? [] } == sent)
        #expect(log.prefix(5).allSatisfy { $0["gripper"] as? Double == 0.25 && $0["hold"] as? Bool == false })
        #expect(log.last?["hold"] as? Bool == true && (log.last?["q"] as? [Double])?.isEmpty == true)
        #expect(log.allSatisfy { $0["protocol_version"] as? Int == 1 && ($0["sent_unix_ns"] as? Int ?? 0) > 0 })
        #expect(rig.link.state.lastCommandSequence == start + 6)
        #expect(rig.link.counters.commandsRefused == 2)
    }

    @Test func stalenessWhenTheDriverStopsPublishing() throws {
        let rig = try Rig()
        defer { rig.stop() }
        try rig.connectAndWarmUp()
        let driver = try #require(rig.driver)
        try driver.control.call(["cmd": "pause", "value": true])
        var events: LinkEvents = []
        pump(seconds: 0.3) { events.formUnion(rig.link.poll(now: $0)) }
        #expect(rig.link.state.isStale && events.contains(.becameStale))
        #expect(rig.link.state.messageAgeNanos >= 200_000_000)
        try driver.control.call(["cmd": "pause", "value": false])
        #expect(pump(until: 2) { now in
            rig.link.poll(now: now)
            return !rig.link.state.isStale
        })
        #expect(rig.link.counters.stalePeriods == 1)
        // A driver whose sequence starts over has restarted.
        try driver.control.call(["cmd": "set", "sequence": 0])
        #expect(pump(until: 2) { now in
            rig.link.poll(now: now)
            return rig.link.counters.driverRestarts == 1
        })
    }

    struct Mismatch: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var field: String
        var mentions: [String]
        var testDescription: String { field }
    }

    @Test(arguments: [
        Mismatch(arguments: ["--joints", "joint1,joint2,elbow,joint4,joint5,joint6"], field: "joint_names[2]", mentions: ["\"joint3\"", "\"elbow\""]),
        Mismatch(arguments: ["--joints", "joint1,joint2,joint3,joint4,joint5"], field: "joint_names", mentions: ["6 joints", "5"]),
        Mismatch(arguments: ["--upper=3.1,3.0,3.2,1.6,1.6,2.1"], field: "joint_limits.upper_rad[1]", mentions: ["3.6", "3 rad", "joint2"]),
        Mismatch(arguments: ["--lower=-2.7,-0.1,-0.1,-1.4,-1.6,-2.1"], field: "joint_limits.lower_rad[3]", mentions: ["-1.5", "-1.4"]),
        Mismatch(arguments: ["--velocity=3,3,3,4,2.5,4"], field: "joint_limits.velocity_rad_per_s[4]", mentions: ["3 rad/s", "2.5 rad/s"]),
        Mismatch(arguments: ["--command-timeout", "0.5"], field: "command_timeout_s", mentions: ["0.5 s", "0.1 s"]),
        Mismatch(arguments: ["--protocol-version", "2"], field: "protocol_version", mentions: ["speaks 1", "speaks 2"]),
    ])
    func aDriverThatDisagreesWithTheConfigIsRefused(_ mismatch: Mismatch) throws {
        let rig = try Rig(driverArguments: driverLimitArguments + mismatch.arguments)
        defer { rig.stop() }
        do {
            try rig.link.connect()
            Issue.record("connect() accepted a driver with a different \(mismatch.field)")
        } catch {
            #expect(error.kind == .helloMismatch)
            #expect(error.field == mismatch.field)
            let line = error.description
            #expect(!line.contains("\n"))
            #expect(line.hasPrefix("arm left (tcp://127.0.0.1:\(rig.ports[2])): hello refused: \(mismatch.field): "))
            for text in mismatch.mentions { #expect(line.contains(text), "\(line)") }
        }
        #expect(!rig.link.isReady)
        #expect(rig.link.sendJointTarget(.init(repeating: 0.5), gripper: 0, now: DriverClock.monotonicNanos()) == .notConnected)
        #expect(rig.link.hold(now: DriverClock.monotonicNanos()) == .notConnected)
        #expect(rig.link.counters.helloRefusals == 1)
    }

    @Test func aDriverThatNeverAnswersTimesOutAndTheLinkRecoversWhenItComesBack() throws {
        let rig = try Rig(driverArguments: driverLimitArguments + ["--silent"], requestTimeoutS: 0.3)
        defer { rig.stop() }
        let started = DriverClock.monotonicNanos()
        do {
            try rig.link.connect()
            Issue.record("connect() succeeded against a silent driver")
        } catch {
            #expect(error.kind == .timeout)
            #expect(error.description.contains("hello: no reply within 0.3 s"), "\(error)")
        }
        let elapsed = Double(DriverClock.monotonicNanos() - started) / 1e9
        #expect(elapsed >= 0.29 && elapsed < 1.5)
        #expect(rig.link.counters.requestTimeouts == 1 && rig.link.counters.requestSocketsRecreated == 1)

        // The hung driver goes away; nobody answers either.
        rig.driver?.stop()
        rig.driver = nil
        #expect(throws: PLDArmLinkError.self) { try rig.link.ping() }
        #expect(rig.link.counters.requestTimeouts == 2)

        // A working driver comes back on the same endpoints: the recreated REQ reaches it.
        rig.driver = try rig.startDriver(driverLimitArguments)
        let hello = try rig.link.connect()
        #expect(hello.jointNames == yamJointNames && rig.link.isReady)
        let ping = try rig.link.ping()
        #expect(ping.roundTripNanos > 0 && ping.driverUnixNanos > 0)
    }

    @Test func setupRequestsReachTheDriver() throws {
        let rig = try Rig()
        defer { rig.stop() }
        try rig.connectAndWarmUp()
        let driver = try #require(rig.driver)
        _ = try driver.log("requests", clear: true)
        let target = [0.2, 0.5, 0.6, -0.3, 0.4, 1.0]
        try rig.link.moveToJoints(target, durationS: 0.1, gripper: 0.75)
        try rig.link.gripper(.calibrate)
        try rig.link.gripper(.move, position: 0.3, speedPerS: 0.5)
        try rig.link.setGains(kp: [50, 50, 50, 8, 8, 8], kd: [4, 4, 4, 1, 1, 1])
        try rig.link.ping()
        #expect(throws: PLDArmLinkError.self) { try rig.link.moveToJoints([0, 4.0, 0, 0, 0, 0], durationS: 1) }
        #expect(throws: PLDArmLinkError.self) { try rig.link.moveToJoints(target, durationS: 0) }
        let requests = try driver.log("requests")
        #expect(requests.map { $0["kind"] as? String } == ["move_to_joints", "gripper", "gripper", "set_gains", "ping"])
        #expect(requests[0]["q"] as? [Double] == target)
        #expect(requests[0]["duration_s"] as? Double == 0.1)
        #expect(requests[0]["has_gripper"] as? Bool == true && requests[0]["gripper"] as? Double == 0.75)
        #expect(requests[1]["action"] as? String == "ACTION_CALIBRATE")
        #expect(requests[2]["action"] as? String == "ACTION_MOVE" && requests[2]["position"] as? Double == 0.3)
        #expect(requests[3]["kp"] as? [Double] == [50, 50, 50, 8, 8, 8])
        let ids = requests.compactMap { $0["request_id"] as? Int }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        #expect(pump(until: 2) { now in
            rig.link.poll(now: now)
            return (0..<6).map { rig.link.state.q[$0] } == target && rig.link.state.gripperPosition == 0.75
        })
    }
}
