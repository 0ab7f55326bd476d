import Foundation
import PLDCore
import Runtime
import TestSupport
import Testing

/// The stage machine and the remote classifier path end to end: `pld run` (the binary) against
/// `pld sim --scene franka-cube`, episodes read back with h5py (Tests/Peers/check_episodes.py).
extension AgainstSim {
@Suite(.serialized, .timeLimit(.minutes(8))) struct StagesAgainstSimTests {
    /// franka-cube as a two-stage task: `reach` (the end effector low over the table) then
    /// `lift` (the cube 10 cm up with the fingers closed on it; one retry).
    static func twoStageCell() throws -> SimCell {
        let cell = try RecordingAgainstSimTests.shortEpisodeCell(steps: 400)
        var text = try String(contentsOfFile: cell.configPath, encoding: .utf8)
        let successStart = try #require(text.range(of: "\nsuccess:\n"))
        let successEnd = try #require(text.range(of: "\n\n", range: successStart.upperBound..<text.endIndex))
        text.removeSubrange(successStart.lowerBound..<successEnd.lowerBound)
        text = text.replacingOccurrences(of: "        value: 0.10\n", with: """
                    value: 0.10
              - name: ee_low
                kind: rules
                rules:
                  - {source: arm.franka.ee_position, index: 2, op: lt, value: 0.09}

            """)
        text = text.replacingOccurrences(of: "\nstages: []\n", with: """

            stages:
              - name: reach
                prompt: reach down to the cube
                success: {classifier: ee_low, debounce_ticks: 2}
                timeout_s: 9
              - name: lift
                prompt: pick up the cube
                success:
                  classifier: cube_lifted
                  debounce_ticks: 3
                  require: [{source: arm.franka.gripper_position, op: gt, value: 0.2}]
                timeout_s: 4
                retries: 1
                on_timeout: retry

            """)
        try text.write(toFile: cell.configPath, atomically: true, encoding: .utf8)
        let config = try RobotConfig.load(path: cell.configPath)
        try #require(config.stages.map(\.name) == ["reach", "lift"] && config.success == nil)
        return cell
    }

    @Test func aTwoStageTaskRunsItsStagesInOrderAndRecordsThem() async throws {
        let cell = try Self.twoStageCell()
        defer { cell.remove() }
        let run = cell.directory.appendingPathComponent("run").path
        let sim = try await awaitBlocking { try cell.launchSim(scene: "franka-cube", RecordingAgainstSimTests.simOptions) }
        defer { sim.stop() }
        let pld = try RecordingAgainstSimTests.pld(["run", "--config", cell.configPath, "--episodes", "3", "--out", run, "--no-tui"])
        let lines = await (try? awaitBlocking { pld.remainingLines(timeoutMilliseconds: 300_000) }) ?? []
        print(lines.filter { $0.hasPrefix("episode") || $0.hasPrefix("stage") }.joined(separator: "\n"))
        let episodeLines = lines.filter { $0.hasPrefix("episode ") }
        #expect(episodeLines.count == 3, "\(lines.suffix(10))")
        #expect(lines.contains { $0.hasPrefix("stage reach: reached in 3 episodes") }, "\(lines.suffix(12))")
        let check = try await awaitBlocking { try EpisodeCheck.run(run) }
        #expect(check.problems == [], "\(check.problems)")
        #expect(check.summary.count == 3)
        for episode in check.summary {
            #expect(episode.stages == ["reach", "lift"])
            // The policy always gets low over the table: every episode reaches `lift`.
            #expect(episode.stage_sequence.first == 0)
            #expect(episode.stage_attempts[0] == 1 && episode.stage_successes[0] == 1, "\(episode)")
            #expect(episode.stage_sequence.starts(with: [0, 1]), "\(episode.stage_sequence)")
            switch episode.outcome {
            case "success":
                #expect(episode.stage_successes == [1, 1])
                #expect((1...2).contains(episode.stage_attempts[1]))
            case "failure":
                // Both tries of `lift` timed out (4 s each): retries are spent, the task fails.
                #expect(episode.stage_attempts[1] == 2 && episode.stage_successes[1] == 0, "\(episode)")
            default:
                Issue.record("unexpected outcome \(episode.outcome) (\(episode.aborted_reason))")
            }
        }
        let report = try String(contentsOfFile: run + "/report.md", encoding: .utf8)
        #expect(report.contains("## Stages"))
    }

    /// The success check as a remote service (pyzmq REP): while it answers, lifted cubes count;
    /// with the service gone, the score is unknown (NaN in `/classifier/cube_lifted`) and no
    /// episode succeeds, lifted or not.
    @Test func aRemoteSuccessClassifierCountsWhileUpAndIsUnknownWhenDown() async throws {
        let cell = try RecordingAgainstSimTests.shortEpisodeCell(steps: 260)
        defer { cell.remove() }
        let port = try SimCell.freePort()
        var text = try String(contentsOfFile: cell.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: """
                kind: rules
                # rules: source[index] <op> value, all must hold (lt | le | gt | ge).
                # Cube centre more than 10 cm above the table (it rests at z ≈ 0.025 m).
                rules:
                  - source: feature.cube_pose
                    index: 2
                    op: gt
                    value: 0.10

            """, with: """
                kind: remote
                endpoint: tcp://127.0.0.1:\(port)
                timeout_s: 0.5
                inputs: [feature.cube_pose, camera.wrist]

            """)
        try text.write(toFile: cell.configPath, atomically: true, encoding: .utf8)
        try #require(try RobotConfig.load(path: cell.configPath).classifiers.first?.kind == .remote)
        let sim = try await awaitBlocking { try cell.launchSim(scene: "franka-cube", RecordingAgainstSimTests.simOptions) }
        defer { sim.stop() }
        func runEpisodes(_ n: Int, into run: String) async throws -> EpisodeCheck {
            let pld = try RecordingAgainstSimTests.pld(["run", "--config", cell.configPath, "--episodes", String(n), "--out", run, "--no-tui"])
            let lines = await (try? awaitBlocking { pld.remainingLines(timeoutMilliseconds: 300_000) }) ?? []
            print(lines.filter { $0.hasPrefix("episode") || $0.contains("classifier") }.joined(separator: "\n"))
            let dump = (0..<n).map { "\($0):classifier/cube_lifted,observations/features/cube_pose" }
            return try await awaitBlocking { try EpisodeCheck.run(run, dump: dump) }
        }
        // Up.
        let service = try PythonPeer.launch(
            "classifier_service.py", ["--bind", "tcp://127.0.0.1:\(port)", "--input", "feature.cube_pose", "--index", "2", "--above", "0.1"])
        defer { service.stop() }
        _ = try service.waitForLine(prefix: "READY", timeoutMilliseconds: 10_000)
        let up = try await runEpisodes(3, into: cell.directory.appendingPathComponent("up").path)
        #expect(up.problems == [], "\(up.problems)")
        let served = try service.waitForLine(prefix: "requests ", timeoutMilliseconds: 5_000)
        #expect(!served.hasSuffix(" images 0"), "the service got no camera frames: \(served)")
        let upScores = Self.values(up, "classifier/cube_lifted").flatMap(Self.numbers)
        #expect(upScores.contains { $0 == 0 }, "answers were recorded")
        for episode in up.summary where episode.outcome == "success" { #expect(episode.length < 260) }
        // Down.
        service.stop()
        let down = try await runEpisodes(3, into: cell.directory.appendingPathComponent("down").path)
        #expect(down.problems == [], "\(down.problems)")
        #expect(down.summary.allSatisfy { $0.outcome == "timeout" }, "\(down.summary.map(\.outcome))")
        let downScores = Self.values(down, "classifier/cube_lifted").flatMap(Self.numbers)
        #expect(!downScores.isEmpty && downScores.allSatisfy(\.isNaN), "scores recorded while the service was down must be unknown")
        let lifted = Self.values(down, "observations/features/cube_pose").flatMap(Self.rows).contains { $0.count > 2 && $0[2] > 0.1 }
        print("service down: \(downScores.count) scores, all unknown; a cube was lifted meanwhile: \(lifted)")
    }

    /// Every episode's dump of `dataset`.
    static func values(_ check: EpisodeCheck, _ dataset: String) -> [JSONValue] {
        check.dump.filter { $0.key.hasSuffix(":" + dataset) }.sorted { $0.key < $1.key }.map(\.value)
    }

    static func numbers(_ value: JSONValue?) -> [Double] {
        guard case let .array(items) = value else { return [] }
        return items.flatMap { item -> [Double] in
            switch item {
            case let .number(n): return [n]
            case .null: return [.nan]
            case .array: return numbers(item)
            default: return []
            }
        }
    }

    static func rows(_ value: JSONValue?) -> [[Double]] {
        guard case let .array(items) = value else { return [] }
        return items.map { numbers($0) }
    }
}
}
