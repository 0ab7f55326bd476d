import Drivers
import Foundation
import PLDCore
import TestSupport
import Testing
import Wire
import ZeroMQ

/// The runtime's links against `pld sim` as a separate process, over tcp loopback, with MuJoCo
/// physics behind the simulated deoxys NUC and YAM drivers: the acceptance path of the arms
/// issue. Each test runs its own sim on its own ports (`SimCell`).
@Suite(.serialized) struct ArmsThroughSimTests {
    /// Monotonic nanoseconds, the time base links take.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Ticks `body` at `hz` until it returns true or `seconds` pass; returns whether it did.
    @discardableResult
    static func tick(hz: Double, seconds: Double, _ body: (UInt64) -> Bool) -> Bool {
        let period = UInt64(1e9 / hz)
        let deadline = now() + UInt64(seconds * 1e9)
        var next = now()
        while now() < deadline {
            if body(now()) { return true }
            next += period
            let t = now()
            if next > t { usleep(UInt32((next - t) / 1000)) }
        }
        return false
    }

    static func position(_ state: ArmState) -> SIMD3<Double> {
        SIMD3(state.eePositionMeters.x, state.eePositionMeters.y, state.eePositionMeters.z)
    }

    /// Sends clamped OSC deltas at 20 Hz towards `target` until within `tolerance`; returns the
    /// final distance.
    static func moveTo(_ target: SIMD3<Double>, link: FrankaLink, tolerance: Double = 0.004, seconds: Double = 10) -> Double {
        var error = Double.infinity
        tick(hz: 20, seconds: seconds) { now in
            _ = link.poll(now: now)
            let d = target - position(link.state)
            error = (d * d).sum().squareRoot()
            if error < tolerance { return true }
            let step = d.clamped(lowerBound: SIMD3(repeating: -0.02), upperBound: SIMD3(repeating: 0.02))
            _ = link.sendOSC(TaskSpaceGoal(isDelta: true, x: step.x, y: step.y, z: step.z), now: now)
            return false
        }
        return error
    }

    @Test func frankaLinkMovesGraspsLiftsAndRidesOutTheWatchdogThroughPldSim() throws {
        let cell = try SimCell(config: "franka_sim_cube.yaml")
        defer { cell.remove() }
        let config = try RobotConfig.load(path: cell.configPath)
        let sim = try cell.launchSim(scene: "franka-cube")
        defer { sim.stop() }
        let context = try Context()
        let link = try FrankaLink(arm: config.arms[0], context: context)
        try link.connect()
        let cube = FeatureFeed(feature: try #require(config.features.first { $0.name == "cube_pose" }), context: context)
        try cube.connect()
        #expect(Self.tick(hz: 50, seconds: 5) { now in
            _ = link.poll(now: now)
            _ = cube.poll(now: now)
            return !link.state.isStale && cube.latest != nil
        }, "no fresh state and cube pose from pld sim within 5 s")

        // 1. 5 cm along x with OSC_POSE deltas at 20 Hz, checked in O_T_EE.
        let start = Self.position(link.state)
        let error = Self.moveTo(start + SIMD3(0.05, 0, 0), link: link)
        #expect(error < 0.005, "end effector \(error * 1000) mm from the 5 cm goal")

        // 2. Grasp the cube and lift it.
        _ = link.sendGripper(action: -1, now: Self.now())
        let c = try #require(cube.latest?.values).map(Double.init)
        let cubeStart = SIMD3(c[0], c[1], c[2])
        #expect(Self.moveTo(cubeStart + SIMD3(0, 0, 0.12), link: link) < 0.01)
        #expect(Self.moveTo(cubeStart + SIMD3(0, 0, 0.005), link: link, tolerance: 0.006) < 0.01)
        Self.tick(hz: 20, seconds: 1.5) { now in
            _ = link.poll(now: now)
            _ = link.sendGripper(action: 1, now: now)
            _ = link.sendOSC(TaskSpaceGoal(isDelta: true), now: now)
            return false
        }
        _ = Self.moveTo(cubeStart + SIMD3(0, 0, 0.15), link: link, tolerance: 0.01)
        Self.tick(hz: 20, seconds: 0.5) { now in
            _ = link.poll(now: now)
            _ = cube.poll(now: now)
            return false
        }
        let lifted = try #require(cube.latest?.values)
        #expect(Double(lifted[2]) > cubeStart.z + 0.1, "cube at z = \(lifted[2]) m after the lift")
        #expect(link.state.gripperIsGrasped)

        // 3. Commands stop (no tick for 1.6 s): the NUC's 20-empty-poll watchdog ends its
        //    controller process; the link reports the stale state and the restart, and the
        //    arm takes commands again afterwards.
        let restartsBefore = link.counters.restartsDetected
        usleep(1_600_000)
        var sawStale = false
        #expect(Self.tick(hz: 20, seconds: 6) { now in
            let events = link.poll(now: now)
            if link.state.isStale || events.contains(.becameStale) { sawStale = true }
            return link.counters.restartsDetected > restartsBefore && !link.state.isStale
        }, "no restart detected after the watchdog")
        #expect(sawStale)
        let afterRestart = Self.position(link.state)
        #expect(Self.moveTo(afterRestart + SIMD3(-0.03, 0, 0), link: link) < 0.005)
        link.close()
    }

    @Test func eachYAMArmReachesJointTargetsThenHoldsThenDampsWhenCommandsStop() throws {
        let cell = try SimCell(config: "yam_sim_gpu_insertion.yaml")
        defer { cell.remove() }
        let config = try RobotConfig.load(path: cell.configPath)
        let sim = try cell.launchSim(scene: "yam-gpu-insertion")
        defer { sim.stop() }
        let context = try Context()
        for arm in config.arms {
            let link = try PLDArmLink(arm: arm, context: context)
            try link.open()
            let hello = try link.connect()
            #expect(hello.jointNames == arm.pldArm?.jointNames)
            #expect(Self.tick(hz: 50, seconds: 5) { now in
                _ = link.poll(now: now)
                return link.state.hasState && !link.state.isStale
            })
            var target = InlineArray<8, Double>(repeating: 0)
            let home = link.state.jointPositions
            let offsets = [0.3, -0.2, 0.25, 0.3, -0.3, 0.4]
            for i in 0..<6 { target[i] = home[i] + offsets[i] }
            var worst = Double.infinity
            Self.tick(hz: 30, seconds: 6) { now in
                _ = link.poll(now: now)
                _ = link.sendJointTarget(target, gripper: 0.5, now: now)
                worst = (0..<6).map { abs(link.state.q[$0] - target[$0]) }.max()!
                return worst < 0.02 && link.state.mode == .tracking
            }
            #expect(worst < 0.02, "arm \(arm.name): worst joint error \(worst) rad")
            // Stop commanding, keep listening: hold after the command timeout, then damping.
            var modes: [ArmMode] = []
            Self.tick(hz: 50, seconds: 4) { now in
                _ = link.poll(now: now)
                if modes.last != link.state.mode { modes.append(link.state.mode) }
                return link.state.mode == .damping
            }
            #expect(modes.contains(.holding), "arm \(arm.name) modes \(modes)")
            #expect(modes.last == .damping, "arm \(arm.name) modes \(modes)")
            // Damping needs ClearErrors; afterwards the driver holds again.
            try link.clearErrors()
            #expect(Self.tick(hz: 50, seconds: 3) { now in
                _ = link.poll(now: now)
                return link.state.mode == .holding
            })
            link.close()
        }
    }
}
