import Foundation
import MallocInterposerSwift
import PLDCore
import Policies
import Runtime
import Simulation
import Synchronization
import TestSupport

/// The whole tick pipeline against `pld sim` at a high rate: wake-up jitter, tick compute,
/// deadline misses, per-stage cost, and heap allocations made by the control thread itself.
struct LoopResults: Codable {
    struct Timing: Codable {
        var p50Micros: Double
        var p99Micros: Double
        var p999Micros: Double
        var maxMicros: Double
    }
    var rateHz: Double
    var seconds: Double
    var ticks: UInt64
    var deadlineMisses: UInt64
    var jitter: Timing
    var compute: Timing
    var stageP50Micros: [String: Double]
    var stageP99Micros: [String: Double]
    /// Allocations by the control thread over the measured window (after warm-up), per tick.
    var controlThreadAllocationsPerTick: Double
    var controlThreadAllocations: Int
    var measuredTicks: UInt64
    var episodes: Int
    var successes: Int
    /// Ticks that held the arm for lack of a fresh base action, and the chunks received.
    var policyStalls: UInt64
    var policyChunks: Int
    var policyRoundTripP50Millis: Double
    var stallsNoChunk: Int
    var stallsExhausted: Int
    var stallsTooOld: Int
    var residual: String
    /// Whether every episode was recorded (HDF5 + video) during the measurement.
    var recording: Bool
    /// Whether the in-process learner trained during the measurement, and what it did.
    var learning: Bool = false
    var learnerUpdates: Int = 0
    var learnerVersions: Int = 0
    /// Residual weights versions the episodes ran (swapped in between episodes).
    var episodeResidualVersions: [Int] = []
    var recordedSteps: Int
    var recordedStepsDropped: Int
    var python: PythonLoopResults?
}

struct PythonLoopResults: Codable {
    var rateHz: Double
    var ticks: Int
    var deadlineMisses: Int
    var jitterP50Micros: Double
    var jitterP99Micros: Double
    var computeP50Micros: Double
    var computeP99Micros: Double
    var computeP999Micros: Double
    var residualP50Micros: Double
    var residualP99Micros: Double
}

/// The control thread's id and its allocation count, read by the malloc hook (which runs inside
/// malloc: it may only touch atomics).
let controlThread = Atomic<UInt>(0)
let controlAllocations = Atomic<Int>(0)
let countingControlAllocations = Atomic<Bool>(false)
let probeSink = Atomic<Int>(0)

/// `--trace-allocations N`: the call stacks of the first N control-thread allocations, captured
/// inside the malloc hook with glibc's `backtrace` into preallocated storage.
enum AllocationTrace {
    static let depth = 64
    nonisolated(unsafe) static var frames: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    nonisolated(unsafe) static var depths: UnsafeMutablePointer<Int32>?
    static let capacity = Atomic<Int>(0)
    static let taken = Atomic<Int>(0)
    // glibc's <execinfo.h>, which Swift's Glibc module does not export.
    typealias Backtrace = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int32) -> Int32
    typealias SymbolsFD = @convention(c) (UnsafePointer<UnsafeMutableRawPointer?>?, Int32, Int32) -> Void
    nonisolated(unsafe) static var backtrace: Backtrace?
    nonisolated(unsafe) static var backtraceSymbolsFD: SymbolsFD?

    static func prepare(_ count: Int) {
        guard count > 0,
            let b = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "backtrace"),
            let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "backtrace_symbols_fd")
        else { return }
        backtrace = unsafeBitCast(b, to: Backtrace.self)
        backtraceSymbolsFD = unsafeBitCast(f, to: SymbolsFD.self)
        frames = .allocate(capacity: count * depth)
        depths = .allocate(capacity: count)
        depths!.initialize(repeating: 0, count: count)
        // The first backtrace() loads libgcc_s (which allocates): do it here, not in the hook.
        var warm = [UnsafeMutableRawPointer?](repeating: nil, count: 4)
        _ = backtrace!(&warm, 4)
        capacity.store(count, ordering: .relaxed)
    }

    /// In the hook: may only touch atomics and preallocated memory.
    static func capture() {
        let capacity = capacity.load(ordering: .relaxed)
        guard capacity > 0, let frames, let depths, let backtrace else { return }
        let index = taken.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < capacity else { return }
        depths[index] = backtrace(frames + index * depth, Int32(depth))
    }

    /// Prints the captured stacks to stderr (backtrace_symbols_fd does not allocate).
    static func dump() {
        guard let frames, let depths, let backtraceSymbolsFD else { return }
        let count = min(taken.load(ordering: .relaxed), capacity.load(ordering: .relaxed))
        for i in 0..<count {
            FileHandle.standardError.write(Data("--- control-thread allocation \(i + 1)\n".utf8))
            backtraceSymbolsFD(frames + i * depth, depths[i], 2)
        }
    }
}

