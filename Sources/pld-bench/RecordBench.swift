import Foundation
import PLDCore
import Recording
import Runtime
import TestSupport

/// Recording under load: the franka-cube cell retimed to `rateHz` with `cameras` cameras of
/// `size`² px at the tick rate, run twice against one `pld sim` for `simSeconds` of sim time —
/// once without recording (the baseline) and once recording everything — then exported to
/// both LeRobot formats.
struct RecordResults: Codable {
    struct Run: Codable {
        var wallSeconds: Double
        var ticks: UInt64
        var deadlineMisses: UInt64
        var tickComputeP50Micros: Double
        var tickComputeP99Micros: Double
        var jitterP50Micros: Double
        var jitterP99Micros: Double
        var episodes: Int
        var policyStalls: UInt64
    }

    struct Recording: Codable {
        var episodesClosed: Int
        var stepsWritten: Int
        var stepsDropped: Int
        var framesMissing: Int
        var megabytes: Double
        var failure: String?
        var queueHighWater: Int
    }

    struct Export: Codable {
        var format: String
        var frames: Int
        var seconds: Double
        var framesPerSecond: Double
    }

    var rateHz: Double
    var cameras: Int
    var imageSize: Int
    var cameraSource: String
    var codec: String
    var simSeconds: Double
    var speed: Double
    /// Control thread SCHED_FIFO on the last core, everything else on the others.
    var pinned: Bool
    var baseline: Run
    var recording: Run
    var recorded: Recording
    /// recording.tickComputeP99 / baseline.tickComputeP99 − 1.
    var tickComputeP99Increase: Double
    var jitterP99Increase: Double
    var exports: [Export]
}

func benchRecord(
    config path: String, rateHz: Double, cameras: Int, size: Int, simSeconds: Double, speed: Double, codec: String,
    export: Bool, pin: Bool, pldExecutable: String
) throws -> RecordResults {
    // As on a robot PC (and as `pld bench loop` does): the control thread SCHED_FIFO on the
    // last core, everything else — simulator, sensor and policy threads, the recorder and its
    // encoder processes, which inherit this thread's mask — on the others.
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let controlCore = pin && cores >= 2 ? cores - 1 : nil
    if let controlCore { pinCallingThread(to: Array(0..<controlCore)) }
    let cell = try RecordBenchCell(config: path, rateHz: rateHz, cameras: cameras, size: size, codec: codec, controlCore: controlCore)
    defer { cell.remove() }
    let log: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data("pld bench record: \(line)\n".utf8)) }
    let sim = try launchSimChild(
        pldExecutable: pldExecutable,
        arguments: ["--scene", "franka-cube", "--config", cell.configPath, "--speed", String(speed), "--camera-source", "pattern",
                    "--camera-rate", String(rateHz), "--policy-latency-ms", "50", "--policy-chunk", "20"],
        logPath: cell.directory.appendingPathComponent("sim.log").path)
    defer {
        sim.terminate()
        sim.waitUntilExit()
    }

    func measure(record: Bool) throws -> (RecordResults.Run, RunSummary) {
        var options = RunOptions()
        // Benchmarks measure the pipeline; they bind no operator sockets (several may run at once).
        options.operatorSockets = false
        options.durationSeconds = simSeconds / speed
        options.speed = speed
        options.record = record
        options.outDirectory = cell.runDirectory
        options.log = log
        log(record ? "recording run: \(simSeconds) sim s" : "baseline run (no recording): \(simSeconds) sim s")
        let started = Date()
        let run = try RobotRun(configPath: cell.configPath, options: options)
        let summary = run.run { result in
            log("episode \(result.index): \(result.outcome.label), \(result.steps) steps, \(result.droppedSteps) dropped")
        }
        let wall = Date().timeIntervalSince(started)
        return (RecordResults.Run(
            wallSeconds: wall, ticks: summary.ticks, deadlineMisses: summary.deadlineMisses,
            tickComputeP50Micros: Double(summary.tickComputeNanos.p50) / 1e3,
            tickComputeP99Micros: Double(summary.tickComputeNanos.p99) / 1e3,
            jitterP50Micros: Double(summary.tickJitterNanos.p50) / 1e3, jitterP99Micros: Double(summary.tickJitterNanos.p99) / 1e3,
            episodes: summary.episodes.count, policyStalls: summary.policyStalls), summary)
    }

    let (baseline, _) = try measure(record: false)
    let (recording, summary) = try measure(record: true)
    let counters = summary.recording?.counters ?? .init()
    var exports: [RecordResults.Export] = []
    if export {
        for format in ["lerobot-v2.1", "lerobot-v3.0"] {
            log("exporting \(format)")
            exports.append(try runExport(run: cell.runDirectory, format: format, out: cell.directory.appendingPathComponent(format).path))
        }
    }
    return RecordResults(
        rateHz: rateHz, cameras: cameras, imageSize: size, cameraSource: "pattern (JPEG, decoded by the runtime)", codec: codec,
        simSeconds: simSeconds, speed: speed, pinned: controlCore != nil, baseline: baseline, recording: recording,
        recorded: .init(
            episodesClosed: counters.episodesClosed, stepsWritten: counters.stepsWritten, stepsDropped: counters.stepsDropped,
            framesMissing: counters.framesMissing, megabytes: Double(counters.bytesWritten) / 1_048_576,
            failure: summary.recording?.failure, queueHighWater: counters.queueHighWater),
        tickComputeP99Increase: recording.tickComputeP99Micros / max(baseline.tickComputeP99Micros, 1e-9) - 1,
        jitterP99Increase: recording.jitterP99Micros / max(baseline.jitterP99Micros, 1e-9) - 1,
        exports: exports)
}

