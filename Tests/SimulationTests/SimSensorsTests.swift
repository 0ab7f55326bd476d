import Drivers
import Foundation
import PLDCore
import TestSupport
import Testing
import TurboJPEG
import ZeroMQ

/// `pld sim`'s cameras and features as the runtime's feeds see them, sim time under `--speed`,
/// the camera-freeze fault, and the one-line errors of `pld sim` itself.
@Suite(.serialized) struct SimSensorsTests {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    @Test func camerasAndFeaturesArriveAtSpeedAndAFrozenCameraGoesSilent() throws {
        let cell = try SimCell(config: "yam_sim_gpu_insertion.yaml")
        defer { cell.remove() }
        let config = try RobotConfig.load(path: cell.configPath)
        // Speed 4; the top camera freezes from sim second 8 for 60 sim seconds.
        let sim = try cell.launchSim(scene: "yam-gpu-insertion", ["--speed", "4", "--fault", "camera-freeze:top:60s@8s"])
        defer { sim.stop() }
        let context = try Context()
        var options = CameraFeed.Options()
        options.timeScale = 1.0 / 4
        let top = CameraFeed(camera: try #require(config.cameras.first { $0.name == "top" }), context: context, options: options)
        try top.connect()
        let taskState = FeatureFeed(feature: try #require(config.features.first), context: context)
        try taskState.connect()
        let decoder = try JPEGDecoder()
        var firstFeature: (sequence: UInt64, at: UInt64, capture: Int64)?
        var lastFeature: (sequence: UInt64, at: UInt64, capture: Int64)?
        var frames = 0
        /// One poll of both feeds; counts (and checks) the camera frames and tracks the features.
        func poll() throws -> Bool {
            let now = Self.now()
            var newFrame = false
            if top.poll(now: now).contains(.newSample), let frame = top.latest {
                newFrame = true
                frames += 1
                #expect(frame.width == 320 && frame.height == 240)
                let image = try decoder.decode(frame.data)
                #expect(image.width == 320 && image.height == 240)
            }
            _ = taskState.poll(now: now)
            if let v = taskState.latest {
                if firstFeature == nil { firstFeature = (v.sequence, v.receivedAtNanos, v.captureUnixNanos) }
                lastFeature = (v.sequence, v.receivedAtNanos, v.captureUnixNanos)
                #expect(v.values.count == 6)
            }
            return newFrame
        }
        // The 1 s window starts at the first frame: on a loaded machine (the full suite on two
        // cores) the renderer can take most of a second to start, which is not what this checks.
        let firstFrameDeadline = Self.now() + 1_500_000_000
        while Self.now() < firstFrameDeadline, !(try poll()) { usleep(2000) }
        frames = min(frames, 1)
        let deadline = Self.now() + 1_000_000_000
        while Self.now() < deadline {
            _ = try poll()
            usleep(2000)
        }
        #expect(frames >= 5, "only \(frames) camera frames in 1 s at speed 4")
        // Device time runs 4× wall time: capture stamps advance 4 s per wall second. Features
        // run at 50 Hz sim time, ~200 per wall second when the machine keeps up (a loaded
        // machine skips ticks rather than bursting, so only a floor is checked).
        let first = try #require(firstFeature), last = try #require(lastFeature)
        let wallSeconds = Double(last.at - first.at) / 1e9
        let simSeconds = Double(last.capture - first.capture) / 1e9
        #expect(abs(simSeconds / wallSeconds - 4) < 0.8, "sim/wall = \(simSeconds / wallSeconds) at speed 4")
        let rate = Double(last.sequence - first.sequence) / wallSeconds
        #expect(rate > 30 && rate < 260, "feature rate \(rate)/s at speed 4")
        // From sim second 8 the camera is frozen: no new frames, the feed says so. Wait until the
        // sim clock (the features' capture stamps, from the first feature near sim 0) is past
        // sim second 10, so a sim running slower than 4× under load still has frozen by then.
        let frozenByDeadline = Self.now() + 10_000_000_000
        while Self.now() < frozenByDeadline, let latest = lastFeature, latest.capture - first.capture < 10_000_000_000 {
            _ = try poll()
            usleep(5000)
        }
        var framesWhileFrozen = 0
        let frozenDeadline = Self.now() + 800_000_000
        while Self.now() < frozenDeadline {
            if top.poll(now: Self.now()).contains(.newSample) { framesWhileFrozen += 1 }
            usleep(5000)
        }
        #expect(framesWhileFrozen <= 1)
        #expect(top.isFrozen)
    }

    @Test func badSimArgumentsAndConfigsAreOneLineErrors() throws {
        let pld = BuiltProducts.executable("pld")
        let fault = try PythonPeer.run(pld, ["sim", "--scene", "franka-cube", "--fault", "explode:now"])
        #expect(fault.status == 1)
        #expect(fault.stderr.split(separator: "\n").count == 1)
        #expect(fault.stderr.contains("--fault \"explode:now\""))

        // A Franka config on the YAM scene: the scene cannot serve that arm.
        let cell = try SimCell(config: "franka_sim_cube.yaml")
        defer { cell.remove() }
        let wrongScene = try PythonPeer.run(pld, ["sim", "--scene", "yam-gpu-insertion", "--config", cell.configPath])
        #expect(wrongScene.status == 1)
        #expect(wrongScene.stderr.contains("arm `franka` is franka_deoxys, which scene yam-gpu-insertion does not simulate"))

        // A feature the simulator does not compute.
        let text = try String(contentsOfFile: cell.configPath, encoding: .utf8)
            .replacingOccurrences(of: "cube_pose", with: "cup_pose")
        try text.write(toFile: cell.configPath, atomically: true, encoding: .utf8)
        let unknown = try PythonPeer.run(pld, ["sim", "--scene", "franka-cube", "--config", cell.configPath])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("feature `cup_pose` is not one the simulator publishes"), "\(unknown.stderr)")
    }
}