func benchLoop(config path: String, rateHz: Double, seconds: Double, warmupSeconds: Double, pldExecutable: String, python: Bool, pin: Bool, probe: Bool = false, traceAllocations: Int = 0, record: Bool = false, learn: Bool = false) throws -> LoopResults {
    // A scratch copy of the cell: the config at the benchmark rate, episodes as long in time as
    // configured, a random 3×256 residual acting from the first step (so its cost is measured).
    // On a machine with spare cores, give the control thread a core of its own (the last one)
    // and keep everything else — the simulator child, the sensor and policy threads — off it,
    // as one would on a robot PC (isolcpus + pinning). Threads and children inherit the mask
    // of the thread that creates them, so pin this one before anything starts.
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let controlCore = pin && cores >= 2 ? cores - 1 : nil
    if let controlCore { pinCallingThread(to: Array(0..<controlCore)) }
    let cell = try BenchCell(config: path, rateHz: rateHz, controlCore: controlCore)
    defer { cell.remove() }
    let sim = try cell.launchSim(pldExecutable: pldExecutable, extra: ["--policy-latency-ms", "5", "--policy-chunk", "64", "--camera-rate", "5"])
    defer {
        sim.terminate()
        sim.waitUntilExit()
    }
    AllocationTrace.prepare(traceAllocations)
    MallocInterposerSwift.initialize()
    MallocInterposerSwift.setAllocationHook { _ in
        if countingControlAllocations.load(ordering: .relaxed)
            && UInt(pthread_self()) == controlThread.load(ordering: .relaxed)
        {
            controlAllocations.add(1, ordering: .relaxed)
            AllocationTrace.capture()
        }
    }
    MallocInterposerSwift.hook()
    var options = RunOptions()
    // Benchmarks measure the pipeline; they bind no operator sockets (several may run at once).
    options.operatorSockets = false
    options.durationSeconds = seconds + warmupSeconds + 120
    options.log = { FileHandle.standardError.write(Data("pld bench loop: \($0)\n".utf8)) }
    // Recording off unless asked: the loop is measured alone (`pld bench record` measures both).
    options.record = record
    options.outDirectory = cell.directory.appendingPathComponent("run").path
    if learn {
        // The learner trains next to the loop: one base-only episode, a short warm start, then
        // SAC at PLD's size (3 × 256) with a new version each episode; the tick does not wait
        // for it (what is measured is the tick while the learner works).
        options.configure = { config in
            config.residual.weightsPath = nil
            config.residual.mode = .sample
            config.learner.enabled = true
            config.learner.warmupEpisodes = 1
            config.learner.warmStartUpdates = 20
            config.learner.waitForUpdates = false
        }
    }
    options.onControlTick = { tick in
        if tick == 0 { controlThread.store(UInt(pthread_self()), ordering: .relaxed) }
        // --probe: one deliberate allocation per 1000 ticks on the control thread, so a test
        // can check that the count sees this thread's allocations.
        if probe && tick % 1000 == 500 {
            let block = malloc(64)  // escapes into the atomic, so the optimizer must keep it
            probeSink.store(Int(bitPattern: block), ordering: .relaxed)
            free(block)
        }
    }
    let run = try RobotRun(configPath: cell.configPath, options: options)
    // Count from the end of warm-up to the end of the run.
    let ticksAtStart = Mutex<UInt64>(0), ticksAtEnd = Mutex<UInt64>(0)
    let counter = Thread {
        // Warm-up counts from the first episode tick (connecting, resetting and settling take
        // a variable time): by its end every path of the tick has run and every ZeroMQ pipe
        // has passed its first 256 messages (libzmq allocates a pipe's second message chunk on
        // the sender's thread once, the first time a new connection's pipe fills one).
        let giveUp = Date().addingTimeInterval(120)
        while run.status.phase != "running" && Date() < giveUp { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: warmupSeconds)
        ticksAtStart.withLock { $0 = run.loop.ticks }
        countingControlAllocations.store(true, ordering: .relaxed)
        // Then measure for exactly `seconds` (a run otherwise finishes its current episode).
        Thread.sleep(forTimeInterval: seconds)
        countingControlAllocations.store(false, ordering: .relaxed)
        ticksAtEnd.withLock { $0 = run.loop.ticks }
        run.requestStop()
    }
    counter.start()
    let summary = run.run { result in
        FileHandle.standardError.write(Data("pld bench loop: episode \(result.index): \(result.outcome.label) after \(result.steps) steps\n".utf8))
    }
    countingControlAllocations.store(false, ordering: .relaxed)
    MallocInterposerSwift.unhook()
    MallocInterposerSwift.setAllocationHook(nil)
    let ticksEnd = ticksAtEnd.withLock { $0 }
    guard ticksEnd > 0 else {
        throw SimulationError("the run ended before the measurement window did (see the episode lines above: an e-stop or a failure ends a run)")
    }
    let measuredTicks = ticksEnd &- ticksAtStart.withLock { $0 }
    AllocationTrace.dump()
    let allocations = controlAllocations.load(ordering: .relaxed)
    func timing(_ h: AtomicHistogram) -> LoopResults.Timing {
        .init(p50Micros: Double(h.percentile(0.5)) / 1e3, p99Micros: Double(h.percentile(0.99)) / 1e3,
              p999Micros: Double(h.percentile(0.999)) / 1e3, maxMicros: Double(h.max) / 1e3)
    }
    var stages: [String: Double] = [:], stagesP50: [String: Double] = [:]
    for stage in StageTimings.Stage.allCases {
        let histogram = run.stageTimings.histograms[stage.rawValue]
        stages[stage.name] = Double(histogram.percentile(0.99)) / 1e3
        stagesP50[stage.name] = Double(histogram.percentile(0.5)) / 1e3
    }
    var pythonResults: PythonLoopResults?
    if python { pythonResults = try runPythonLoop(cell: cell, rateHz: rateHz, seconds: min(seconds, 20)) }
    return LoopResults(
        rateHz: rateHz, seconds: seconds, ticks: summary.ticks, deadlineMisses: summary.deadlineMisses,
        jitter: timing(run.loop.jitter), compute: timing(run.loop.compute), stageP50Micros: stagesP50, stageP99Micros: stages,
        controlThreadAllocationsPerTick: measuredTicks == 0 ? 0 : Double(allocations) / Double(measuredTicks),
        controlThreadAllocations: allocations, measuredTicks: measuredTicks, episodes: summary.episodes.count,
        successes: summary.successes, policyStalls: summary.policyStalls, policyChunks: summary.policyStatus.replies,
        policyRoundTripP50Millis: summary.policyStatus.latency.p50Milliseconds,
        stallsNoChunk: Int(summary.chunkCounters.stallsNoChunk), stallsExhausted: Int(summary.chunkCounters.stallsExhausted),
        stallsTooOld: Int(summary.chunkCounters.stallsTooOld), residual: learn ? "3x256 LayerNorm tanh, trained in-process (SAC), new weights each episode, acting every tick" : "3x256 LayerNorm tanh, random weights, acting every tick",
        recording: record, learning: learn, learnerUpdates: summary.learner?.updates ?? 0,
        learnerVersions: summary.learner?.version ?? 0, episodeResidualVersions: summary.episodes.map(\.residualVersion),
        recordedSteps: summary.recording?.counters.stepsWritten ?? 0,
        recordedStepsDropped: summary.recording?.counters.stepsDropped ?? 0, python: pythonResults)
}

