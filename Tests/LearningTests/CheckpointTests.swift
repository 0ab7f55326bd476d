import Foundation
@testable import Learning
import Policies
import TestSupport
import Testing

/// Checkpoints: a saved and reloaded learner continues training bit for bit; malformed or
/// mismatched files fail with one line naming the file, never a crash, and leave the learner
/// as it was.
@Suite struct CheckpointTests {
    static func bytes(_ learner: SACLearner) throws -> [UInt8] {
        let path = LearnerFixtures.temporaryPath("state")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try learner.saveCheckpoint(toFile: path)
        return [UInt8](FileManager.default.contents(atPath: path)!)
    }

    @Test func roundTripContinuesBitIdentically() throws {
        let original = try LearnerFixtures.smallLearner(seed: 5)
        original.warmStart(steps: 4)
        original.update(count: 3)
        let path = LearnerFixtures.temporaryPath("checkpoint")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try original.saveCheckpoint(toFile: path)
        let before = try Self.bytes(original)
        let stats = original.update(count: 5)!

        // A different seed: everything must come from the file.
        let resumed = try LearnerFixtures.smallLearner(seed: 77)
        try resumed.loadCheckpoint(fromFile: path)
        #expect(try Self.bytes(resumed) == before, "loaded state differs from the saved state")
        let resumedStats = resumed.update(count: 5)!
        #expect(resumedStats == stats)
        #expect(try Self.bytes(resumed) == (try Self.bytes(original)), "training diverged after the reload")
        #expect(resumed.updateCount == 12 && resumed.warmStartStepCount == 4 && resumed.criticStepCount == 24)

        // The resuming initialiser takes the normaliser from the file; the replay buffers come
        // from their own files.
        let fresh = try SACLearner(resumingFrom: path, configuration: resumed.configuration)
        #expect(fresh.normalizer == original.normalizer)
        let offlinePath = LearnerFixtures.temporaryPath("offline"), onlinePath = LearnerFixtures.temporaryPath("online")
        defer {
            try? FileManager.default.removeItem(atPath: offlinePath)
            try? FileManager.default.removeItem(atPath: onlinePath)
        }
        try resumed.offline.write(toFile: offlinePath)
        try resumed.online.write(toFile: onlinePath)
        try fresh.offline.load(fromFile: offlinePath)
        try fresh.online.load(fromFile: onlinePath)
        fresh.update(count: 5)
        #expect(try Self.bytes(fresh) == (try Self.bytes(original)))
    }

    static func contents(_ buffer: ReplayBuffer) -> [Transition] { (0..<buffer.count).map { buffer.transition(at: $0) } }

    @Test func replayBufferFilesRestoreTheRing() throws {
        let buffer = ReplayBuffer(capacity: 50, inputDimensions: 3, actionDimensions: 2)
        var random = LearnerRandom(seed: 6)
        for i in 0..<120 {
            let x = [Float(i), Float(random.nextUnit()), 0]
            buffer.append(input: x, action: [0.5, -0.5], reward: Float(i), nextInput: x, done: i % 7 == 0,
                          monteCarloReturn: i % 3 == 0 ? -.infinity : Float(i))
        }
        let path = LearnerFixtures.temporaryPath("replay")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try buffer.write(toFile: path)

        let same = ReplayBuffer(capacity: 50, inputDimensions: 3, actionDimensions: 2)
        try same.load(fromFile: path)
        #expect(same.count == 50 && same.appended == 120)
        #expect(Self.contents(same) == Self.contents(buffer))
        #expect(Self.contents(same).map(\.reward) == (70..<120).map(Float.init), "oldest first")
        let batchA = TransitionBatch(rows: 16, inputDimensions: 3, actionDimensions: 2), batchB = TransitionBatch(rows: 16, inputDimensions: 3, actionDimensions: 2)
        var r1 = LearnerRandom(seed: 1), r2 = LearnerRandom(seed: 1)
        buffer.sample(rows: 16, into: batchA, at: 0, random: &r1)
        same.sample(rows: 16, into: batchB, at: 0, random: &r2)
        #expect((0..<16).map { batchA.rewards[$0] } == (0..<16).map { batchB.rewards[$0] }, "same draws, same transitions")

        let smaller = ReplayBuffer(capacity: 30, inputDimensions: 3, actionDimensions: 2)
        try smaller.load(fromFile: path)
        #expect(Self.contents(smaller).map(\.reward) == (90..<120).map(Float.init))
        let larger = ReplayBuffer(capacity: 200, inputDimensions: 3, actionDimensions: 2)
        try larger.load(fromFile: path)
        #expect(Self.contents(larger) == Self.contents(buffer))

        let wrongWidth = ReplayBuffer(capacity: 50, inputDimensions: 4, actionDimensions: 2)
        do {
            try wrongWidth.load(fromFile: path)
            Issue.record("loading into a buffer of another width succeeded")
        } catch {
            #expect(error.description.hasPrefix(path) && error.description.contains("input width 3"))
        }
        #expect(wrongWidth.count == 0)
    }

