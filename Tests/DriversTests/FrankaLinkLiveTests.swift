import Drivers
import Foundation
import PLDCore
import TestSupport
import Testing
import Wire
import ZeroMQ

/// FrankaLink against `Tests/Peers/nuc_standin.py`: a deoxys NUC stand-in written with pyzmq and
/// the `protobuf` package that connects to our command PUBs, publishes states on its own PUBs
/// and decodes every command the way the NUC does. Real tcp sockets, two processes.
///
/// Serialized: these tests measure rates in wall time.
@Suite(.serialized) struct FrankaLinkLiveTests {
    /// A link and a stand-in wired together through a config with four free ports.
    final class Rig {
        let context: Context
        let link: FrankaLink
        let nuc: StandIn

        init(
            options: FrankaLink.Options = FrankaLink.Options(), stateTimeoutS: Double = 0.1, frankaExtra: [String] = []
        ) throws {
            context = try Context()
            let ports = try freeTCPPorts(4)
            let arm = try frankaArmConfig(ports: ports, stateTimeoutS: stateTimeoutS, frankaExtra: frankaExtra)
            link = try FrankaLink(arm: arm, context: context, options: options)
            try link.connect()
            nuc = try StandIn(
                script: "nuc_standin.py",
                arguments: [
                    "--arm-command", "tcp://127.0.0.1:\(ports[0])", "--gripper-command", "tcp://127.0.0.1:\(ports[2])",
                    "--arm-state", "tcp://127.0.0.1:\(ports[1])", "--gripper-state", "tcp://127.0.0.1:\(ports[3])",
                ],
                context: context)
        }

        /// Pumps holds until the stand-in has received arm commands and the link has a state, so
        /// both directions are connected (PUB/SUB drops messages before that).
        func warmUp() throws {
            var seen = false
            pump(until: 10) { now in
                link.poll(now: now)
                if link.counters.commandsSent == 0 { link.hold(now: now) }
                if link.state.hasState && !seen { seen = ((try? nuc.log("arm").isEmpty) == false) }
                return seen && link.state.hasState
            }
            try #require(seen && link.state.hasState, "stand-in and link did not connect")
            // Both command SUBs connect at the same time; give the gripper one a moment too.
            pump(seconds: 0.1) { link.poll(now: $0) }
            _ = try nuc.log("arm", clear: true)
        }

        func stop() {
            link.close()
            nuc.stop()
        }
    }

    static var noFirstPreamble: FrankaLink.Options {
        var options = FrankaLink.Options()
        options.preambleBeforeFirstController = false
        return options
    }

    @Test func oscCommandsCarryEveryFieldDeoxysExpects() throws {
        let rig = try Rig(
            options: Self.noFirstPreamble,
            frankaExtra: [
                "traj_interpolator_time_fraction: 0.4",
                "osc: {translational_stiffness: [200, 210, 220], rotational_stiffness: [20, 21, 22]}",
                "state_estimator: {enabled: true, alpha_q: 0.8, alpha_dq: 0.7, alpha_eef: 0.6}",
            ])
        defer { rig.stop() }
        try rig.warmUp()
        let goal = TaskSpaceGoal(isDelta: true, x: 0.01, y: -0.02, z: 0.005, ax: 0, ay: 0.03, az: 0.1)
        #expect(rig.link.sendOSC(goal, now: DriverClock.monotonicNanos()) == .sent)
        pump(seconds: 0.2) { rig.link.poll(now: $0) }
        let osc = try #require(try rig.nuc.log("arm").first { $0["controller_type"] as? String == "OSC_POSE" })
        #expect(osc["unpacked"] as? Bool == true)
        #expect(osc["type_url"] as? String == "type.googleapis.com/FrankaOSCPoseControllerMessage")
        #expect(osc["traj_interpolator_type"] as? String == "LINEAR_POSE")
        #expect(osc["traj_interpolator_time_fraction"] as? Double == 0.4)
        #expect((osc["traj_interpolator_time_fraction"] as? Double ?? 0) > 0.1)  // the NUC floors ≤ 0.1
        #expect(osc["timeout"] as? Double == 0.2)
        #expect(osc["termination"] as? Bool == false)
        let goalValues = try #require(osc["goal"] as? [Any])
        #expect(goalValues.first as? Bool == true)
        #expect(exactDoubles(osc["goal_bits"]) == [0.01, -0.02, 0.005, 0, 0.03, 0.1])
        #expect(osc["translational_stiffness"] as? [Double] == [200, 210, 220])
        #expect(osc["rotational_stiffness"] as? [Double] == [20, 21, 22])
        #expect(osc["residual_mass_vec"] as? [Double] == [0, 0, 0, 0, 0.1, 0.5, 0.5])
        let estimator = try #require(osc["estimator"] as? [String: Any])
        #expect(estimator["is_estimation"] as? Bool == true)
        #expect(estimator["estimator_type"] as? String == "EXPONENTIAL_SMOOTHING_ESTIMATOR")
        #expect(estimator["type_url"] as? String == "type.googleapis.com/ExponentialSmoothingConfig")
        #expect(estimator["unpacked"] as? Bool == true)
        #expect(estimator["alphas"] as? [Double] == [0.8, 0.7, 0.6, 0])
    }