/// Runs Tools/export/lerobot_export.py and reads its closing JSON line.
func runExport(run: String, format: String, out: String) throws -> RecordResults.Export {
    let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Tools/export/lerobot_export.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, "--run", run, "--format", format, "--out", out, "--overwrite"]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    else { throw SimulationErrorText("export to \(format) failed (exit \(process.terminationStatus))") }
    return .init(
        format: format, frames: object["frames"] as? Int ?? 0, seconds: object["seconds"] as? Double ?? 0,
        framesPerSecond: object["frames_per_second"] as? Double ?? 0)
}

struct SimulationErrorText: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The franka-cube cell on free ports, retimed, with `cameras` square cameras recorded.
struct RecordBenchCell {
    let directory: URL
    let configPath: String
    var runDirectory: String { directory.appendingPathComponent("run").path }

    init(config path: String, rateHz: Double, cameras: Int, size: Int, codec: String, controlCore: Int?) throws {
        let scratch = try SimCell(configPath: path)
        directory = scratch.directory
        configPath = scratch.configPath
        let robot = try RobotConfig.load(path: configPath)
        var text = try String(contentsOfFile: configPath, encoding: .utf8)
        let scale = rateHz / robot.control.rateHz
        text = text.replacingOccurrences(of: "  rate_hz: \(BenchCell.number(robot.control.rateHz))\n", with: "  rate_hz: \(BenchCell.number(rateHz))\n")
        text = text.replacingOccurrences(
            of: "  max_episode_steps: \(robot.control.maxEpisodeSteps)",
            with: "  max_episode_steps: \(Int(Double(robot.control.maxEpisodeSteps) * scale))")
        // Chunks of a second, so the base policy keeps up at this rate.
        text = text.replacingOccurrences(of: "\n    execute_steps: 8", with: "\n    execute_steps: 20")
        text = text.replacingOccurrences(of: "\n    refill_threshold_steps: 3", with: "\n    refill_threshold_steps: 12")
        // The camera list: the config's two (first ones) plus `side`, `top`, … up to `cameras`.
        guard let start = text.range(of: "\ncameras:\n"), let end = text.range(of: "\nfeatures:", range: start.upperBound..<text.endIndex) else {
            throw SimulationErrorText("\(path): no cameras section to rewrite")
        }
        // Cameras of their own names (bench_0 …): the cell's calibration describes the shipped
        // 320×240 cameras, and a recorded run checks camera sizes against it. The policy's image
        // inputs move to bench_0 and bench_1.
        let names = (0..<cameras).map { "bench_\($0)" }
        for (index, camera) in robot.cameras.enumerated() {
            text = text.replacingOccurrences(of: "camera.\(camera.name)]", with: "camera.\(names[min(index, names.count - 1)])]")
        }
        var block = "\ncameras:\n"
        for name in names {
            block += "  - name: \(name)\n    endpoint: tcp://127.0.0.1:\(try SimCell.freePort())\n    width: \(size)\n    height: \(size)\n"
            block += "    max_age_s: 0.2\n    encoding: jpeg\n"
        }
        text.replaceSubrange(start.lowerBound..<end.lowerBound, with: block)
        text = text.replacingOccurrences(of: "\n  cameras: [\(robot.recordedCameraNames.joined(separator: ", "))]", with: "\n  cameras: [\(names.joined(separator: ", "))]")
        text = text.replacingOccurrences(of: "\n    codec: libx264", with: "\n    codec: \(codec)")
        if codec == "raw" { text = text.replacingOccurrences(of: "\n    pixel_format: yuv420p", with: "\n    pixel_format: rgb24") }
        text = text.replacingOccurrences(of: "\n    sched_fifo: false", with: "\n    sched_fifo: true")
        text = text.replacingOccurrences(of: "\n    mlockall: false", with: "\n    mlockall: true")
        if let controlCore {
            text = text.replacingOccurrences(of: "\n    cpu_affinity: []", with: "\n    cpu_affinity: [\(controlCore)]")
        }
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let check = try RobotConfig.load(path: configPath)
        guard check.cameras.count == cameras, check.recordedCameraNames == names, check.control.rateHz == rateHz else {
            throw SimulationErrorText("could not derive the recording benchmark config from \(path)")
        }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