    @Test func trainingIsReproducibleForASeed() throws {
        let a = try LearnerFixtures.smallLearner(seed: 9), b = try LearnerFixtures.smallLearner(seed: 9)
        a.update(count: 3)
        b.update(count: 3)
        #expect(try Self.bytes(a) == (try Self.bytes(b)))
        let c = try LearnerFixtures.smallLearner(seed: 10)
        c.update(count: 3)
        #expect(try Self.bytes(a) != (try Self.bytes(c)))
    }

    static func expectOneLineError(_ learner: SACLearner, _ path: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try bytes(learner)
        do {
            try learner.loadCheckpoint(fromFile: path)
            Issue.record("loading \(path) succeeded; expected an error containing \"\(fragment)\"", sourceLocation: sourceLocation)
        } catch {
            let text = error.description
            print("checkpoint error: \(text)")
            #expect(!text.contains("\n"), "error spans lines: \(text)", sourceLocation: sourceLocation)
            #expect(text.hasPrefix(path), "error does not start with the file: \(text)", sourceLocation: sourceLocation)
            #expect(text.contains(fragment), "error \"\(text)\" lacks \"\(fragment)\"", sourceLocation: sourceLocation)
        }
        #expect(try bytes(learner) == before, "a failed load changed the learner", sourceLocation: sourceLocation)
    }