    @Test func defaultOSCBytesEqualDeoxysGoldenVector() throws {
        // deoxys-wire.md §5.5: OSC_POSE with x = 0.01 and the osc-pose-controller.yml defaults.
        let golden = """
            1001180221333333333333d33f2ab3010a32747970652e676f6f676c65617069
            732e636f6d2f4672616e6b614f5343506f7365436f6e74726f6c6c65724d6573
            73616765127d0a0b0801117b14ae47e17a843f12180000000000c06240000000
            0000c062400000000000c062401a180000000000406f400000000000406f4000
            00000000406f402a3a0a38000000000000000000000000000000000000000000
            00000000000000000000009a9999999999b93f000000000000e03f0000000000
            00e03f319a9999999999c93f3a5110012a4d0a2e747970652e676f6f676c6561
            7069732e636f6d2f4578706f6e656e7469616c536d6f6f7468696e67436f6e66
            6967121b09cdccccccccccec3f11cdccccccccccec3f19000000000000f03f
            """.filter { !$0.isWhitespace }
        let rig = try Rig(options: Self.noFirstPreamble)
        defer { rig.stop() }
        try rig.warmUp()
        #expect(rig.link.sendOSC(TaskSpaceGoal(isDelta: true, x: 0.01), now: DriverClock.monotonicNanos()) == .sent)
        pump(seconds: 0.2) { rig.link.poll(now: $0) }
        let osc = try #require(try rig.nuc.log("arm").first { $0["controller_type"] as? String == "OSC_POSE" })
        #expect(osc["hex"] as? String == golden)
        #expect(osc["bytes"] as? Int == 287)
    }

    @Test func gripperActionsMapExactlyAsDeoxysClient() throws {
        let rig = try Rig()
        defer { rig.stop() }
        try rig.warmUp()
        // The first gripper command may race the SUB's connection; the 1 s re-send covers it.
        #expect(rig.link.sendGripper(action: -1, now: DriverClock.monotonicNanos()) == .sent)
        let arrived = try pump(until: 3) { now in
            rig.link.poll(now: now)
            return try !rig.nuc.log("gripper").isEmpty
        }
        try #require(arrived)
        var results: [LinkSendResult] = []
        for a in [-0.5, 0, 1, -1, 1] {
            results.append(rig.link.sendGripper(action: a, now: DriverClock.monotonicNanos()))
            pump(seconds: 0.03) { rig.link.poll(now: $0) }
        }
        pump(seconds: 0.1) { rig.link.poll(now: $0) }
        #expect(results == [.sent, .sent, .unchanged, .sent, .sent])
        let log = try rig.nuc.log("gripper")
        let sent = log.map { record -> String in
            switch record["kind"] as? String {
            case "move": "move \(record["width"] as? Double ?? .nan) \(record["speed"] as? Double ?? .nan)"
            case "grasp":
                "grasp \(record["width"] as? Double ?? .nan) \(record["speed"] as? Double ?? .nan) "
                    + "\(record["force"] as? Double ?? .nan) \(record["epsilon_inner"] as? Double ?? .nan) "
                    + "\(record["epsilon_outer"] as? Double ?? .nan)"
            default: "other"
            }
        }
        let grasp = "grasp -0.01 0.5 30.0 0.08 0.08"
        #expect(sent == ["move 0.08 0.1", "move 0.04 0.1", grasp, "move 0.08 0.1", grasp])
        #expect(log.allSatisfy { $0["termination"] as? Bool == false && $0["unpacked"] as? Bool == true })
        // Byte-exact with deoxys-wire.md §5.5's gripper close vector.
        let golden = """
            125e0a2d747970652e676f6f676c65617069732e636f6d2f4672616e6b614772
            697070657247726173704d657373616765122d097b14ae47e17a84bf11000000
            000000e03f190000000000003e40217b14ae47e17ab43f297b14ae47e17ab43f
            """.filter { !$0.isWhitespace }
        #expect(log[2]["hex"] as? String == golden)
    }

