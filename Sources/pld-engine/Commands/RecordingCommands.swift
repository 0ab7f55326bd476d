import ArgumentParser
import Foundation
import OperatorCLI
import Recording

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a run's recorded episodes as a LeRobot dataset for SFT.",
        discussion: """
            Reads the closed episodes listed in RUN/index.jsonl (HDF5 files and their videos) and \
            writes a LeRobot dataset: lerobot-v2.1 (what openpi fine-tunes on: one parquet and one \
            mp4 per episode, jsonl metadata) or lerobot-v3.0 (current LeRobot: episodes \
            concatenated into chunked files, parquet metadata). Episodes are renumbered 0…N-1; each \
            keeps its handoff step, success and source episode index in the episode metadata, and \
            every frame carries residual_active. Runs Tools/export/lerobot_export.py (pyarrow, \
            h5py, ffmpeg); progress goes to stderr, one JSON line with frames per second to stdout.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case lerobotV21 = "lerobot-v2.1"
        case lerobotV30 = "lerobot-v3.0"
    }

    enum Codec: String, ExpressibleByArgument, CaseIterable {
        case libx264, libsvtav1
    }

    @Option(name: .customLong("run"), help: ArgumentHelp("Run directory written by `pld run`.", valueName: "DIR"))
    var runDirectory: String

    @Option(help: ArgumentHelp("lerobot-v2.1 (what openpi fine-tunes on) or lerobot-v3.0.", valueName: "FORMAT"))
    var format: Format

    @Option(help: ArgumentHelp("Output dataset directory (must not exist, or be empty, unless --overwrite).", valueName: "DIR"))
    var out: String

    @Flag(help: "Only episodes that ended in success.")
    var successfulOnly = false

    @Flag(help: "Only the hybrid part of each episode: the frames from its handoff step on (episodes without a handoff are skipped).")
    var hybridOnly = false

    @Option(help: ArgumentHelp("Video codec of the dataset: libx264 (default) or libsvtav1 (LeRobot's default, slower).", valueName: "CODEC"))
    var vcodec: Codec?

    @Option(help: ArgumentHelp("Constant rate factor of re-encoded videos.", valueName: "N"))
    var crf: Int?

    @Flag(help: "Replace OUT if it exists.")
    var overwrite = false

    func run() throws {
        guard let script = locateTool("Tools/export/lerobot_export.py") else {
            printError("pld export: Tools/export/lerobot_export.py not found (run from the repository, or set PLD_TOOLS_DIR)")
            throw ExitCode.failure
        }
        var arguments = [script, "--run", runDirectory, "--format", format.rawValue, "--out", out]
        if successfulOnly { arguments.append("--successful-only") }
        if hybridOnly { arguments.append("--hybrid-only") }
        if let vcodec { arguments += ["--vcodec", vcodec.rawValue] }
        if let crf { arguments += ["--crf", String(crf)] }
        if overwrite { arguments.append("--overwrite") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        do {
            try process.run()
        } catch {
            printError("pld export: cannot run python3: \(error.localizedDescription)")
            throw ExitCode.failure
        }
        process.waitUntilExit()
        // The exporter printed its own one-line error.
        if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
    }
}

/// A file of this repository's `Tools/`: under $PLD_TOOLS_DIR/.., the working directory, or a
/// parent of the executable (`.build/<triple>/<configuration>/pld`).
func locateTool(_ relative: String) -> String? {
    var roots: [String] = []
    if let tools = ProcessInfo.processInfo.environment["PLD_TOOLS_DIR"] { roots.append((tools as NSString).deletingLastPathComponent) }
    roots.append(FileManager.default.currentDirectoryPath)
    var directory = executableDirectory()
    for _ in 0..<6 {
        roots.append(directory)
        directory = (directory as NSString).deletingLastPathComponent
    }
    for root in roots {
        let candidate = (root as NSString).appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
    }
    return nil
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a table of a run's episodes: length, outcome, handoff step, stages, safety events.",
        discussion: """
            Reads RUN/index.jsonl (closed episodes) without changing anything, and lists files \
            that belong to no closed episode: the episode being written if the run is live, or \
            what an interrupted run left (the next `pld run --out RUN` moves those to incomplete/).
            """)

    @Option(name: .customLong("run"), help: ArgumentHelp("Run directory written by `pld run`.", valueName: "DIR"))
    var runDirectory: String

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            printError("pld inspect: \(runDirectory): no such run directory")
            throw ExitCode.failure
        }
        let entries: [IndexEntry]
        do {
            entries = try RunDirectory.readIndex(runPath: runDirectory)
        } catch {
            printError("pld inspect: \(error)")
            throw ExitCode.failure
        }
        let inspection = RunInspection(runPath: runDirectory, entries: entries)
        if json {
            print(inspection.json())
        } else {
            for line in inspection.table() { print(line) }
        }
    }
}