/// The same pipeline written the way a user would in Python (pyzmq + numpy + protobuf), run
/// against the same simulator for comparison (Tools/bench/python_loop.py).
func runPythonLoop(cell: BenchCell, rateHz: Double, seconds: Double) throws -> PythonLoopResults {
    let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "python3", root.appendingPathComponent("Tools/bench/python_loop.py").path, "--config", cell.configPath,
        "--rate-hz", String(rateHz), "--seconds", String(seconds), "--weights", cell.weightsPath,
    ]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw SimulationError("Tools/bench/python_loop.py exited \(process.terminationStatus)") }
    return try JSONDecoder().decode(PythonLoopResults.self, from: data)
}

/// A scratch copy of the repository layout with a benchmark variant of a robot config.
struct BenchCell {
    let directory: URL
    let configPath: String
    let weightsPath: String

    init(config path: String, rateHz: Double, controlCore: Int?) throws {
        // A scratch copy on free ports (so a running `pld sim` or demo does not collide).
        let scratch = try SimCell(configPath: path)
        directory = scratch.directory
        configPath = scratch.configPath
        let robot = try RobotConfig.load(path: path)
        weightsPath = directory.appendingPathComponent("residual.safetensors").path
        let stateDims = try Self.residualStateDimensions(robot)
        var network = ResidualNetwork.zeroInitialized(
            ResidualArchitecture(stateDimensions: stateDims, actionDimensions: robot.actionDimension, hidden: [256, 256, 256]), seed: 7)
        var state: UInt64 = 42
        for i in network.muWeight.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            network.muWeight[i] = (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.01
        }
        try network.write(toFile: weightsPath)
        let scale = rateHz / robot.control.rateHz
        var text = try String(contentsOfFile: configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "  rate_hz: \(Self.number(robot.control.rateHz))\n", with: "  rate_hz: \(Self.number(rateHz))\n")
        text = text.replacingOccurrences(
            of: "  max_episode_steps: \(robot.control.maxEpisodeSteps)", with: "  max_episode_steps: \(Int(Double(robot.control.maxEpisodeSteps) * scale))")
        text = text.replacingOccurrences(of: "\nresidual:\n", with: "\nresidual:\n  weights_path: \(weightsPath)\n")
        text = text.replacingOccurrences(of: "\n  mode: sample", with: "\n  mode: mean")
        text = text.replacingOccurrences(of: "\n  mode: uniform", with: "\n  mode: always")
        // What a user does on a realtime host: FIFO priority and locked memory (the loop falls
        // back with a warning where not permitted).
        text = text.replacingOccurrences(of: "\n    sched_fifo: false", with: "\n    sched_fifo: true")
        text = text.replacingOccurrences(of: "\n    mlockall: false", with: "\n    mlockall: true")
        if let controlCore {
            text = text.replacingOccurrences(of: "\n    cpu_affinity: []", with: "\n    cpu_affinity: [\(controlCore)]")
        }
        // One action per tick at this rate: play whole 64-action chunks and ask for the next
        // one early, so the base stage runs the steady state rather than stalls.
        text = text.replacingOccurrences(of: "\n    execute_steps: 8", with: "\n    execute_steps: 64")
        text = text.replacingOccurrences(of: "\n    refill_threshold_steps: 3", with: "\n    refill_threshold_steps: 48")
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let check = try RobotConfig.load(path: configPath)
        guard check.control.rateHz == rateHz, check.residual.weightsPath != nil, check.handoff.mode == .always else {
            throw SimulationError("could not derive the benchmark config from \(path)")
        }
    }

