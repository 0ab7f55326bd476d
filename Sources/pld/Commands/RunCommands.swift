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
        abstract: "Simulate the arms, cameras and VLA server of a scene with MuJoCo, on the real wire protocols.",
        discussion: """
            franka-cube serves the deoxys NUC protocol (arm and gripper command SUBs, state PUBs \
            on ports 5555-5558) and an openpi policy server; yam-gpu-insertion serves two PLD-arm \
            drivers. Sim time runs --speed times faster than wall time; every rate and timeout \
            scales with it.
            """)

    @Option(help: ArgumentHelp("Scene to simulate: \(SceneName.allCases.map(\.rawValue).joined(separator: " or ")).", valueName: "SCENE"))
    var scene: SceneName

    @Option(help: ArgumentHelp("Sim seconds per wall second.", valueName: "K"))
    var speed: Double = 1

    @Option(name: .customLong("fault"), help: ArgumentHelp(
        "Inject a fault, e.g. drop-state:500ms, delay-commands:50ms, kill-driver:10s, motor-error:left, camera-freeze:2s. Repeatable.",
        valueName: "SPEC"))
    var faults: [String] = []

    func validate() throws {
        guard speed.isFinite, speed > 0, speed <= 1000 else {
            throw ValidationError("--speed must be in (0, 1000], got \(speed)")
        }
    }

    func run() throws {
        throw notAvailableYet("sim", arrivesWith: "issue #3 (arms and `pld sim`)")
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
