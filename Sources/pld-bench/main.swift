import ArgumentParser
import Foundation

/// `pld-bench`: the benchmarks behind `pld bench …`. Prints JSON with --json.
struct PLDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pld bench",
        abstract: "Measure the runtime's hot paths; print JSON with --json.",
        subcommands: [Codec.self, Learner.self, Links.self, Loop.self, Record.self, Residual.self, ZeroMQEcho.self])
}

struct Codec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Codec and transport costs: protobuf (swift-protobuf vs protobuf-c), openpi msgpack, ZeroMQ round trips.",
        discussion: """
            protobuf: a full deoxys FrankaRobotStateMessage (2.5 kB) decoded and encoded, OSC_POSE \
            commands encoded, PLD arm state/command; nanoseconds per call and heap allocations per \
            call. msgpack: an openpi observation with two 224x224x3 uint8 images, an 8-D float32 \
            state and a prompt; microseconds. ZeroMQ: REQ/REP round trips of a 2508-byte message \
            over inproc (two threads), ipc and tcp loopback (two processes); microseconds.
            """)

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Timed calls per protobuf case.") var iterations = 20_000
    @Option(help: "Timed round trips per ZeroMQ transport.") var roundTrips = 5_000
    @Option(help: "Timed calls per msgpack case.") var msgpackIterations = 300

    struct Results: Encodable {
        var protobuf: ProtobufCodecResults
        var msgpack: MessagePackResults
        var zeromq: ZeroMQResults
    }

    func run() throws {
        guard allocationCountingWorks() else {
            throw ValidationError("allocation counting is not active (malloc interposer not linked ahead of libc)")
        }
        let results = Results(
            protobuf: try benchProtobuf(iterations: iterations),
            msgpack: try benchMessagePack(iterations: msgpackIterations),
            zeromq: try benchZeroMQ(iterations: roundTrips, benchExecutable: selfExecutable()))
        try printReport("codec", results, json: json)
    }
}

struct Links: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Links through `pld sim`: PLD-arm state → command → state round trips over tcp loopback, and each scene's physics real-time factor.",
        discussion: """
            Starts `pld sim --scene yam-gpu-insertion` (the `pld` binary next to this one) on \
            --config's endpoints, drives its left arm with PLDArmLink, then runs each scene \
            in-process at --speed 1000 to measure how fast its physics runs with every device, \
            camera and feature stream alive. Run from the repository root.
            """)

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Seconds per measurement.") var seconds = 10.0
    @Option(help: "Robot config of the YAM sim cell.") var config = "RobotConfigs/yam_sim_gpu_insertion.yaml"

    struct Results: Encodable { var links: LinksResults }

    func run() throws {
        try printReport("links", Results(links: try benchLinks(config: config, seconds: seconds, pldExecutable: siblingPLD())), json: json)
    }
}

