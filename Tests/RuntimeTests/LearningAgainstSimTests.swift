import Foundation
import Learning
import PLDCore
import Policies
import Runtime
import TestSupport
import Testing

/// The actor–learner link end to end: `pld learn` (the binary, learner on its own thread)
/// against `pld sim`, with a tiny network so it fits a test: warm-up episodes run base-only,
/// new weights are swapped in between episodes (each episode records the version it ran), and
/// what the learner wrote loads in the runtime and acts as the learner's own actor does.
extension AgainstSim {
@Suite(.serialized, .timeLimit(.minutes(6))) struct LearningAgainstSimTests {
    static func learningCell() throws -> SimCell {
        let cell = try RecordingAgainstSimTests.shortEpisodeCell(steps: 120)
        var text = try String(contentsOfFile: cell.configPath, encoding: .utf8)
        for (old, new) in [
            ("\n  warmup_episodes: 100", "\n  warmup_episodes: 2"), ("\n  warm_start_updates: 2000", "\n  warm_start_updates: 10"),
            ("\n  batch_size: 256", "\n  batch_size: 32"), ("\n  cql_action_samples: 10", "\n  cql_action_samples: 2"),
            ("\n  hidden_layers: 3", "\n  hidden_layers: 2"), ("\n  hidden_units: 256", "\n  hidden_units: 32"),
        ] {
            try #require(text.contains(old), "\(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: cell.configPath, atomically: true, encoding: .utf8)
        return cell
    }

    @Test func warmUpThenNewWeightsEveryEpisodeAndTheRuntimeActsAsTheLearner() async throws {
        let cell = try Self.learningCell()
        defer { cell.remove() }
        let run = cell.directory.appendingPathComponent("run").path
        let sim = try await awaitBlocking { try cell.launchSim(scene: "franka-cube", RecordingAgainstSimTests.simOptions) }
        defer { sim.stop() }
        let pld = try RecordingAgainstSimTests.pld(["learn", "--config", cell.configPath, "--episodes", "5", "--out", run, "--no-tui"])
        let lines = await (try? awaitBlocking { pld.remainingLines(timeoutMilliseconds: 240_000) }) ?? []
        print(lines.filter { $0.hasPrefix("episode") || $0.contains("learner") }.joined(separator: "\n"))
        #expect(lines.contains { $0.contains("learner: warm-up done") }, "\(lines.suffix(8))")
        #expect(lines.filter { $0.hasPrefix("episode ") }.count == 5)

        // Episodes: two base-only warm-up episodes (no handoff), then one new version each.
        let check = try await awaitBlocking { try EpisodeCheck.run(run) }
        #expect(check.problems == [], "\(check.problems)")
        let versions = try Self.attributes(run, "residual_version")
        let warmup = try Self.attributes(run, "learner_warmup")
        let handoffs = try Self.attributes(run, "handoff_step")
        print("residual versions \(versions), warm-up \(warmup), handoffs \(handoffs)")
        #expect(warmup.prefix(2) == ["1", "1"] && warmup.dropFirst(2).allSatisfy { $0 == "0" })
        #expect(handoffs.prefix(2) == ["-1", "-1"])
        let numbers = versions.compactMap(Int.init)
        #expect(numbers.prefix(2) == [0, 0])
        #expect(numbers.count == 5 && numbers[2] >= 1 && zip(numbers.dropFirst(2), numbers.dropFirst(3)).allSatisfy { $0 < $1 },
                "versions must grow between episodes: \(numbers)")
        let journal = try String(contentsOfFile: run + "/learner/learning.jsonl", encoding: .utf8)
        #expect(journal.split(separator: "\n").count == 5)

        // The final weights load in the runtime's ResidualPolicy and give the learner's actions.
        let latest = run + "/learner/residual_latest.safetensors"
        let network = try ResidualNetwork(contentsOfFile: latest)
        let policy = ResidualPolicy(network: network, xi: 0.5, mode: .mean)
        var configuration = SACConfiguration(inputDimensions: network.architecture.inputDimensions, actionDimensions: 7)
        configuration.hidden = [32, 32]
        configuration.batchSize = 32
        configuration.cql.actionSamples = 2
        let learner = try SACLearner(resumingFrom: run + "/learner/checkpoint.safetensors", configuration: configuration)
        var random = SeededRandom(seed: 5)
        var worst = 0.0, largest = 0.0
        for _ in 0..<50 {
            let x = (0..<network.architecture.inputDimensions).map { _ in Double.random(in: -1...1, using: &random) }
            let features = Array(x.prefix(network.architecture.stateDimensions))
            var base = ActionVector(count: 7)
            for d in 0..<7 { base[d] = x[network.architecture.stateDimensions + d] }
            var residual = ActionVector(count: 7)
            features.withUnsafeBufferPointer { buffer in policy.act(features: Span(_unsafeElements: buffer), baseAction: base, into: &residual) }
            let expected = learner.meanAction(x.map(Float.init)).map { 0.5 * Double($0) }
            for d in 0..<7 {
                worst = max(worst, abs(residual[d] - expected[d]))
                largest = max(largest, abs(expected[d]))
            }
        }
        print("runtime vs learner actions: largest difference \(worst), largest |a_δ| \(largest)")
        #expect(worst < 1e-5)
        #expect(largest > 1e-4, "the trained actor is not zero")
    }

    /// One root attribute of every episode file, in episode order (via h5py).
    static func attributes(_ run: String, _ name: String) throws -> [String] {
        let script = """
            import glob, h5py, sys
            for f in sorted(glob.glob(sys.argv[1] + '/episodes/*.hdf5')):
                v = h5py.File(f, 'r').attrs[sys.argv[2]]
                print(int(v))
            """
        let result = try PythonPeer.run(PythonPeer.interpreter, ["-c", script, run, name])
        guard result.status == 0 else { throw ChildProcess.Failure(description: result.stderr) }
        return result.stdout.split(separator: "\n").map(String.init)
    }
}
}
