import Foundation
import PLDCore
import Runtime
import Synchronization
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Recording under real conditions: `pld run` and `pld sim` as real processes (or `RobotRun`
/// in this one against a `pld sim` child), episodes read back by h5py and PyAV
/// (Tests/Peers/check_episodes.py), commands read off the wire by an independent subscriber.
/// One suite, run one test at a time: each starts its own simulator, and two at once on two
/// cores would starve the timing-sensitive tests of other suites. Cameras are the simulator's
/// cheap test pattern except in the export test (what is recorded is the point here, not what
/// the frames show).
extension AgainstSim {
@Suite(.serialized, .timeLimit(.minutes(6))) struct RecordingAgainstSimTests {
    /// The tolerant franka-cube cell with short episodes (`steps` ticks) and the given frame
    /// storage, so a test gets several closed episodes in seconds.
    static func shortEpisodeCell(steps: Int, codec: String = "libx264") throws -> SimCell {
        let cell = try RunAgainstSimTests.tolerantCell()
        var text = try String(contentsOfFile: cell.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "\n  max_episode_steps: 300", with: "\n  max_episode_steps: \(steps)")
        if codec == "raw" {
            text = text.replacingOccurrences(of: "\n    codec: libx264", with: "\n    codec: raw")
            text = text.replacingOccurrences(of: "\n    pixel_format: yuv420p", with: "\n    pixel_format: rgb24")
        }
        // A late state must not latch an e-stop that ends the run: recording is what is tested.
        text = text.replacingOccurrences(of: "\n  fatal_events: [driver_fault, state_stale]", with: "\n  fatal_events: [driver_fault]")
        // A fast reset: the episodes here are about recording, not about the home pose.
        text = text.replacingOccurrences(of: "\n  max_joint_speed_rad_per_s: 0.5", with: "\n  max_joint_speed_rad_per_s: 2.0")
        try text.write(toFile: cell.configPath, atomically: true, encoding: .utf8)
        let config = try RobotConfig.load(path: cell.configPath)
        try #require(config.control.maxEpisodeSteps == steps)
        try #require(config.recording.video.codec.rawValue == codec)
        return cell
    }

    /// The tolerant policy timing, and camera frames from the simulator's test pattern.
    static let simOptions = RunAgainstSimTests.simPolicy + ["--camera-source", "pattern"]

    static func pld(_ arguments: [String]) throws -> ChildProcess {
        // stderr joins stdout so a test sees progress, recovery and error lines in order.
        let command = ([BuiltProducts.executable("pld").path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try ChildProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \(command) 2>&1"])
    }

    static func indexLines(_ run: String) -> Int {
        ((try? String(contentsOfFile: run + "/index.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    static func partials(_ run: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: run + "/episodes")) ?? []).filter { $0.hasSuffix(".partial") }
    }

    /// Bytes of every file under `path`.
    static func directoryBytes(_ path: String) throws -> Int {
        var total = 0
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + name)
            if attributes[.type] as? FileAttributeType == .typeRegular { total += (attributes[.size] as? Int) ?? 0 }
        }
        return total
    }

    /// Waits until `condition` holds, up to `seconds` (sleeping without holding a thread).
    static func wait(seconds: Double, _ what: String, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw ChildProcess.Failure(description: "timed out after \(seconds) s waiting for \(what)") }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    @Test func killNineMidEpisodeLosesOnlyTheOpenEpisodeAndTheNextStartReportsIt() async throws {
        // 120-step episodes (6 s): long enough that the one killed is surely still open.
        let cell = try Self.shortEpisodeCell(steps: 120)
        defer { cell.remove() }
        let run = cell.directory.appendingPathComponent("run").path
        let sim = try await awaitBlocking { try cell.launchSim(scene: "franka-cube", Self.simOptions) }
        defer { sim.stop() }

        let first = try Self.pld(["run", "--config", cell.configPath, "--episodes", "50", "--out", run])
        // Two closed episodes, then well inside the third.
        try await Self.wait(seconds: 120, "two closed episodes") { Self.indexLines(run) >= 2 }
        try await Self.wait(seconds: 60, "an open episode") { !Self.partials(run).isEmpty }
        try await Task.sleep(nanoseconds: 600_000_000)
        let closedBeforeKill = Self.indexLines(run)
        let open = Self.partials(run)
        first.kill()  // SIGKILL: no handler runs, nothing is flushed or renamed
        try #require(open.count == 1, "\(open)")
        #expect(Self.partials(run) == open, "the killed episode stays partial")

        // Every closed episode opens with h5py and agrees with index.jsonl.
        let afterKill = try await awaitBlocking { try EpisodeCheck.run(run) }
        #expect(afterKill.problems == [], "\(afterKill.problems)")
        #expect(afterKill.episodes == closedBeforeKill)
        #expect(afterKill.summary.map(\.episode) == Array(0..<closedBeforeKill))

        // The next start reports the open episode, moves it aside, and numbering continues.
        let second = try Self.pld(["run", "--config", cell.configPath, "--episodes", "1", "--out", run])
        let openFile = open[0]
        let reported = try await awaitBlocking {
            try second.waitForLine(prefix: "pld run: recovered: episodes/\(openFile)", timeoutMilliseconds: 30_000)
        }
        print(reported)
        #expect(reported.contains("was open when an earlier run ended"))
        let episodeLine = try await awaitBlocking { try second.waitForLine(prefix: "episode ", timeoutMilliseconds: 120_000) }
        #expect(episodeLine.hasPrefix(String(format: "episode %3d:", closedBeforeKill + 1)), "\(episodeLine)")
        try await awaitBlocking { second.stop(graceMilliseconds: 30_000) }
        let incomplete = try FileManager.default.contentsOfDirectory(atPath: run + "/incomplete")
        let stem = open[0].replacingOccurrences(of: ".hdf5.partial", with: "")
        #expect(incomplete.contains { $0.hasPrefix(stem + "-") && $0.hasSuffix(".hdf5.partial") }, "\(incomplete)")
        #expect(Self.partials(run).isEmpty)
        let afterRestart = try await awaitBlocking { try EpisodeCheck.run(run) }
        #expect(afterRestart.problems == [], "\(afterRestart.problems)")
        #expect(afterRestart.summary.map(\.episode) == Array(0...closedBeforeKill))
    }

    @Test func recordedExecutedActionsAreWhatTheArmWasSent() async throws {
        let cell = try Self.shortEpisodeCell(steps: 60)
        defer { cell.remove() }
        let config = try RobotConfig.load(path: cell.configPath)
        let franka = try #require(config.arms[0].franka)
        let segment = try #require(config.actionSpace.segments.first)
        let sim = try await awaitBlocking { try cell.launchSim(scene: "franka-cube", Self.simOptions) }
        defer { sim.stop() }
        let commands = CommandObserver(endpoint: "tcp://127.0.0.1:\(franka.ports.armCommand)", start: Date())
        let out = cell.directory.appendingPathComponent("run").path
        var options = RunOptions()
        options.episodes = 2
        options.outDirectory = out
        options.log = { print("run: \($0)") }
        let run = try RobotRun(configPath: cell.configPath, options: options)
        let summary = try await awaitBlocking { run.run { print("episode \($0.index): \($0.outcome.label), \($0.policyStalls) stalls") } }
        let wire = commands.stop().map(\.goal)
        #expect(summary.recording?.failure == nil)
        #expect(summary.recording?.counters.episodesClosed == 2)

        let check = try await awaitBlocking { try EpisodeCheck.run(out, dump: ["0:/command/franka,/command_hold,/action", "1:/command/franka,/command_hold,/action"]) }
        #expect(check.problems == [], "\(check.problems)")
        var sent: [[Double]] = []
        for episode in 0..<2 {
            let command = check.dump["\(episode):/command/franka"]?.flat ?? []
            let hold = check.dump["\(episode):/command_hold"]?.flat ?? []
            let action = check.dump["\(episode):/action"]?.flat ?? []
            try #require(command.count == 60 * 7 && hold.count == 60 && action.count == 60 * 7)
            for step in 0..<60 {
                let row = Array(command[(step * 7)..<(step * 7 + 6)])
                let executed = Array(action[(step * 7)..<(step * 7 + 6)])
                if hold[step] == 1 {
                    #expect(row.allSatisfy { $0 == 0 } && executed.allSatisfy { $0 == 0 }, "a hold is a zero delta")
                    continue
                }
                sent.append(row)
                // The executed action is the command in action units (the inverse of the scaling).
                for k in 0..<6 {
                    let scale = k < 3 ? segment.translationScaleM : segment.rotationScaleRad
                    #expect(abs(executed[k] * scale - row[k]) <= 1e-12 * max(1, abs(row[k])))
                }
            }
        }
        print("recorded non-hold commands: \(sent.count), OSC goals on the wire: \(wire.count)")
        try #require(sent.count >= 20, "the base policy stalled through almost every step")
        // Each recorded command went out exactly, in order: a subsequence of the wire's goals
        // (which also carry settle, reset and keep-alive holds).
        var cursor = 0
        var matched = 0
        for row in sent {
            while cursor < wire.count {
                let g = wire[cursor]
                cursor += 1
                if [g.x, g.y, g.z, g.ax, g.ay, g.az] == row {
                    matched += 1
                    break
                }
            }
        }
        #expect(matched == sent.count, "\(sent.count - matched) recorded commands not found on the wire in order")
    }

    @Test func aFullDiskStopsRecordingHoldsTheArmAndKeepsEarlierEpisodes() async throws {
        let cell = try Self.shortEpisodeCell(steps: 60, codec: "raw")
        defer { cell.remove() }
        let config = try RobotConfig.load(path: cell.configPath)
        let franka = try #require(config.arms[0].franka)
        let sim = try await awaitBlocking { try cell.launchSim(scene: "franka-cube", Self.simOptions) }
        defer { sim.stop() }

        // One episode recorded on the normal disk…
        let seed = cell.directory.appendingPathComponent("seed-run").path
        let first = try Self.pld(["run", "--config", cell.configPath, "--episodes", "1", "--out", seed])
        try await Self.wait(seconds: 120, "the first episode") { Self.indexLines(seed) == 1 }
        try await awaitBlocking { first.stop(graceMilliseconds: 30_000) }

        // …then the run continues on a nearly full filesystem: a tmpfs 2 MiB larger than that
        // run directory, holding a copy of it and a ballast file that leaves 300 KiB (one raw
        // frame is 225 KiB before compression).
        let seedBytes = try Self.directoryBytes(seed)
        let mountPoint = cell.directory.appendingPathComponent("small").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let sizeKiB = (seedBytes + 2 << 20) / 1024
        let mount = try PythonPeer.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=\(sizeKiB)k", "tmpfs", mountPoint])
        try #require(mount.status == 0, "this test mounts a size-limited tmpfs and needs root (CI runs as root): \(mount.stderr)")
        defer { _ = try? PythonPeer.run(URL(fileURLWithPath: "/bin/umount"), ["-l", mountPoint]) }
        let run = mountPoint + "/run"
        let copy = try PythonPeer.run(URL(fileURLWithPath: "/bin/cp"), ["-a", seed, run])
        try #require(copy.status == 0, "\(copy.stderr)")
        var info = statvfs()
        try #require(statvfs(mountPoint, &info) == 0)
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        let ballast = free - 300 * 1024
        try #require(ballast > 0, "the copied run does not fit the tmpfs (\(free) bytes free)")
        try Data(count: ballast).write(to: URL(fileURLWithPath: mountPoint + "/ballast"))

        let commands = CommandObserver(endpoint: "tcp://127.0.0.1:\(franka.ports.armCommand)", start: Date())
        let start = Date()
        let second = try Self.pld(["run", "--config", cell.configPath, "--episodes", "3", "--out", run])
        // The moment the run noticed (its log line), then everything it printed until it exited.
        let noticed = try await awaitBlocking { try second.waitForLine(containing: "recording stopped:", timeoutMilliseconds: 120_000) }
        let noticedAt = Date().timeIntervalSince(start)
        let output = try await awaitBlocking { [noticed] + second.remainingLines(timeoutMilliseconds: 60_000) }
        try await awaitBlocking { second.stop(graceMilliseconds: 5_000) }
        let goals = commands.stop()
        print(output.joined(separator: "\n"))
        #expect(second.exitStatus == 1)
        let aborted = output.first { $0.hasPrefix("episode   2:") } ?? "no line for episode 2"
        #expect(aborted.contains("aborted (recording)"), "\(aborted)")
        // The final error: one line naming the file and the cause.
        let error = output.last { $0.hasPrefix("pld run: recording stopped:") } ?? "no final error line"
        #expect(error.contains("No space left on device"), "\(error)")
        #expect(error.contains("episode_000001.hdf5.partial"), "the error names the file")

        // The arm held: every OSC goal sent after the abort is a zero delta.
        let after = goals.filter { $0.t > noticedAt + 0.2 }.map(\.goal)
        #expect(after.allSatisfy { [$0.x, $0.y, $0.z, $0.ax, $0.ay, $0.az].allSatisfy { $0 == 0 } }, "a motion goal went out after the abort")
        // The earlier episode is intact, and no partial file claims to be an episode.
        let check = try await awaitBlocking { try EpisodeCheck.run(run) }
        #expect(check.problems == [], "\(check.problems)")
        #expect(check.episodes == 1)
        #expect(Self.partials(run).isEmpty)
    }

    /// A real recording exported to both LeRobot formats and checked by lerobot-doctor (an
    /// independent validator, no LeRobot or torch), plus `pld inspect` on the same run. The
    /// cameras here are rendered by MuJoCo, so the videos show the scene.
    @Test func bothExportFormatsOfARecordedRunPassLerobotDoctor() async throws {
        let cell = try RecordingAgainstSimTests.shortEpisodeCell(steps: 300)
        defer { cell.remove() }
        let run = cell.directory.appendingPathComponent("run").path
        let sim = try await awaitBlocking { try cell.launchSim(scene: "franka-cube", RunAgainstSimTests.simPolicy) }
        defer { sim.stop() }
        let pld = BuiltProducts.executable("pld")
        let configPath = cell.configPath
        let recorded = try await awaitBlocking {
            try PythonPeer.run(pld, ["run", "--config", configPath, "--episodes", "3", "--out", run], timeoutSeconds: 240)
        }
        #expect(recorded.status == 0, "\(recorded.stderr)")
        print(recorded.stdout)
        let check = try await awaitBlocking { try EpisodeCheck.run(run) }
        #expect(check.problems == [], "\(check.problems)")
        try #require(check.episodes == 3, "\(recorded.stdout)\n\(recorded.stderr)")

        // pld inspect: a row per episode and the totals, from the index alone.
        let inspect = try PythonPeer.run(pld, ["inspect", "--run", run])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        print(inspect.stdout)
        let rows = inspect.stdout.split(separator: "\n")
        #expect(rows.count == 5, "header, 3 episodes, totals")
        #expect(rows.last?.hasPrefix("total: 3 episodes") == true)
        let inspectJSON = try PythonPeer.run(pld, ["inspect", "--run", run, "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(inspectJSON.stdout.utf8)) as? [String: Any]
        #expect((parsed?["totals"] as? [String: Any])?["frames"] as? Int == check.summary.reduce(0) { $0 + $1.length })

        for format in ["lerobot-v2.1", "lerobot-v3.0"] {
            let out = cell.directory.appendingPathComponent(format).path
            let exported = try await awaitBlocking {
                try PythonPeer.run(pld, ["export", "--run", run, "--format", format, "--out", out], timeoutSeconds: 240)
            }
            #expect(exported.status == 0, "\(exported.stderr)")
            let report = exported.stdout.split(separator: "\n").last.map(String.init) ?? ""
            print("\(format): \(report)")
            let summary = try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any]
            #expect(summary?["episodes"] as? Int == 3)
            let doctor = try await awaitBlocking {
                try PythonPeer.run(PythonPeer.interpreter, ["-m", "lerobot_doctor.cli", "check", out, "--ci"], timeoutSeconds: 240)
            }
            print("lerobot-doctor \(format): \(doctor.stderr.split(separator: "\n").last ?? "")")
            #expect(doctor.status == 0, "lerobot-doctor failed on \(format): \(doctor.stdout.prefix(4000))")
        }

        // Exporting twice into the same directory is refused without --overwrite, in one line.
        let again = try PythonPeer.run(pld, ["export", "--run", run, "--format", "lerobot-v2.1", "--out", cell.directory.appendingPathComponent("lerobot-v2.1").path])
        #expect(again.status == 1)
        #expect(again.stderr.hasPrefix("export: error:") && again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
    }
}
}