    static func write(_ bytes: [UInt8], _ stem: String) -> String {
        let path = LearnerFixtures.temporaryPath(stem)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// A valid checkpoint's tensors and metadata, editable.
    static func parts(_ learner: SACLearner) throws -> (metadata: [String: String], tensors: [(String, [Int], [Double])]) {
        let file = try SafetensorsFile(bytes: try bytes(learner), name: "parts")
        return (file.metadata, try file.tensorNames.map { ($0, file.tensors[$0]!.shape, try file.doubles($0)) })
    }

    static func encode(_ metadata: [String: String], _ tensors: [(String, [Int], [Double])]) -> [UInt8] {
        var w = SafetensorsWriter(metadata: metadata)
        for (name, shape, values) in tensors { w.add(name, dtype: .f32, shape: shape, values: values) }
        return w.encoded()
    }

    @Test func malformedAndMismatchedCheckpointsFailInOneLine() throws {
        let learner = try LearnerFixtures.smallLearner()
        learner.update(count: 2)
        let (metadata, tensors) = try Self.parts(learner)
        var cases: [(bytes: [UInt8], fragment: String)] = []
        cases.append(([1, 2, 3], "too short"))
        cases.append((Array("not a safetensors file at all, just text".utf8), "header"))
        let valid = Self.encode(metadata, tensors)
        cases.append((Array(valid.prefix(valid.count - 10)), "data section"))
        var m = metadata; m["learner.format"] = nil
        cases.append((Self.encode(m, tensors), "no `learner.format`"))
        m = metadata; m["learner.format"] = "sac-learner/9"
        cases.append((Self.encode(m, tensors), "sac-learner/9"))
        m = metadata; m["learner.hidden"] = "[64,64]"
        cases.append((Self.encode(m, tensors), "learner.hidden"))
        m = metadata; m["learner.random_state"] = "1,2,x,4"
        cases.append((Self.encode(m, tensors), "random_state"))
        m = metadata; m["learner.critic_steps"] = "-3"
        cases.append((Self.encode(m, tensors), "critic_steps"))
        var t = tensors; t.removeAll { $0.0 == "critic.q2.head.weight" }
        cases.append((Self.encode(metadata, t), "critic.q2.head.weight"))
        t = tensors; t[t.firstIndex { $0.0 == "actor.layers.0.weight" }!].2[3] = .nan
        cases.append((Self.encode(metadata, t), "actor.layers.0.weight"))
        t = tensors; t[t.firstIndex { $0.0 == "adam_v.actor.head.bias" }!].2[0] = -1
        cases.append((Self.encode(metadata, t), "adam_v.actor.head.bias"))
        t = tensors; let i = t.firstIndex { $0.0 == "target.critic.q1.layers.0.weight" }!
        t[i].1 = [t[i].1[1], t[i].1[0]]
        cases.append((Self.encode(metadata, t), "target.critic.q1.layers.0.weight"))
        t = tensors; t.append(("extra.tensor", [1], [0]))
        cases.append((Self.encode(metadata, t), "extra.tensor"))
        t = tensors; t[t.firstIndex { $0.0 == "obs_std" }!].2[0] = 42
        cases.append((Self.encode(metadata, t), "normaliser"))

        for (bytes, fragment) in cases {
            let path = Self.write(bytes, "bad")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Self.expectOneLineError(learner, path, containing: fragment)
        }
        try Self.expectOneLineError(learner, "/nonexistent/dir/checkpoint.safetensors", containing: "no such file")

        // A checkpoint of a learner with other widths.
        let other = try LearnerFixtures.smallLearner(input: 10, action: 3)
        let otherPath = LearnerFixtures.temporaryPath("other")
        defer { try? FileManager.default.removeItem(atPath: otherPath) }
        try other.saveCheckpoint(toFile: otherPath)
        try Self.expectOneLineError(learner, otherPath, containing: "learner.input_dim")

        // A residual file is not a checkpoint.
        let residualPath = LearnerFixtures.temporaryPath("residual")
        defer { try? FileManager.default.removeItem(atPath: residualPath) }
        try learner.writeResidual(toFile: residualPath)
        try Self.expectOneLineError(learner, residualPath, containing: "residual-mlp/1")
    }

    @Test func fuzzedCheckpointsNeverCrash() throws {
        let learner = try LearnerFixtures.smallLearner(input: 4, action: 2)
        let valid = try Self.bytes(learner)
        var random = SeededRandom(seed: 31)
        var failures = 0
        for _ in 0..<300 {
            let mutated = random.fuzzInput(from: valid, maxLength: 2048)
            let path = Self.write(mutated, "fuzz")
            defer { try? FileManager.default.removeItem(atPath: path) }
            do { try learner.loadCheckpoint(fromFile: path) } catch {
                failures += 1
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(failures > 250, "only \(failures) of 300 mutated files were refused")
    }

    @Test func badConfigurationAndNormaliserFailInOneLine() {
        var c = SACConfiguration(inputDimensions: 3, actionDimensions: 5)
        #expect(throws: LearningError.self) { try SACLearner(configuration: c, normalizer: .identity(dimensions: 3)) }
        c = SACConfiguration(inputDimensions: 8, actionDimensions: 2)
        #expect(throws: LearningError.self) { try SACLearner(configuration: c, normalizer: .identity(dimensions: 7)) }
        #expect(throws: LearningError.self) { try ObservationNormalizer(mean: [0, 0], std: [1, 0]) }
        c.batchSize = 0
        do {
            _ = try SACLearner(configuration: c, normalizer: .identity(dimensions: 8))
            Issue.record("batch size 0 accepted")
        } catch {
            #expect(error.description.contains("batchSize") && !error.description.contains("\n"))
        }
    }
}