    static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }

    static func residualStateDimensions(_ robot: RobotConfig) throws -> Int {
        robot.residual.inputs.reduce(0) { $0 + (robot.dimension(of: $1) ?? 0) }
    }

    func launchSim(pldExecutable: String, extra: [String]) throws -> Process {
        let scene = URL(fileURLWithPath: configPath).lastPathComponent.hasPrefix("yam") ? "yam-gpu-insertion" : "franka-cube"
        return try launchSimChild(
            pldExecutable: pldExecutable, arguments: ["--scene", scene, "--config", configPath] + extra,
            logPath: directory.appendingPathComponent("sim.log").path)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Restricts the calling thread (and the threads and processes it creates later) to `cpus`.
func pinCallingThread(to cpus: [Int]) {
    var set = cpu_set_t()
    withUnsafeMutableBytes(of: &set) { bytes in
        for cpu in cpus where cpu >= 0 && cpu < bytes.count * 8 { bytes[cpu / 8] |= UInt8(1 << (cpu % 8)) }
    }
    if withUnsafePointer(to: &set, { benchSchedSetaffinity(0, MemoryLayout<cpu_set_t>.size, $0) }) != 0 {
        FileHandle.standardError.write(Data("pld bench loop: pinning to CPUs \(cpus) failed; running unpinned\n".utf8))
    }
}

@_silgen_name("sched_setaffinity")
private func benchSchedSetaffinity(_ pid: pid_t, _ size: Int, _ mask: UnsafePointer<cpu_set_t>) -> Int32
