import Foundation
import TestSupport
import Testing
import ZeroMQ

/// Runs the built `pld` binary as a user would.
func pld(_ arguments: String..., timeoutSeconds: Double = 120) throws -> PythonPeer.Result {
    try PythonPeer.run(BuiltProducts.executable("pld"), arguments, timeoutSeconds: timeoutSeconds)
}

@Suite struct CommandLineTests {
    @Test func helpListsEverySubcommandOfTheDesign() throws {
        let result = try pld("--help")
        #expect(result.status == 0)
        for name in ["demo", "sim", "run", "estop", "reset", "pause", "resume", "stop", "status", "export", "bench"] {
            #expect(result.stdout.contains("\n  \(name) "), "help lacks \(name)")
        }
    }

    /// No run answers: every terminal command says so in one line naming where it looked, exit 1.
    @Test(arguments: [["estop"], ["status", "--json"], ["reset"], ["pause"], ["resume"], ["stop"]])
    func terminalCommandsWithoutARunSayWhereTheyLookedInOneLine(arguments: [String]) throws {
        let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("pld-xdg-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: runtime) }
        let result = try PythonPeer.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["XDG_RUNTIME_DIR=\(runtime.path)", BuiltProducts.executable("pld").path] + arguments)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("pld \(arguments[0]): no local run found (no control socket under \(runtime.path)/pld)") == true, "\(result.stderr)")
        // A TCP endpoint without keys is refused before anything is sent.
        let tcp = try pld(arguments[0], "--control", "tcp://127.0.0.1:9")
        #expect(tcp.status == 1 && tcp.stderr.contains("give --server-key FILE"), "\(tcp.stderr)")
    }

    /// A run directory that is missing, or whose index is garbage: one line naming it, exit 1.
    @Test func inspectAndExportOfABadRunDirectorySayWhichInOneLine() throws {
        let missing = "/nonexistent/run-\(UUID().uuidString.prefix(6))"
        let inspect = try pld("inspect", "--run", missing)
        #expect(inspect.status == 1)
        #expect(inspect.stderr == "pld inspect: \(missing): no such run directory\n")
        let export = try pld("export", "--run", missing, "--format", "lerobot-v2.1", "--out", "/tmp/pld-never-\(UUID().uuidString.prefix(6))")
        #expect(export.status == 1)
        #expect(export.stderr.hasPrefix("export: error: \(missing)") && export.stderr.split(separator: "\n").count == 1, "\(export.stderr)")

        let run = FileManager.default.temporaryDirectory.appendingPathComponent("pld-badrun-\(UUID().uuidString.prefix(6))")
        defer { try? FileManager.default.removeItem(at: run) }
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try "{\"episode_index\": 0}\nnot json\n".write(to: run.appendingPathComponent("index.jsonl"), atomically: true, encoding: .utf8)
        let garbage = try pld("inspect", "--run", run.path)
        #expect(garbage.status == 1)
        #expect(garbage.stderr.contains("index.jsonl:1: missing field"), "\(garbage.stderr)")
        #expect(garbage.stderr.split(separator: "\n").count == 1)
        let badExport = try pld("export", "--run", run.path, "--format", "lerobot-v3.0", "--out", run.appendingPathComponent("out").path)
        #expect(badExport.status == 1)
        #expect(badExport.stderr.hasPrefix("export: error:") && badExport.stderr.contains("index.jsonl"), "\(badExport.stderr)")
    }

    @Test func aBadFlagValueIsAUsageErrorNamingTheFlag() throws {
        let scene = try pld("sim", "--scene", "mars")
        #expect(scene.status == 64)
        #expect(scene.stderr.contains("--scene"))
        let speed = try pld("sim", "--scene", "franka-cube", "--speed=-2")
        #expect(speed.status == 64)
        #expect(speed.stderr.contains("--speed must be in (0, 1000]"))
        let duration = try pld("run", "--config", "x.yaml", "--duration", "ten minutes")
        #expect(duration.status == 64)
        #expect(duration.stderr.contains("--duration"))
    }

    @Test func versionNamesTheLinkedLibraries() throws {
        let result = try pld("version")
        #expect(result.status == 0)
        #expect(result.stdout.contains("libzmq 4."))
        #expect(result.stdout.contains("curve: yes"))
        #expect(result.stdout.contains("MuJoCo 2."))
        #expect(result.stdout.contains("HDF5 1."))
    }

    @Test func generatedKeysLoadInPyzmqAndAreOwnerOnly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pld-keys-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try pld("keys", "generate", "--name", "operator", "--out", directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        let secretPath = directory.appendingPathComponent("operator.key_secret").path
        let publicPath = directory.appendingPathComponent("operator.key").path
        let mode = try FileManager.default.attributesOfItem(atPath: secretPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // pyzmq's own certificate reader, an independent implementation of the format.
        let python = try PythonPeer.run(PythonPeer.interpreter, ["-c", """
            import sys, zmq.auth
            pub, _ = zmq.auth.load_certificate(sys.argv[1])
            pub2, sec = zmq.auth.load_certificate(sys.argv[2])
            assert pub == pub2 and sec is not None
            assert zmq.curve_public(sec) == pub
            print(pub.decode())
            """, publicPath, secretPath])
        #expect(python.status == 0, "\(python.stderr)")
        let printedKey = result.stdout.split(separator: "\n").last { $0.hasPrefix("public key: ") }?.dropFirst("public key: ".count)
        #expect(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == printedKey.map(String.init))
        // Our reader agrees, and refuses to overwrite without --force.
        let certificate = try CurveCertificate(parsing: try String(contentsOfFile: secretPath, encoding: .utf8), source: secretPath)
        #expect(certificate.secretKey != nil)
        let again = try pld("keys", "generate", "--name", "operator", "--out", directory.path)
        #expect(again.status == 1)
        #expect(again.stderr.contains("exists; pass --force"))
    }

    @Test func certificatesWithMismatchedOrMissingKeysAreRefused() throws {
        let a = try CurveKeyPair.generate(), b = try CurveKeyPair.generate()
        let mismatched = CurveCertificate(publicKey: a.publicKey, secretKey: b.secretKey).secretText!
        #expect(throws: ZMQError.self) { try CurveCertificate(parsing: mismatched, source: "x.key_secret") }
        do {
            _ = try CurveCertificate(parsing: "curve\n    secret-key = \"\(a.secretKey.z85)\"\n", source: "y.key_secret")
            Issue.record("a certificate without public-key loaded")
        } catch {
            #expect(error.description.contains("y.key_secret"))
            #expect(error.description.contains("no public-key line"))
        }
    }

    @Test func codecBenchmarkReportsZeroAllocationsOnTheProtobufCHotPath() throws {
        let result = try pld(
            "bench", "codec", "--json", "--iterations", "300", "--round-trips", "100", "--msgpack-iterations", "3")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let protobuf = try #require(report["protobuf"] as? [String: [String: Any]])
        for name in ["frankaStateDecodeProtobufC", "oscCommandEncodeProtobufC", "armStateDecodeProtobufC", "armCommandEncodeProtobufC"] {
            #expect(protobuf[name]?["allocationsPerCall"] as? Double == 0, "\(name) allocates")
        }
        // The counter really counts: swift-protobuf allocates for every repeated field.
        #expect((protobuf["frankaStateDecodeSwiftProtobuf"]?["allocationsPerCall"] as? Double ?? 0) >= 10)
        #expect(protobuf["oscCommandEncodeProtobufC"]?["bytes"] as? Int == 287)
        let zeromq = try #require(report["zeromq"] as? [String: Any])
        for transport in ["inprocMicros", "ipcMicros", "tcpMicros"] {
            #expect(((zeromq[transport] as? [String: Any])?["p50"] as? Double ?? 0) > 0)
        }
    }
}

