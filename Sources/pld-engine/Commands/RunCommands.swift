import Foundation
import ArgumentParser
import OperatorCLI
import Runtime
import PLDCore
import Simulation

let softwareVersion = SoftwareVersion.current

extension SceneName: ExpressibleByArgument {}
extension CameraPublisher.Source: ExpressibleByArgument {}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole PLD story on the embedded default (a simulated Franka cube pick): probe, learn, collect, export.",
        discussion: """
            Starts `pld sim --scene franka-cube` as a child (its log: DIR/sim.log) and runs \
            RobotConfigs/franka_sim_cube.yaml against it in four phases, each its own run \
            directory under DIR:
              1. probe (DIR/probe): the base policy alone for --warmup-episodes (its success rate \
                 is the base's), then the residual learner (SAC, Cal-QL warm start on the base's \
                 successes, symmetric replay) for --learn-episodes more;
              2. evaluate (DIR/evaluate): the trained expert — base + residual from step 0, mean \
                 action — for --eval-episodes;
              3. collect (DIR/collect): hybrid demonstrations with PLD's handoff (base alone for \
                 T ~ U[0, α·T_max] steps, then base + sampled residual) for --collect-episodes;
              4. export (DIR/lerobot): the successful hybrid episodes as a LeRobot v2.1 dataset.
            Then it prints base versus expert success with 95 % Wilson intervals (also in \
            DIR/summary.txt). The residual here is 3 × 128 (the config's 3 × 256 is PLD's; 128 \
            trains about four times faster on a laptop CPU). With --episodes N it only runs N \
            episodes of the config as it is (no learning): a quick look at the loop. Run from \
            the repository root. SIGINT ends the current phase and the demo.
            """)

    @Option(help: ArgumentHelp("Quick look: run N episodes of the config as it is (no learning, no export).", valueName: "N"))
    var episodes: Int?

    @Option(help: ArgumentHelp("Base-only warm-up episodes (the base's success rate).", valueName: "N"))
    var warmupEpisodes = 30

    @Option(help: ArgumentHelp("Learning episodes after the warm-up.", valueName: "N"))
    var learnEpisodes = 170

    @Option(help: ArgumentHelp("Episodes evaluating the trained expert.", valueName: "N"))
    var evalEpisodes = 40

    @Option(help: ArgumentHelp("Hybrid demonstration episodes to collect and export.", valueName: "N"))
    var collectEpisodes = 30

    @Option(help: ArgumentHelp("Parent directory of the phases' runs, the simulator's log and the summary.", valueName: "DIR"))
    var out: String = "runs/demo"

    @Option(help: ArgumentHelp("Sim seconds per wall second, for both the simulator and the runs (default 5; 1 with --episodes).", valueName: "K"))
    var speed: Double?

    @Option(help: ArgumentHelp("Seed of the simulator's cube placement and of the learner.", valueName: "N"))
    var seed: UInt64 = 1

    func validate() throws {
        if let episodes { guard episodes > 0 else { throw ValidationError("--episodes must be at least 1, got \(episodes)") } }
        for (name, value) in [("--warmup-episodes", warmupEpisodes), ("--learn-episodes", learnEpisodes), ("--eval-episodes", evalEpisodes), ("--collect-episodes", collectEpisodes)] {
            guard value >= 1 else { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        if let speed { guard speed.isFinite, speed > 0, speed <= 20 else { throw ValidationError("--speed must be in (0, 20], got \(speed)") } }
    }

    func run() throws {
        let configPath = SceneName.frankaCube.defaultConfigPath
        guard FileManager.default.fileExists(atPath: configPath) else {
            printError("pld demo: \(configPath) not found; run pld demo from the repository root")
            throw ExitCode.failure
        }
        do {
            if let kept = try Self.setAsidePreviousDemo(in: out) {
                printOut("pld demo: the previous demo's runs are kept in \(kept); this one starts fresh in \(out)")
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            printError("pld demo: cannot prepare \(out): \(error.localizedDescription)")
            throw ExitCode.failure
        }
        // 5, not faster: the policy server's reply must arrive within the chunk's refill window
        // (3 ticks = 30 ms of wall time at 5×). At 10× on two cores that window is 15 ms, and
        // the stalls it causes decide more episodes than the residual does (README, Learning).
        let speed = self.speed ?? (episodes == nil ? 5 : 1)
        let simLog = (out as NSString).appendingPathComponent("sim.log")
        printOut("pld demo: starting pld sim --scene franka-cube at speed \(speed) (log: \(simLog))")
        let sim: SimChild
        do {
            sim = try SimChild.launch(
                arguments: [
                    "sim", "--scene", "franka-cube", "--config", configPath, "--speed", String(speed), "--seed", String(seed),
                    "--parent-pid", String(getpid()),
                ],
                logPath: simLog, readyTimeoutSeconds: 60)
        } catch {
            printError("pld demo: \(error)")
            throw ExitCode.failure
        }
        defer { sim.stop() }
        if let episodes {
            try quickLook(configPath: configPath, episodes: episodes, speed: speed)
        } else {
            try wholeStory(configPath: configPath, speed: speed)
        }
    }

    /// `--episodes N`: N episodes of the config as it is, in DIR.
    private func quickLook(configPath: String, episodes: Int, speed: Double) throws {
        printOut("pld demo: running \(episodes) episodes of \(configPath)")
        var options = RunOptions()
        options.episodes = episodes
        options.speed = speed
        options.outDirectory = out
        options.log = { printError("pld demo: \($0)") }
        let summary = try runEpisodes(configPath: configPath, options: options) { result, robot in
            printOut(episodeLine(result, maxSteps: robot.control.maxEpisodeSteps, rateHz: robot.control.rateHz))
        }
        let lines = summaryLines(summary)
        for line in lines { printOut(line) }
        let summaryPath = (out as NSString).appendingPathComponent("summary.txt")
        try? (lines.joined(separator: "\n") + "\n").write(toFile: summaryPath, atomically: true, encoding: .utf8)
        printOut("pld demo: summary written to \(summaryPath); inspect the episodes with `pld inspect --run \(out)`, export them with `pld export --run \(out) --format lerobot-v2.1 --out DIR`")
        if let failure = summary.recording?.failure {
            printError("pld demo: \(failure)")
            throw ExitCode.failure
        }
    }

    /// A demo always starts fresh: its phases' runs refuse to continue a recording made with
    /// another config (say, after an update), and appending to an old demo would mix its
    /// episodes into this one's numbers. Nothing is deleted: an earlier demo in `directory` is
    /// renamed to `directory-YYYYMMDD-HHMMSS`, which is returned (nil when there was none).
    static func setAsidePreviousDemo(in directory: String) throws -> String? {
        let files = FileManager.default
        let phases = ["probe", "evaluate", "collect", "lerobot", "summary.txt", "sim.log", "index.jsonl"]
        guard phases.contains(where: { files.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }) else { return nil }
        let stamp = DateFormatter()
        stamp.locale = Locale(identifier: "en_US_POSIX")
        stamp.dateFormat = "yyyyMMdd-HHmmss"
        var kept = directory + "-" + stamp.string(from: Date())
        var suffix = 1
        while files.fileExists(atPath: kept) {
            suffix += 1
            kept = directory + "-" + stamp.string(from: Date()) + "-\(suffix)"
        }
        try files.moveItem(atPath: directory, toPath: kept)
        return kept
    }

    /// The demo's residual, the same in every phase (the weights carry the network, not ξ):
    /// 3 × 128, ξ = 0.4 on the sideways dimension (y) only. The scripted base's error is
    /// sideways (its grasp point is biased by 1.27 · y·|y|), and measured on franka-cube (README,
    /// Learning): ξ = 0.5 on all seven dimensions let exploration turn the wrist and spoil grasps
    /// (success fell from the base's ~60 % to 5–30 %); ξ 0.4 on x and y let the expert drift
    /// forward and back over cubes the base would have picked (80 % and 88 %); on y alone the
    /// expert picked 88–92 % of 50 and 84–89 % of 200 fresh placements (3 seeds, 600 episodes).
    static func demoResidual(_ config: inout RobotConfig) {
        config.residual.hiddenUnits = 128
        config.residual.xi = 0.4
        config.residual.dimensionScale = [0, 1, 0, 0, 0, 0, 0]
    }

    /// The demo's scale of the learner (the config keeps PLD's numbers); see `demoResidual`.
    static func demoLearner(_ config: inout RobotConfig, warmup: Int, seed: UInt64) {
        demoResidual(&config)
        config.residual.mode = .sample
        config.learner.enabled = true
        config.learner.warmupEpisodes = warmup
        config.learner.warmStartUpdates = 500
        config.learner.cqlWeight = 1
        config.learner.cqlActionSamples = 4
        config.learner.initialTemperature = 0.01
        config.learner.initialLogStd = -1.0
        // n-step returns: the success at an episode's end reaches the handoff 5× sooner.
        config.learner.nStep = 5
        config.learner.seed = seed
        config.residual.seed = seed
        config.handoff.seed = seed
    }

    private func wholeStory(configPath: String, speed: Double) throws {
        let started = Date()
        func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }
        func phase(_ name: String, episodes: Int, configure: @escaping @Sendable (inout RobotConfig) -> Void) throws -> RunSummary {
            var options = RunOptions()
            options.episodes = episodes
            options.speed = speed
            options.outDirectory = path(name)
            options.log = { printError("pld demo: \(name): \($0)") }
            options.configure = configure
            let summary = try runEpisodes(configPath: configPath, options: options) { result, robot in
                printOut("\(name): " + episodeLine(result, maxSteps: robot.control.maxEpisodeSteps, rateHz: robot.control.rateHz))
            }
            writeRunReport(summary, configName: "franka_sim_cube (\(name))", directory: path(name)) { printError("pld demo: \($0)") }
            if let failure = summary.recording?.failure {
                printError("pld demo: \(name): \(failure)")
                throw ExitCode.failure
            }
            return summary
        }
        let warmup = warmupEpisodes, seed = self.seed
        printOut("pld demo: 1/4 probe — \(warmup) base-only episodes, then \(learnEpisodes) episodes learning the residual (SAC, Cal-QL warm start) → \(path("probe"))")
        let probe = try phase("probe", episodes: warmup + learnEpisodes) { Demo.demoLearner(&$0, warmup: warmup, seed: seed) }
        let weights = path("probe/learner/residual_latest.safetensors")
        guard FileManager.default.fileExists(atPath: weights) else {
            printError("pld demo: the learner wrote no weights (\(weights)); see \(path("probe/report.md"))")
            throw ExitCode.failure
        }
        let absoluteWeights = URL(fileURLWithPath: weights).standardizedFileURL.path
        printOut("pld demo: 2/4 evaluate — the expert (base + residual from step 0, mean action) for \(evalEpisodes) episodes → \(path("evaluate"))")
        let evaluation = try phase("evaluate", episodes: evalEpisodes) { config in
            Demo.demoResidual(&config)
            config.residual.weightsPath = absoluteWeights
            config.residual.mode = .mean
            config.handoff.mode = .always
        }
        printOut("pld demo: 3/4 collect — \(collectEpisodes) hybrid episodes (handoff T ~ U[0, α·T_max], sampled residual) → \(path("collect"))")
        let collection = try phase("collect", episodes: collectEpisodes) { config in
            Demo.demoResidual(&config)
            config.residual.weightsPath = absoluteWeights
            config.residual.mode = .sample
            config.handoff.seed = seed &+ 1
        }
        printOut("pld demo: 4/4 export — the successful hybrid episodes as LeRobot v2.1 → \(path("lerobot"))")
        let exported = exportCollected(from: path("collect"), to: path("lerobot"))

        let base = probe.episodes.filter(\.learnerWarmup)
        let learned = probe.episodes.filter { !$0.learnerWarmup }
        func rate(_ episodes: [EpisodeResult]) -> String {
            let k = episodes.filter { $0.outcome == .success }.count, n = episodes.count
            guard n > 0 else { return "no episodes" }
            let (lo, hi) = wilsonInterval(successes: k, trials: n)
            return String(format: "%d/%d = %.0f %% (95 %% Wilson interval %.0f–%.0f %%)", k, n, 100 * Double(k) / Double(n), 100 * lo, 100 * hi)
        }
        var lines = [
            "base alone (probe warm-up):           " + rate(base),
            "learning, last 30 episodes:           " + rate(Array(learned.suffix(30))),
            "expert, base + residual (evaluation): " + rate(evaluation.episodes),
            "hybrid demonstrations collected:      " + rate(collection.episodes),
        ]
        // A stall holds the arm until a base chunk arrives; the chunk then skips the ticks it
        // missed, so a stall in the descent makes the scripted base close above the cube. At
        // --speed S a tick lasts 1/S of its real time but the server's reply takes the same
        // wall time, so a busy machine stalls more and every rate above falls (README, Learning).
        func stalls(_ episodes: [EpisodeResult]) -> String {
            episodes.isEmpty ? "–" : String(format: "%.1f", Double(episodes.reduce(0) { $0 + $1.policyStalls }) / Double(episodes.count))
        }
        lines.append("policy stalls per episode (ticks held waiting for a base chunk): base \(stalls(base)), expert \(stalls(evaluation.episodes)), collection \(stalls(collection.episodes)); more than ~3 (the first chunk) lowers every rate above: try a lower --speed")
        if let learner = probe.learner {
            lines.append("learner: \(learner.warmStartUpdates) warm-start and \(learner.updates) SAC updates, \(learner.version) weights versions, \(learner.offlineTransitions) offline / \(learner.onlineTransitions) online transitions")
        }
        lines.append(exported ? "dataset: \(path("lerobot")) (LeRobot v2.1, successful hybrid episodes; each frame says whether the residual acted)" : "dataset: export failed (see above); the episodes are in \(path("collect"))")
        lines.append(String(format: "wall time: %.1f min at speed %g; reports: %@/{probe,evaluate,collect}/report.md", Date().timeIntervalSince(started) / 60, speed, out))
        for line in lines { printOut(line) }
        let summaryPath = path("summary.txt")
        try? (lines.joined(separator: "\n") + "\n").write(toFile: summaryPath, atomically: true, encoding: .utf8)
        printOut("pld demo: summary written to \(summaryPath)")
    }

    /// Runs the LeRobot exporter on the collected run (successful episodes only).
    private func exportCollected(from run: String, to dataset: String) -> Bool {
        guard let script = locateTool("Tools/export/lerobot_export.py") else {
            printError("pld demo: Tools/export/lerobot_export.py not found; skipping the export")
            return false
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--run", run, "--format", "lerobot-v2.1", "--out", dataset, "--successful-only", "--overwrite"]
        do {
            try process.run()
        } catch {
            printError("pld demo: cannot run the exporter: \(error.localizedDescription)")
            return false
        }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// 95 % Wilson score interval of a success rate (what the run report uses too).
func wilsonInterval(successes k: Int, trials n: Int, z: Double = 1.959964) -> (Double, Double) {
    guard n > 0 else { return (0, 1) }
    let p = Double(k) / Double(n), nn = Double(n)
    let denominator = 1 + z * z / nn
    let centre = (p + z * z / (2 * nn)) / denominator
    let half = z * ((p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()) / denominator
    return (max(0, centre - half), min(1, centre + half))
}

/// `pld sim` as a child process of this executable: started, awaited until it prints READY,
/// stopped with SIGTERM (then SIGKILL after 5 s).
struct SimChild {
    let process: Process

    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    static func launch(arguments: [String], logPath: String, readyTimeoutSeconds: Double) throws -> SimChild {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)  // the open below reports failure
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw LaunchError(description: "cannot write the simulator log \(logPath)")
        }
        process.standardError = log
        do {
            try process.run()
        } catch {
            throw LaunchError(description: "cannot start \(executable) sim: \(error.localizedDescription)")
        }
        // Wait for READY on a reader thread so a silent child cannot hang us past the timeout.
        let ready = DispatchSemaphore(value: 0)
        let reader = output.fileHandleForReading
        Thread.detachNewThread {
            var banner = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                banner.append(chunk)
                if String(decoding: banner, as: UTF8.self).contains("READY") {
                    ready.signal()
                    // Keep draining so the child never blocks on a full pipe.
                    while !reader.availableData.isEmpty {}
                    return
                }
            }
        }
        let child = SimChild(process: process)
        let deadline = Date().addingTimeInterval(readyTimeoutSeconds)
        var isReady = false
        while !isReady && process.isRunning && Date() < deadline {
            isReady = ready.wait(timeout: .now() + 0.2) == .success
        }
        if !isReady {
            child.stop()
            let tail = (try? String(contentsOfFile: logPath, encoding: .utf8))?
                .split(separator: "\n").last.map(String.init) ?? ""
            throw LaunchError(description: "pld sim did not become ready" + (tail.isEmpty ? "" : ": \(tail)") + " (log: \(logPath))")
        }
        return child
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
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
            timeout scales with it. Stops on SIGINT or SIGTERM. SIGUSR1 kills every arm driver \
            at once, as the kill-driver fault does (each restarts after its delay): a fault at a \
            moment you pick, e.g. `pkill -USR1 -f 'pld sim'`.
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

    @Option(help: ArgumentHelp("Camera frames: render (MuJoCo, software GL) or pattern (a cheap moving test pattern, for benchmarks).", valueName: "SOURCE"))
    var cameraSource: CameraPublisher.Source = .render

    @Option(help: ArgumentHelp("Inference latency of the scripted base policy server, sim ms.", valueName: "MS"))
    var policyLatencyMs: Double = 100

    @Option(help: ArgumentHelp("Actions per chunk the scripted base policy returns.", valueName: "N"))
    var policyChunk: Int = 10

    @Option(help: ArgumentHelp("Seed of the scene's randomness (object placement).", valueName: "N"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Stop when the process with this id exits (used by `pld demo` and `pld bench`, so a killed parent leaves no simulator behind).", valueName: "PID"))
    var parentPid: Int32?

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
        options.cameraSource = cameraSource
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
        if let parentPid { exitWhenProcessEnds(parentPid) }
        // SIGUSR1: a driver fault at a moment the caller picks, rather than at a sim time fixed
        // before the run started.
        let killOnDemand = SignalWatch([SIGUSR1]) {
            printError("pld sim: SIGUSR1: killing every arm driver now (each restarts as after kill-driver)")
            for nuc in runner.frankas { nuc.kill() }
            for driver in runner.pldArms { driver.kill() }
        }
        defer { killOnDemand.cancel() }
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
            plus residual after it, automatic reset in between. One line per episode. SIGINT or \
            SIGTERM ends the run after the current tick, holding every arm.
            """)

    @Option(help: ArgumentHelp("Robot config YAML.", valueName: "FILE"))
    var config: String

    @Option(help: ArgumentHelp("Stop after N episodes.", valueName: "N"))
    var episodes: Int?

    @Option(help: ArgumentHelp("Stop starting episodes after this much time, e.g. 90s, 10m, 1h, 1h30m.", valueName: "DURATION"))
    var duration: DurationArgument?

    @Option(help: ArgumentHelp("Run directory for recordings, index and report.", valueName: "DIR"))
    var out: String?

    @Option(help: ArgumentHelp("Only against `pld sim --speed K`: tick K times faster, every timeout K times shorter.", valueName: "K"))
    var speed: Double = 1

    @Flag(help: "Plain line output instead of the live view.")
    var noTui = false

    @Flag(help: "Do not record episodes (overrides recording.enabled).")
    var noRecord = false

    @Flag(help: "Do not write the run report (run_summary.json, report.md, plots) to the run directory.")
    var noReport = false

    @Flag(help: "Train the residual while running (learner.enabled: true; PLD's Probe: SAC with a Cal-QL warm start). New weights are swapped in between episodes and written to RUN/learner/.")
    var learn = false

    // Tests only: SIGUSR2 stalls the control thread this long (see RunOptions).
    @Option(name: .customLong("test-stall-on-sigusr2"), help: .hidden)
    var testStallMilliseconds: Int?

    func validate() throws {
        if episodes != nil && duration != nil {
            throw ValidationError("give --episodes or --duration, not both")
        }
        if let episodes, episodes < 1 { throw ValidationError("--episodes must be at least 1, got \(episodes)") }
        guard speed.isFinite, speed > 0, speed <= 1000 else { throw ValidationError("--speed must be in (0, 1000], got \(speed)") }
    }

    func run() throws {
        var options = RunOptions()
        options.episodes = episodes
        options.durationSeconds = duration.map { $0.seconds / speed }
        options.speed = speed
        options.outDirectory = out
        options.record = !noRecord
        options.testStallMillisecondsOnSIGUSR2 = testStallMilliseconds
        if learn {
            options.configure = { config in
                config.learner.enabled = true
                // Exploration: the learner's actor is sampled while it collects.
                config.residual.mode = .sample
            }
        }
        // The live view when this is a terminal (and not --no-tui); plain lines otherwise.
        let liveView = !noTui && LiveView.terminalAttached ? LiveView() : nil
        if let liveView {
            options.log = { liveView.log($0) }
        } else {
            options.log = { printError("pld run: \($0)") }
        }
        var configName = ""
        let summary = try runEpisodes(configPath: config, options: options, liveView: liveView) { result, robot in
            configName = robot.name
            if liveView == nil {
                printOut(episodeLine(result, maxSteps: robot.control.maxEpisodeSteps, rateHz: robot.control.rateHz, stageNames: robot.stages.map(\.name)))
            }
        }
        if let liveView { liveView.printLog() }
        for line in summaryLines(summary) { printOut(line) }
        if !noReport, let directory = summary.recording?.directory ?? out {
            writeRunReport(summary, configName: configName.isEmpty ? (config as NSString).lastPathComponent : configName, directory: directory) {
                printError("pld run: \($0)")
            }
        }
        if let failure = summary.recording?.failure {
            printError("pld run: \(failure)")
            throw ExitCode.failure
        }
    }
}

/// Builds a run, stops it on SIGINT/SIGTERM, and returns its summary; one-line errors exit 1.
func runEpisodes(
    configPath: String, options: RunOptions, liveView: LiveView? = nil, onEpisode: (EpisodeResult, RobotConfig) -> Void
) throws -> RunSummary {
    let run: RobotRun
    do {
        run = try RobotRun(configPath: configPath, options: options)
    } catch {
        printError("pld run: \(error)")
        throw ExitCode.failure
    }
    let stopper = SignalWatch { run.requestStop() }
    defer { stopper.cancel() }
    liveView?.start(run)
    defer { liveView?.stop() }
    return run.run { onEpisode($0, run.config) }
}

/// - Parameter stageNames: the config's stages; empty for a single-stage task.
func episodeLine(_ result: EpisodeResult, maxSteps: Int, rateHz: Double, stageNames: [String] = []) -> String {
    let seconds = Double(result.steps) / rateHz
    let handoff = result.handoffStep.map { "handoff at step \($0)" } ?? "no handoff"
    var line = String(
        format: "episode %3d: %@ after %d/%d steps (%.1f s sim), %@, %d policy stalls, %d safety events",
        result.index + 1, result.outcome.label(stageNames: stageNames), result.steps, maxSteps, seconds, handoff,
        result.policyStalls, result.safetyEvents)
    if !stageNames.isEmpty { line += "; stages: " + stageProgress(result, stageNames: stageNames) }
    return line
}

/// `insert_slot1 ok (2 tries), move_to_slot3 ok, insert_slot3 timeout`: each stage entered.
func stageProgress(_ result: EpisodeResult, stageNames: [String]) -> String {
    var parts: [String] = []
    for (k, name) in stageNames.enumerated() where k < 16 {
        let s = result.stageStats[k]
        guard s.attempts > 0 else { continue }
        let verdict = s.successes > 0 ? "ok" : s.failures > 0 ? "failed" : s.timeouts > 0 ? "timeout" : "running"
        parts.append(name + " " + verdict + (s.attempts > 1 ? " (\(s.attempts) tries)" : ""))
    }
    return parts.isEmpty ? "none entered" : parts.joined(separator: ", ")
}

func summaryLines(_ summary: RunSummary) -> [String] {
    let n = summary.episodes.count
    var lines = [
        String(format: "episodes: %d, successes: %d (%.0f %%)", n, summary.successes, 100 * summary.successRate),
        "handoff steps: " + (summary.episodes.map { $0.handoffStep.map(String.init) ?? "none" }.joined(separator: ", ")),
        String(
            format: "tick: %llu ticks, wake-up jitter p50 %.0f µs p99 %.0f µs max %.0f µs, compute p50 %.0f µs p99 %.0f µs, %llu deadline misses",
            summary.ticks, Double(summary.tickJitterNanos.p50) / 1e3, Double(summary.tickJitterNanos.p99) / 1e3,
            Double(summary.tickJitterNanos.max) / 1e3, Double(summary.tickComputeNanos.p50) / 1e3,
            Double(summary.tickComputeNanos.p99) / 1e3, summary.deadlineMisses),
        "policy: \(summary.policyStatus.replies) chunks, \(summary.policyStalls) stall ticks, safety events: \(summary.safetyEvents), e-stops: \(summary.estops)",
    ]
    let p = summary.policyStatus, c = summary.chunkCounters
    lines.append(String(
        format: "policy detail: requests %d received / %d sent, round trip p50 %.0f ms p95 %.0f ms, errors %@; stalls: no chunk %d, exhausted %d, too old %d; late chunks %d, late actions dropped %d",
        p.requestsReceived, p.requestsSent, p.latency.p50Milliseconds, p.latency.p95Milliseconds,
        p.errors.isEmpty ? "none" : p.errors.map { "\($0.key.rawValue) \($0.value)" }.sorted().joined(separator: ", "),
        c.stallsNoChunk, c.stallsExhausted, c.stallsTooOld, c.chunksLate, c.actionsDroppedLate))
    if summary.stageNames.count > 1 || summary.stageNames.first != "task" {
        for (k, name) in summary.stageNames.enumerated() where k < 16 {
            let stats = summary.episodes.map { $0.stageStats[k] }
            let attempts = stats.reduce(0) { $0 + Int($1.attempts) }, successes = stats.reduce(0) { $0 + Int($1.successes) }
            let reached = stats.filter { $0.attempts > 0 }.count
            lines.append(String(
                format: "stage %@: reached in %d episodes, %d successes in %d attempts (%.0f %%), %d timeouts, %d failures",
                name, reached, successes, attempts, attempts == 0 ? 0 : 100 * Double(successes) / Double(attempts),
                stats.reduce(0) { $0 + Int($1.timeouts) }, stats.reduce(0) { $0 + Int($1.failures) }))
        }
    }
    lines.append("tick stages p99: " + summary.stageComputeP99Nanos.map { String(format: "%@ %.0f µs", $0.stage, Double($0.p99) / 1e3) }.joined(separator: ", "))
    if let recording = summary.recording {
        let c = recording.counters
        let last = recording.firstEpisodeIndex + c.episodesClosed - 1
        let range = c.episodesClosed == 0 ? "none" : c.episodesClosed == 1 ? "episode \(last)" : "episodes \(recording.firstEpisodeIndex)–\(last)"
        lines.append(String(
            format: "recording: %@: %d episodes closed (%@), %d steps, %.1f MiB, %d steps dropped, %d frames missing",
            recording.directory, c.episodesClosed, range, c.stepsWritten, Double(c.bytesWritten) / 1_048_576, c.stepsDropped, c.framesMissing))
        if let failure = recording.failure { lines.append("recording FAILED: \(failure)") }
    } else {
        lines.append("recording: off")
    }
    if summary.residualEnabled && summary.residualZeroInitialized {
        lines.append("residual: zero-initialised (no weights: train them with `pld learn` or `pld demo`), so base + residual = base exactly")
    } else if !summary.residualEnabled {
        lines.append("residual: disabled in the config (base policy only)")
    }
    return lines
}

struct Learn: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run episodes and train the residual on them (`pld run --learn`).",
        discussion: """
            The learner runs on its own thread inside the run: base-only warm-up episodes             (learner.warmup_episodes), a Cal-QL warm start on their successes, then SAC on the             hybrid episodes, half the batch from the offline and half from the online buffer.             New weights are swapped in between episodes (never during one) and written to             RUN/learner/residual_latest.safetensors; every episode records the weights version it             ran. Point residual.weights_path at a written file to run the trained expert.
            """)

    @OptionGroup var runOptions: Run

    func validate() throws { try runOptions.validate() }

    func run() throws {
        var command = runOptions
        command.learn = true
        try command.run()
    }
}
