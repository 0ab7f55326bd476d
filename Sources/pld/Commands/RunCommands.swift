import Foundation
import ArgumentParser
import Runtime
import Simulation

let softwareVersion = SoftwareVersion.current

extension SceneName: ExpressibleByArgument {}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded default: `pld sim` (Franka cube pick) plus `pld run`, then print a summary.",
        discussion: """
            Starts `pld sim --scene franka-cube` as a child process, runs \
            RobotConfigs/franka_sim_cube.yaml against it for the given number of episodes and \
            prints episodes, success rate, handoff steps and tick timing. Recordings go to --out.
            """)

    @Option(help: ArgumentHelp("Episodes to run.", valueName: "N"))
    var episodes: Int = 10

    @Option(help: ArgumentHelp("Run directory for recordings and the report.", valueName: "DIR"))
    var out: String = "runs/demo"

    func validate() throws {
        guard episodes > 0 else { throw ValidationError("--episodes must be at least 1, got \(episodes)") }
    }

    func run() throws {
        throw notAvailableYet("demo", arrivesWith: "issue #4 (the tick, `pld run` and `pld demo`)")
    }
}

struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate the arms, cameras and feature streams of a scene with MuJoCo, on the real wire protocols.",
        discussion: """
            franka-cube serves the deoxys NUC protocol (the NUC connects to the PC's command \
            PUBs and binds its state PUBs on the config's four ports); yam-gpu-insertion serves \
            one PLD-arm driver per arm. Cameras and features are published on the config's \
            endpoints. Endpoints come from --config (default: the scene's RobotConfigs/*_sim_*.yaml), \
            so `pld run --config` with the same file talks to this process exactly as to real \
            hardware. Sim time runs --speed times faster than wall time; every device rate and \
            timeout scales with it. Stops on SIGINT or SIGTERM.
            """)

    @Option(help: ArgumentHelp("Scene to simulate: \(SceneName.allCases.map(\.rawValue).joined(separator: " or ")).", valueName: "SCENE"))
    var scene: SceneName

    @Option(help: ArgumentHelp("Robot config whose endpoints to serve (default: the scene's sim config).", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Sim seconds per wall second.", valueName: "K"))
    var speed: Double = 1

    @Option(name: .customLong("fault"), help: ArgumentHelp(
        "Inject a fault: \(SimFault.grammar). Durations like 500ms or 2s; @AT is sim seconds from start. Repeatable.",
        valueName: "SPEC"))
    var faults: [String] = []

    @Option(help: ArgumentHelp("Camera frames per sim second (software rendering costs ~25 ms per frame).", valueName: "HZ"))
    var cameraRate: Double = 10

    @Option(help: ArgumentHelp("Inference latency of the scripted base policy server, sim ms.", valueName: "MS"))
    var policyLatencyMs: Double = 100

    @Option(help: ArgumentHelp("Actions per chunk the scripted base policy returns.", valueName: "N"))
    var policyChunk: Int = 10

    @Option(help: ArgumentHelp("Seed of the scene's randomness (object placement).", valueName: "N"))
    var seed: UInt64 = 1

    func validate() throws {
        guard speed.isFinite, speed > 0, speed <= 1000 else {
            throw ValidationError("--speed must be in (0, 1000], got \(speed)")
        }
        guard cameraRate.isFinite, cameraRate > 0, cameraRate <= 120 else {
            throw ValidationError("--camera-rate must be in (0, 120], got \(cameraRate)")
        }
        guard policyLatencyMs.isFinite, policyLatencyMs >= 0, policyLatencyMs <= 60_000 else {
            throw ValidationError("--policy-latency-ms must be in [0, 60000], got \(policyLatencyMs)")
        }
        guard (1...64).contains(policyChunk) else { throw ValidationError("--policy-chunk must be in 1...64, got \(policyChunk)") }
    }

    func run() throws {
        let parsedFaults: [SimFault]
        do {
            parsedFaults = try SimFault.parse(faults)
        } catch {
            printError("pld sim: \(error)")
            throw ExitCode.failure
        }
        let robot = try loadRobotConfigOrExit(config ?? scene.defaultConfigPath)
        var options = SimulationRunner.Options()
        options.speed = speed
        options.faults = parsedFaults
        options.cameraRateHz = cameraRate
        options.policyLatencyS = policyLatencyMs / 1000
        options.policyChunkSteps = policyChunk
        options.seed = seed
        let runner: SimulationRunner
        do {
            runner = try SimulationRunner(scene: scene, config: robot, options: options)
            try runner.start()
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        // Unbuffered: a parent process (a test, `pld demo`) waits for the READY line.
        var banner = "pld sim: \(scene.rawValue) at speed \(speed) serving \(robot.name)\n"
        for line in runner.endpointSummary { banner += "  \(line)\n" }
        FileHandle.standardOutput.write(Data((banner + "READY\n").utf8))
        let signal = waitForTerminationSignal(statusEverySeconds: 10) {
            let world = runner.world
            printError(String(
                format: "pld sim: sim time %.1f s, physics real-time factor %.1f, camera frames %d",
                world.physicsTimeSeconds, world.realTimeFactor, runner.cameras.counters.framesPublished))
        }
        printError("pld sim: \(signal), stopping")
        runner.stop()
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run episodes on the robot a config describes (real arms or `pld sim`).",
        discussion: """
            Loads and validates --config (see RobotConfigs/ for documented examples), connects \
            every link, and runs episodes: base policy alone until the sampled handoff step, base \
            plus residual after it, automatic reset in between. Stop it with `pld stop` or q in \
            the live view; `pld estop` or the space bar latches a controlled stop.
            """)

    @Option(help: ArgumentHelp("Robot config YAML.", valueName: "FILE"))
    var config: String

    @Option(help: ArgumentHelp("Stop after N episodes.", valueName: "N"))
    var episodes: Int?

    @Option(help: ArgumentHelp("Stop after this much time, e.g. 90s, 10m, 1h, 1h30m.", valueName: "DURATION"))
    var duration: DurationArgument?

    @Option(help: ArgumentHelp("Run directory for recordings, index and report.", valueName: "DIR"))
    var out: String?

    @Flag(help: "Plain line output instead of the live view.")
    var noTui = false

    func validate() throws {
        if episodes != nil && duration != nil {
            throw ValidationError("give --episodes or --duration, not both")
        }
        if let episodes, episodes < 1 { throw ValidationError("--episodes must be at least 1, got \(episodes)") }
    }

    func run() throws {
        // Load the config now so a bad file is reported even before the runner exists.
        try loadRobotConfigOrExit(config)
        throw notAvailableYet("run", arrivesWith: "issue #4 (the tick and `pld run`)")
    }
}

struct Learn: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the residual policy from a running `pld run` (SAC with a Cal-QL warm start).")

    @Option(help: ArgumentHelp("Robot config YAML of the run to learn from.", valueName: "FILE"))
    var config: String

    func run() throws {
        throw notAvailableYet("learn", arrivesWith: "issue #8 (the residual RL learner)")
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a run's recorded episodes as a LeRobot dataset for SFT.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case lerobotV21 = "lerobot-v2.1"
        case lerobotV30 = "lerobot-v3.0"
    }

    @Option(name: .customLong("run"), help: ArgumentHelp("Run directory written by `pld run`.", valueName: "DIR"))
    var runDirectory: String

    @Option(help: ArgumentHelp("lerobot-v2.1 (what openpi fine-tunes on) or lerobot-v3.0.", valueName: "FORMAT"))
    var format: Format

    @Option(help: ArgumentHelp("Output dataset directory.", valueName: "DIR"))
    var out: String

    func run() throws {
        throw notAvailableYet("export", arrivesWith: "issue #5 (recording and LeRobot export)")
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a table of a run's episodes: length, success, handoff step, stages, safety events.")

    @Option(name: .customLong("run"), help: ArgumentHelp("Run directory written by `pld run`.", valueName: "DIR"))
    var runDirectory: String

    func run() throws {
        throw notAvailableYet("inspect", arrivesWith: "issue #5 (recording)")
    }
}