@Suite struct ConfigCheckCommandTests {
    @Test func everyShippedConfigAndCalibrationChecksOut() throws {
        let root = PythonPeer.repositoryRoot
        let files = try ["RobotConfigs", "Calibration"].flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
                .filter { $0.hasSuffix(".yaml") }.map { root.appendingPathComponent("\(folder)/\($0)").path }
        }
        #expect(files.count >= 8)
        let result = try PythonPeer.run(BuiltProducts.executable("pld"), ["config", "check"] + files)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("ok  ") }.count == files.count)
    }

    @Test func aBadConfigIsOneLineNamingFileLineAndField() throws {
        let root = PythonPeer.repositoryRoot
        let good = try String(contentsOf: root.appendingPathComponent("RobotConfigs/franka_sim_cube.yaml"), encoding: .utf8)
        let bad = good.replacingOccurrences(of: "  rate_hz: 20\n", with: "  rate_hz: fast\n")
        #expect(bad != good)
        let line = bad.components(separatedBy: "\n").firstIndex(of: "  rate_hz: fast")! + 1
        // A scratch copy of the repository layout, so the relative calibration path resolves and
        // the repository itself is never written to.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pld-cli-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        for folder in ["RobotConfigs", "Calibration"] {
            try FileManager.default.createDirectory(at: scratch.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(
            at: root.appendingPathComponent("Calibration/franka_sim.yaml"),
            to: scratch.appendingPathComponent("Calibration/franka_sim.yaml"))
        let path = scratch.appendingPathComponent("RobotConfigs/bad.yaml").path
        try bad.write(toFile: path, atomically: true, encoding: .utf8)
        for arguments in [["config", "check", path], ["run", "--config", path]] {
            let result = try PythonPeer.run(BuiltProducts.executable("pld"), arguments)
            #expect(result.status == 1)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            // `pld config check` prints the error as is; `pld run` prefixes its name.
            let expected = "\(path):\(line): control.rate_hz: "
            #expect(lines.first?.hasPrefix(expected) == true || lines.first?.hasPrefix("pld run: " + expected) == true, "\(result.stderr)")
        }
    }

    @Test func aMissingConfigFileIsNamed() throws {
        let result = try pld("run", "--config", "/nonexistent/robot.yaml")
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/robot.yaml"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}

/// `pld bench loop` against its own `pld sim` (on a `SimCell`'s free ports): the control thread
/// allocates nothing in steady state, counted with the malloc interposer over 10,000 ticks. The
/// run uses `--probe` (one deliberate allocation per 1000 ticks on the control thread), so the
/// count must equal the probe's — which also proves the count sees that thread.
@Suite(.serialized) struct LoopBenchmarkTests {
    @Test func aSteadyStateTickAllocatesNothingOverTenThousandTicks() throws {
        let cell = try SimCell(config: "franka_sim_cube.yaml")
        defer { cell.remove() }
        // The rest of the suite runs beside this on two cores: a state 0.1 s late would latch
        // the configured state_stale e-stop and end the run before 10,000 ticks.
        var text = try String(contentsOfFile: cell.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "\n    state_timeout_s: 0.1", with: "\n    state_timeout_s: 0.5")
        // A slow debug policy worker at 125 Hz stalls; the episode must go on (no policy fault),
        // so the ticks counted are steady-state episode ticks.
        text = text.replacingOccurrences(of: "\n    policy_stall_s: 3.0", with: "\n    policy_stall_s: 60.0")
        text = text.replacingOccurrences(of: "\n    camera_freeze_s: 3.0", with: "\n    camera_freeze_s: 60.0")
        // Recorded without cameras: the tick's share of recording (the TickRecord and its push)
        // is the same with them — it only reads frame sequence numbers — and two video encoders
        // at 125 frames/s would load the machine the other tests share.
        text = text.replacingOccurrences(of: "\n  cameras: [exterior, wrist]\n  video:", with: "\n  cameras: []\n  video:")
        try text.write(toFile: cell.configPath, atomically: true, encoding: .utf8)
        try #require(text.contains("\n  cameras: []\n  video:"))
        // 125 Hz: an unoptimised build's policy worker needs 100–300 ms per round trip next to
        // the simulator and the other tests, and a 64-action chunk must outlast that for the
        // residual and egress stages to run (release runs 1 kHz: `pld bench loop --json`).
        let result = try PythonPeer.run(
            BuiltProducts.executable("pld"),
            ["bench", "loop", "--json", "--config", cell.configPath, "--rate-hz", "125", "--seconds", "82", "--warmup", "3", "--probe", "--trace-allocations", "40", "--record"],
            timeoutSeconds: 240)
        #expect(result.status == 0, "\(result.stderr)")
        // The run's own lines (episodes and how they ended, warnings), for a failing run.
        print(result.stderr.split(separator: "\n").filter { $0.hasPrefix("pld bench loop:") }.joined(separator: "\n"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let loop = try #require(report["loop"] as? [String: Any])
        let measured = try #require(loop["measuredTicks"] as? Int)
        let allocations = try #require(loop["controlThreadAllocations"] as? Int)
        print("measured ticks \(measured), allocations \(allocations), stalls \(loop["policyStalls"] ?? "?"), compute \(loop["compute"] ?? "?")")
        #expect(measured >= 10_000)
        let probes = Double(measured) / 1000
        #expect(Double(allocations) >= probes.rounded(.down) - 1 && Double(allocations) <= probes.rounded(.up),
                "\(allocations) allocations over \(measured) ticks; the probe alone makes \(probes). Stacks (resolve with addr2line -f -e .build/debug/pld-bench):\n\(result.stderr.suffix(20_000))")
        // The whole pipeline ran, not just stalls: the residual acted and commands went out.
        let stages = try #require(loop["stageP50Micros"] as? [String: Double])
        #expect((stages["residual"] ?? 0) > 0 && (stages["egress"] ?? 0) > 0)
        #expect((loop["policyStalls"] as? Int ?? .max) < measured)
        // Every episode tick was also handed to the recorder (HDF5 + video on its own thread).
        #expect(loop["recording"] as? Bool == true)
        #expect((loop["recordedSteps"] as? Int ?? 0) > 1_000)
    }
}

/// `pld demo` binds the shipped config's fixed ports, so its tests run one at a time.
@Suite(.serialized) struct DemoCommandTests {
    /// `pld demo` as the README's quick start runs it (from the repository root), shortened: it
    /// starts `pld sim` on the shipped config's ports, runs an episode, prints the summary, and
    /// leaves no simulator behind.
    @Test func demoRunsAnEpisodeAgainstItsOwnSimulatorAndCleansUp() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pld-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try PythonPeer.run(
            BuiltProducts.executable("pld"), ["demo", "--episodes", "1", "--out", out.path],
            currentDirectory: PythonPeer.repositoryRoot, timeoutSeconds: 150)
        #expect(result.status == 0, "\(result.stderr)")
        print(result.stdout)
        #expect(result.stdout.contains("episode   1: "))
        #expect(result.stdout.contains("episodes: 1, successes: "))
        #expect(result.stdout.contains("tick: "))
        #expect(result.stdout.contains("residual: zero-initialised"))
        let summary = try String(contentsOf: out.appendingPathComponent("summary.txt"), encoding: .utf8)
        #expect(summary.hasPrefix("episodes: 1, successes: "))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("sim.log").path))
        // The episode was recorded into the demo's directory.
        #expect(result.stdout.contains("recording: \(out.path): 1 episodes closed"))
        let index = try String(contentsOf: out.appendingPathComponent("index.jsonl"), encoding: .utf8)
        #expect(index.split(separator: "\n").count == 1)
        // The simulator is gone: its state port can be bound again.
        let context = try Context()
        let socket = try Socket(context: context, type: .pub)
        #expect(throws: Never.self) { try socket.bind("tcp://127.0.0.1:5556") }
        socket.close()

        // Again into the same directory: the first demo is set aside, not appended to or lost.
        let again = try PythonPeer.run(
            BuiltProducts.executable("pld"), ["demo", "--episodes", "1", "--out", out.path],
            currentDirectory: PythonPeer.repositoryRoot, timeoutSeconds: 150)
        #expect(again.status == 0, "\(again.stderr)")
        let keptLine = again.stdout.split(separator: "\n").first { $0.contains("the previous demo's runs are kept in ") }
        let kept = keptLine.flatMap { line in line.range(of: "kept in ").map { String(line[$0.upperBound...].prefix { $0 != ";" }) } }
        #expect(kept?.hasPrefix(out.path + "-") == true, "\(again.stdout)")
        if let kept {
            defer { try? FileManager.default.removeItem(atPath: kept) }
            let first = try String(contentsOfFile: kept + "/index.jsonl", encoding: .utf8)
            #expect(first == index)
        }
        let second = try String(contentsOf: out.appendingPathComponent("index.jsonl"), encoding: .utf8)
        #expect(second.split(separator: "\n").count == 1)
    }

    /// Something else holds the simulator's ports: one clear line naming the port and the log,
    /// exit 1, no run started and no simulator left behind.
    @Test func demoWhosePortsAreTakenSaysSoInOneLine() throws {
        let context = try Context()
        let squatter = try Socket(context: context, type: .pub)
        try squatter.bind("tcp://127.0.0.1:5556")
        defer { squatter.close() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pld-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try PythonPeer.run(
            BuiltProducts.executable("pld"), ["demo", "--episodes", "1", "--out", out.path],
            currentDirectory: PythonPeer.repositoryRoot, timeoutSeconds: 90)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("pld demo: pld sim did not become ready: ") == true)
        #expect(result.stderr.contains("5556") && result.stderr.contains("Address already in use"))
        #expect(!result.stdout.contains("running 1 episodes"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.txt").path))
    }
}
