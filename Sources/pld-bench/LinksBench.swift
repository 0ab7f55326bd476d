import Drivers
import Foundation
import PLDCore
import Simulation
import ZeroMQ

/// Links through the simulator: round trips over tcp loopback between this process (the
/// runtime's side, `PLDArmLink`) and a `pld sim` child, and the physics real-time factor of each
/// scene.
struct LinksResults: Codable {
    struct RoundTrip: Codable {
        /// Command sent on receipt of a state → first state whose `last_command_sequence`
        /// acknowledges it, µs. Includes waiting for the driver's next state publish.
        var stateToCommandToStateMicros: Percentiles
        /// Interval between consecutive states at the runtime, µs (the driver publishes at 100 Hz).
        var stateIntervalMicros: Percentiles
        var commands: Int
    }
    struct Scene: Codable {
        var scene: String
        /// Sim seconds per wall second the physics thread achieved while running flat out with
        /// every device, camera and feature stream of the scene's sim config alive.
        var realTimeFactor: Double
        var physicsOnlyRealTimeFactor: Double
        var wallSeconds: Double
    }
    var pldArm: RoundTrip
    var scenes: [Scene]
}

func benchLinks(config path: String, seconds: Double, pldExecutable: String) throws -> LinksResults {
    let robot = try RobotConfig.load(path: path)
    let arm = robot.arms[0]
    // pld sim as a child process, serving the config's endpoints.
    let child = try launchSimChild(
        pldExecutable: pldExecutable, arguments: ["--scene", "yam-gpu-insertion", "--config", path, "--camera-rate", "1"], logPath: nil)
    defer {
        child.terminate()
        child.waitUntilExit()
    }
    let context = try Context()
    let link = try PLDArmLink(arm: arm, context: context)
    try link.open()
    _ = try link.connect()
    let clock = { DispatchTime.now().uptimeNanoseconds }
    var target = InlineArray<8, Double>(repeating: 0)
    var pending: [UInt64: UInt64] = [:]  // command sequence → send time
    var roundTrips: [Double] = [], intervals: [Double] = []
    var lastStateAt: UInt64 = 0
    var commands = 0
    let deadline = clock() + UInt64(seconds * 1e9)
    while clock() < deadline {
        let now = clock()
        let events = link.poll(now: now)
        if events.contains(.newState) {
            if lastStateAt != 0 { intervals.append(Double(now - lastStateAt) / 1000) }
            lastStateAt = now
            let acknowledged = link.state.lastCommandSequence
            for (sequence, sent) in pending where sequence <= acknowledged {
                roundTrips.append(Double(now - sent) / 1000)
                pending[sequence] = nil
            }
            if target[0] == 0 { for i in 0..<6 { target[i] = link.state.q[i] } }
            if link.sendJointTarget(target, gripper: 0, now: now).isAccepted {
                commands += 1
                pending[link.lastCommandSequence] = now
            }
        }
        usleep(100)
    }
    link.close()
    guard !roundTrips.isEmpty, !intervals.isEmpty else { throw SimulationError("no round trips measured") }

    var scenes: [LinksResults.Scene] = []
    for (scene, configPath) in [(SceneName.frankaCube, SceneName.frankaCube.defaultConfigPath), (.yamGPUInsertion, path)] {
        // Flat out (speed 1000): physics never waits for the clock, so the achieved rate is the
        // machine's. Sockets bind the config's ports, so this runs after the child has gone.
        child.terminate()
        child.waitUntilExit()
        var options = SimulationRunner.Options()
        options.speed = 1000
        options.log = .silent
        options.cameraRateHz = 10
        let runner = try SimulationRunner(scene: scene, config: try RobotConfig.load(path: configPath), options: options)
        try runner.start()
        let start = DispatchTime.now().uptimeNanoseconds
        let simStart = runner.world.physicsTimeSeconds
        usleep(UInt32(seconds * 1e6))
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let simTime = runner.world.physicsTimeSeconds - simStart
        let physicsOnly = runner.world.realTimeFactor
        runner.stop()
        scenes.append(.init(scene: scene.rawValue, realTimeFactor: simTime / wall, physicsOnlyRealTimeFactor: physicsOnly, wallSeconds: wall))
    }
    return LinksResults(
        pldArm: .init(stateToCommandToStateMicros: Percentiles(roundTrips), stateIntervalMicros: Percentiles(intervals), commands: commands),
        scenes: scenes)
}