    @Test func keepAlivesArriveAtThePollRateWhenTheRuntimeSendsNothing() throws {
        let rig = try Rig(options: Self.noFirstPreamble)
        defer { rig.stop() }
        try rig.warmUp()
        #expect(rig.link.sendOSC(TaskSpaceGoal(isDelta: true, z: 0.01), now: DriverClock.monotonicNanos()) == .sent)
        let before = rig.link.counters
        pump(seconds: 1.4) { rig.link.poll(now: $0) }
        let all = try rig.nuc.log("arm")
        // (A NO_CONTROL of the warm-up may still have been in flight when the log was cleared.)
        let first = try #require(all.firstIndex { $0["controller_type"] as? String == "OSC_POSE" })
        let log = Array(all[first...])
        #expect(log.first.flatMap { ($0["goal"] as? [Any])?.dropFirst().compactMap { $0 as? Double } } == [0, 0, 0.01, 0, 0, 0])
        let holds = log.dropFirst()
        #expect(holds.allSatisfy { record in
            record["controller_type"] as? String == "OSC_POSE"
                && (record["goal"] as? [Any])?.dropFirst().compactMap { $0 as? Double } == [0, 0, 0, 0, 0, 0]
                && (record["estimator"] as? [String: Any])?["unpacked"] as? Bool == true
        })
        let times = log.compactMap { $0["t"] as? Double }
        let start = try #require(times.first) + 0.2
        let inOneSecond = times.filter { $0 >= start && $0 < start + 1 }.count
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        print("keep-alive: \(inOneSecond) arm messages in 1 s; gaps \(gaps.min() ?? 0)…\(gaps.max() ?? 0) s; NUC polls at 20 Hz")
        #expect(inOneSecond >= 20)
        // A full poll period after the runtime's command, then ~0.9 periods apart.
        #expect((gaps.max() ?? 1) < 0.08)
        #expect(rig.link.counters.keepAlivesSent - before.keepAlivesSent >= 25)
        // Replay the NUC's poll loop (a non-blocking receive every 50 ms, any phase) over the
        // arrival times: no poll may come up empty twice in a row, far from the 20 that trip
        // its watchdog.
        var worstEmptyRun = 0
        for phaseMillis in stride(from: 0.0, to: 50, by: 5) {
            var poll = start + phaseMillis / 1000, run = 0
            while poll < times.last! {
                let found = times.contains { $0 > poll - 0.05 && $0 <= poll }
                run = found ? 0 : run + 1
                worstEmptyRun = max(worstEmptyRun, run)
                poll += 0.05
            }
        }
        #expect(worstEmptyRun <= 1)
        #expect(rig.link.counters.commandsSent == before.commandsSent)
    }

    @Test func idleKeepAliveIsNoControl() throws {
        let rig = try Rig()
        defer { rig.stop() }
        try rig.warmUp()
        pump(seconds: 0.5) { rig.link.poll(now: $0) }
        let log = try rig.nuc.log("arm")
        #expect(log.count >= 9)
        #expect(log.allSatisfy {
            $0["controller_type"] as? String == "NO_CONTROL"
                && $0["type_url"] as? String == "type.googleapis.com/FrankaDummyControllerMessage"
                && $0["has_estimator"] as? Bool == false && $0["timeout"] as? Double == 0.2
        })
    }

    @Test func controllerSwitchSendsTwentyNoControlAtThePollRateBeforeTheFirstJointPosition() throws {
        let rig = try Rig(options: Self.noFirstPreamble)
        defer { rig.stop() }
        try rig.warmUp()
        #expect(rig.link.sendOSC(TaskSpaceGoal(isDelta: true, x: 0.002), now: DriverClock.monotonicNanos()) == .sent)
        pump(seconds: 0.05) { rig.link.poll(now: $0) }
        var q: InlineArray<7, Double> = [0, -0.785, 0, -2.356, 0, 1.571, 0.785]
        var results: [LinkSendResult] = []
        var newestDeferred = q
        var lastTick: UInt64 = 0
        let started = pump(until: 3) { now in
            rig.link.poll(now: now)
            guard now - lastTick >= 10_000_000 else { return false }  // a 100 Hz runtime
            lastTick = now
            q[0] += 0.0001
            let result = rig.link.sendJointPosition(q, now: now)
            results.append(result)
            if case .deferred = result { newestDeferred = q }
            return result == .sent
        }
        try #require(started, "the joint controller never started")
        #expect(rig.link.runningController == .jointPosition)
        #expect(results.dropLast().allSatisfy { if case .deferred = $0 { true } else { false } })
        pump(seconds: 0.05) { rig.link.poll(now: $0) }

        let log = try rig.nuc.log("arm")
        let types = log.compactMap { $0["controller_type"] as? String }
        let lastOSC = try #require(types.lastIndex(of: "OSC_POSE"))
        let firstJoint = try #require(types.firstIndex(of: "JOINT_POSITION"))
        let preamble = Array(log[(lastOSC + 1)..<firstJoint])
        #expect(preamble.count == 20)
        #expect(preamble.allSatisfy {
            $0["controller_type"] as? String == "NO_CONTROL" && $0["has_estimator"] as? Bool == false
                && $0["traj_interpolator_type"] as? String == "NO_OP" && $0["timeout"] as? Double == 0.2
                && $0["type_url"] as? String == "type.googleapis.com/FrankaDummyControllerMessage"
        })
        let times = (preamble + [log[firstJoint]]).compactMap { $0["t"] as? Double }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        let rate = Double(gaps.count) / (times.last! - times.first!)
        print("preamble: \(preamble.count) NO_CONTROL, \(String(format: "%.1f", rate)) Hz, gaps \(gaps.min()!)…\(gaps.max()!) s")
        #expect(rate > 17 && rate <= 20.5)
        #expect(gaps.min()! > 0.04)
        // The first JOINT_POSITION carries the newest goal requested during the preamble (sent by
        // poll once the preamble is done) and deoxys's joint-position fields.
        let joint = log[firstJoint]
        #expect(joint["traj_interpolator_type"] as? String == "SMOOTH_JOINT_POSITION")
        #expect(joint["speed_factor"] as? Double == 0.1)
        #expect(joint["is_delta"] as? Bool == false)
        #expect(joint["type_url"] as? String == "type.googleapis.com/FrankaJointPositionControllerMessage")
        #expect(exactDoubles(joint["joint_goal_bits"]) == (0..<7).map { newestDeferred[$0] })
        #expect((joint["estimator"] as? [String: Any])?["unpacked"] as? Bool == true)
    }

    @Test func closeSendsTerminationToArmAndGripper() throws {
        let rig = try Rig()
        defer { rig.nuc.stop() }
        try rig.warmUp()
        rig.link.close()
        #expect(!rig.link.isConnected)
        var arm: [[String: Any]] = [], gripper: [[String: Any]] = []
        pump(until: 3) { _ in
            arm = (try? rig.nuc.log("arm")) ?? []
            gripper = (try? rig.nuc.log("gripper")) ?? []
            return arm.contains { $0["termination"] as? Bool == true } && gripper.contains { $0["termination"] as? Bool == true }
        }
        #expect(arm.last?["termination"] as? Bool == true)
        #expect(arm.last?["controller_type"] as? String == "NO_CONTROL")
        #expect(gripper.last?["termination"] as? Bool == true)
        #expect(rig.link.counters.terminationsSent == 2)
        #expect(rig.link.hold(now: DriverClock.monotonicNanos()) == .notConnected)
    }

    @Test func statesFromTheStandInAreParsedWithTheirValues() throws {
        let rig = try Rig()
        defer { rig.stop() }
        try rig.warmUp()
        let s = rig.link.state
        #expect(s.link == .franka && s.jointCount == 7 && s.hasState && !s.isStale)
        for i in 0..<7 {
            #expect(abs(s.q[i] - 0.1 * Double(i)) < 1e-12)
            #expect(abs(s.dq[i] - 0.01 * Double(i)) < 1e-12)
            #expect(s.tau[i] == -1 + Double(i))
        }
        #expect(s.eePositionMeters.x == 0.5 && s.eePositionMeters.y == 0.1 && s.eePositionMeters.z == 0.4)
        #expect(s.eePose[5] == -1 && s.hasEEPose)
        #expect(s.mode == .tracking && s.frankaRobotMode == 2)
        #expect(s.errorBits == 0 && !s.isFault)
        #expect(s.robotTimeMilliseconds > 1000)

        try rig.nuc.control.call([
            "cmd": "set_state", "q": [0.5, 0.4, 0.3, -1.2, 0.1, 1.5, 0.7], "robot_mode": "Reflex",
            "errors": ["cartesian_reflex"], "gripper_width": 0.02, "grasped": true,
        ])
        var events: LinkEvents = []
        let updated = pump(until: 3) { now in
            events.formUnion(rig.link.poll(now: now))
            return rig.link.state.q[0] == 0.5 && rig.link.state.gripperIsGrasped
        }
        #expect(updated)
        let t = rig.link.state
        #expect((0..<7).map { t.q[$0] } == [0.5, 0.4, 0.3, -1.2, 0.1, 1.5, 0.7])
        #expect(t.mode == .reflex && t.isFault && t.errorBits == 1 << 7)  // cartesian_reflex: field 8
        #expect(events.contains(.faultRaised) && events.contains(.modeChanged))
        #expect(abs(t.gripperWidthMeters - 0.02) < 1e-12)
        #expect(abs(t.gripperPosition - 0.75) < 1e-12)  // 0.02 of 0.08 open → 75 % closed
        #expect(rig.link.counters.stateRefusals.total == 0)
    }

    @Test func stalenessWhenTheStandInPausesAndRecoveryWhenItResumes() throws {
        let rig = try Rig()
        defer { rig.stop() }
        try rig.warmUp()
        try rig.nuc.control.call(["cmd": "pause", "arm": true])
        var events: LinkEvents = []
        pump(seconds: 0.3) { events.formUnion(rig.link.poll(now: $0)) }
        #expect(rig.link.state.isStale)
        #expect(rig.link.state.messageAgeNanos > 100_000_000)
        #expect(events.contains(.becameStale))
        #expect(rig.link.counters.stalePeriods == 1)
        try rig.nuc.control.call(["cmd": "pause", "arm": false])
        let fresh = pump(until: 2) { now in
            events = rig.link.poll(now: now)
            return !rig.link.state.isStale
        }
        #expect(fresh && events.contains(.becameFresh))
        #expect(rig.link.counters.stalePeriods == 1)
    }

    @Test func robotTimeNotAdvancingIsStaleOnlyWhileAControllerShouldRun() throws {
        let rig = try Rig(options: Self.noFirstPreamble)
        defer { rig.stop() }
        try rig.warmUp()
        try rig.nuc.control.call(["cmd": "freeze_time", "value": true])
        // Idle (NO_CONTROL keep-alives): the NUC republishes a frozen state; that is expected.
        pump(seconds: 0.4) { rig.link.poll(now: $0) }
        #expect(!rig.link.state.robotTimeAdvancing)
        #expect(!rig.link.state.isStale)
        // With a controller running, a frozen robot time means the state is stale.
        #expect(rig.link.sendOSC(.hold, now: DriverClock.monotonicNanos()) == .sent)
        let stale = pump(until: 2) { now in
            rig.link.poll(now: now)
            return rig.link.state.isStale
        }
        #expect(stale)
        #expect(rig.link.state.messageAgeNanos < 100_000_000)  // messages keep coming
        #expect(rig.link.counters.robotTimeStalls == 1)
        try rig.nuc.control.call(["cmd": "freeze_time", "value": false])
        let fresh = pump(until: 2) { now in
            rig.link.poll(now: now)
            return !rig.link.state.isStale
        }
        #expect(fresh && rig.link.state.robotTimeAdvancing)
    }

    @Test func restartIsDetectedWhenTheFrameCounterStartsOver() throws {
        let rig = try Rig(options: Self.noFirstPreamble)
        defer { rig.stop() }
        try rig.warmUp()
        #expect(rig.link.sendOSC(.hold, now: DriverClock.monotonicNanos()) == .sent)
        pump(until: 3) { now in
            rig.link.poll(now: now)
            return rig.link.state.sequence > 30
        }
        #expect(rig.link.runningController == .oscPose)
        try rig.nuc.control.call(["cmd": "restart", "gap_s": 0.3])
        var events: LinkEvents = []
        let detected = pump(until: 3) { now in
            events.formUnion(rig.link.poll(now: now))
            return rig.link.counters.restartsDetected > 0
        }
        #expect(detected)
        #expect(events.contains(.restartDetected) && events.contains(.becameStale))
        #expect(rig.link.counters.restartsDetected == 1)
        #expect(rig.link.state.sequence < 10)
        // A restarted NUC runs no controller; the link knows it and sends NO_CONTROL keep-alives.
        #expect(rig.link.runningController == .noControl)
        _ = try rig.nuc.log("arm", clear: true)
        pump(seconds: 0.2) { rig.link.poll(now: $0) }
        #expect(try rig.nuc.log("arm").allSatisfy { $0["controller_type"] as? String == "NO_CONTROL" })
    }
}