struct Loop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The full tick pipeline against `pld sim`: jitter, compute, misses, per-stage cost, control-thread allocations; optionally the same loop in Python.",
        discussion: """
            Starts `pld sim` on a scratch copy of --config retimed to --rate-hz, with a random \
            3x256 residual acting every tick, runs `pld run`'s pipeline for --seconds, and counts \
            heap allocations made by the control thread after --warmup seconds (malloc \
            interposer, filtered to that thread). With --python, runs Tools/bench/python_loop.py \
            (pyzmq + numpy + protobuf) against the same simulator for comparison. Run from the \
            repository root, on an otherwise idle machine.
            """)

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Control rate, Hz.") var rateHz = 1000.0
    @Option(help: "Seconds to measure, after the warm-up.") var seconds = 60.0
    @Option(help: "Seconds of warm-up from the first episode tick before measuring.") var warmup = 5.0
    @Option(help: "Robot config of the sim cell.") var config = "RobotConfigs/franka_sim_cube.yaml"
    @Flag(help: "Also run the Python reference loop.") var python = false
    @Flag(inversion: .prefixedNo, help: "Give the control thread the last core to itself (others: the rest).") var pin = true
    @Flag(help: "Allocate once per 1000 ticks on the control thread (checks that the count counts).") var probe = false
    @Option(help: "Print the call stacks of the first N control-thread allocations to stderr (debugging).") var traceAllocations = 0
    @Flag(help: "Record every episode (HDF5 and video) while measuring, into the scratch cell.") var record = false
    @Flag(help: "Train the residual in-process while measuring (learner.enabled, one warm-up episode, 3 × 256 SAC; new weights swapped in between episodes).") var learn = false

    func validate() throws {
        guard rateHz.isFinite, rateHz > 0, rateHz <= 4000 else { throw ValidationError("--rate-hz must be in (0, 4000], got \(rateHz)") }
        guard seconds.isFinite, seconds > 0, warmup.isFinite, warmup >= 0 else {
            throw ValidationError("--seconds must be > 0 and --warmup >= 0, got \(seconds) and \(warmup)")
        }
    }

    struct Results: Encodable { var loop: LoopResults }

    func run() throws {
        let loop = try benchLoop(
            config: config, rateHz: rateHz, seconds: seconds, warmupSeconds: warmup, pldExecutable: siblingPLD(),
            python: python, pin: pin, probe: probe, traceAllocations: traceAllocations, record: record, learn: learn)
        try printReport("loop", Results(loop: loop), json: json)
    }
}

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recording under load: tick timing with and without recording, dropped steps, and export speed.",
        discussion: """
            Starts `pld sim` (cameras: a moving JPEG test pattern at the tick rate, since software \
            rendering cannot make 3 × 30 frames per second here) on a scratch copy of --config with \
            --cameras cameras of --size² px at --rate-hz, runs `pld run`'s pipeline for --sim-seconds \
            of sim time without recording, then again recording every episode (HDF5 + one ffmpeg \
            per camera), and exports the recording to LeRobot v2.1 and v3.0 \
            (Tools/export/lerobot_export.py). Run from the repository root.
            """)

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Control rate and camera rate, Hz.") var rateHz = 30.0
    @Option(help: "Cameras recorded.") var cameras = 3
    @Option(help: "Camera width and height, px.") var size = 224
    @Option(help: "Sim seconds per run (two runs).") var simSeconds = 600.0
    @Option(help: "Sim seconds per wall second.") var speed = 1.0
    @Option(help: "libx264, libsvtav1 or raw.") var codec = "libx264"
    @Flag(inversion: .prefixedNo, help: "Export the recording to both LeRobot formats and time it.") var export = true
    @Flag(inversion: .prefixedNo, help: "Give the control thread the last core to itself, SCHED_FIFO (others: the rest).") var pin = true
    @Option(help: "Robot config of the sim cell.") var config = "RobotConfigs/franka_sim_cube.yaml"

    func validate() throws {
        guard rateHz > 0, rateHz <= 200 else { throw ValidationError("--rate-hz must be in (0, 200], got \(rateHz)") }
        guard (1...6).contains(cameras) else { throw ValidationError("--cameras must be in 1...6, got \(cameras)") }
        guard size >= 16, size <= 1024, size % 2 == 0 else { throw ValidationError("--size must be even, in 16...1024, got \(size)") }
        guard simSeconds > 0, speed > 0, speed <= 10 else { throw ValidationError("--sim-seconds must be > 0 and --speed in (0, 10]") }
        guard ["libx264", "libsvtav1", "raw"].contains(codec) else { throw ValidationError("--codec must be libx264, libsvtav1 or raw") }
    }

    struct Results: Encodable { var record: RecordResults }

    func run() throws {
        let results = try benchRecord(
            config: config, rateHz: rateHz, cameras: cameras, size: size, simSeconds: simSeconds, speed: speed, codec: codec,
            export: export, pin: pin, pldExecutable: siblingPLD())
        try printReport("record", Results(record: results), json: json)
    }
}

struct ZeroMQEcho: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zmq-echo", abstract: "Echo peer for the ZeroMQ round-trip benchmark (internal).",
        shouldDisplay: false)
    @Argument var endpoint: String
    func run() throws { try runEchoServer(endpoint: endpoint) }
}

#if DEBUG
let buildConfiguration = "debug"
#else
let buildConfiguration = "release"
#endif

func cpuModel() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
        let colon = line.firstIndex(of: ":")
    else { return "unknown" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
}

/// The header every benchmark report starts with, then its results at the top level: one JSON
/// object, keys sorted, pretty with --json.
struct BenchReport<Results: Encodable>: Encodable {
    struct Header: Encodable {
        var benchmark: String
        var command = (["pld", "bench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        var date = ISO8601DateFormatter().string(from: Date())
        var build = buildConfiguration
        var cpu = cpuModel()
        var cores = ProcessInfo.processInfo.activeProcessorCount
    }
    var header: Header
    var results: Results

    func encode(to encoder: any Encoder) throws {
        try header.encode(to: encoder)
        try results.encode(to: encoder)
    }
}

func printReport<Results: Encodable>(_ benchmark: String, _ results: Results, json: Bool) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = json ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
    let report = BenchReport(header: .init(benchmark: benchmark), results: results)
    print(String(decoding: try encoder.encode(report), as: UTF8.self))
}

/// The `pld` binary built next to this one.
func siblingPLD() -> String {
    URL(fileURLWithPath: selfExecutable()).deletingLastPathComponent().appendingPathComponent("pld").path
}

func selfExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

PLDBench.main()
