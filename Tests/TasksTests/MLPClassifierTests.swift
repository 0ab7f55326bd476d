import Foundation
import PLDCore
import Policies
import Tasks
import TestSupport
import Testing

/// The learned classifier (`kind: mlp`, `classifier-mlp/1`) against numpy: the training tool's
/// own forward pass (Tools/train_classifier) writes a random network and scores random inputs.
@Suite struct MLPClassifierTests {
    func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("pld-mlp-\(UUID().uuidString.prefix(8))-\(name)").path
    }

    @Test(arguments: [(5, "8,4"), (23, "64,64"), (1, "3")])
    func scoresMatchTheNumpyReference(inputDim: Int, hidden: String) throws {
        let path = scratch("ref.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tool = PythonPeer.repositoryRoot.appendingPathComponent("Tools/train_classifier/train_classifier.py").path
        let result = try PythonPeer.run(
            PythonPeer.interpreter, [tool, "reference", path, "--input-dim", String(inputDim), "--hidden", hidden, "--seed", String(inputDim), "--count", "40"])
        try #require(result.status == 0, "\(result.stderr)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let inputs = try #require(reference["inputs"] as? [[Double]])
        let scores = try #require(reference["scores"] as? [Double])
        let classifier = try MLPClassifier(contentsOfFile: path)
        #expect(classifier.inputDimensions == inputDim)
        var worst = 0.0, spread = (lo: 1.0, hi: 0.0)
        for (x, expected) in zip(inputs, scores) {
            let score = x.withUnsafeBufferPointer { classifier.score($0) }
            worst = max(worst, abs(score - expected))
            spread = (min(spread.lo, expected), max(spread.hi, expected))
        }
        // Float32 weights evaluated in Double on both sides: agreement to rounding.
        #expect(worst < 1e-9, "largest difference \(worst)")
        // The reference is not degenerate (scores spread over the sigmoid's range).
        #expect(spread.hi - spread.lo > 0.05, "\(spread)")
    }

    @Test func aNonFiniteOrMissizedInputScoresUnknown() throws {
        let path = scratch("ref.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tool = PythonPeer.repositoryRoot.appendingPathComponent("Tools/train_classifier/train_classifier.py").path
        let result = try PythonPeer.run(PythonPeer.interpreter, [tool, "reference", path, "--input-dim", "3", "--count", "1"])
        try #require(result.status == 0, "\(result.stderr)")
        let classifier = try MLPClassifier(contentsOfFile: path)
        #expect([0.1, .nan, 0.3].withUnsafeBufferPointer { classifier.score($0) }.isNaN)
        #expect([0.1, .infinity, 0.3].withUnsafeBufferPointer { classifier.score($0) }.isNaN)
        #expect([0.1, 0.2].withUnsafeBufferPointer { classifier.score($0) }.isNaN)
        #expect([0.1, 0.2, 0.3].withUnsafeBufferPointer { classifier.score($0) }.isFinite)
    }

    /// Garbage and mismatched files: one line naming the file and what is wrong, never a crash.
    @Test func badFilesAreOneLineErrors() throws {
        func file(_ metadata: [String: String], _ tensors: [(String, [Int])]) -> SafetensorsWriter {
            var writer = SafetensorsWriter(metadata: metadata)
            for (name, shape) in tensors { writer.add(name, dtype: .f32, shape: shape, values: [Double](repeating: 0.5, count: shape.reduce(1, *))) }
            return writer
        }
        let good: [String: String] = ["pld.format": "classifier-mlp/1", "pld.input_dim": "3", "pld.hidden": "[4]"]
        let goodTensors: [(String, [Int])] = [("layers.0.weight", [4, 3]), ("out.weight", [1, 4])]
        #expect(throws: Never.self) { try MLPClassifier(safetensors: SafetensorsFile(bytes: file(good, goodTensors).encoded(), name: "good")) }
        var cases: [(String, SafetensorsWriter)] = [
            ("expected \"classifier-mlp/1\"", file(good.merging(["pld.format": "residual-mlp/1"]) { $1 }, goodTensors)),
            ("`pld.input_dim`", file(good.merging(["pld.input_dim": "-3"]) { $1 }, goodTensors)),
            ("`pld.hidden`", file(good.merging(["pld.hidden": "[4,"]) { $1 }, goodTensors)),
            ("`pld.hidden`", file(good.merging(["pld.hidden": "[]"]) { $1 }, goodTensors)),
            ("unknown metadata key `pld.hiden`", file(good.merging(["pld.hiden": "[4]"]) { $1 }, goodTensors)),
            ("expected relu or tanh", file(good.merging(["pld.activation": "gelu"]) { $1 }, goodTensors)),
            ("shape [4, 2], expected [4, 3]", file(good, [("layers.0.weight", [4, 2]), ("out.weight", [1, 4])])),
            ("missing tensor", file(good, [("layers.0.weight", [4, 3])])),
            ("unexpected tensor", file(good, goodTensors + [("layers.1.weight", [4, 4])])),
            ("obs_mean and obs_std come together", file(good, goodTensors + [("obs_mean", [3])])),
        ]
        var negativeStd = file(good, goodTensors)
        negativeStd.add("obs_mean", dtype: .f32, shape: [3], values: [0, 0, 0])
        negativeStd.add("obs_std", dtype: .f32, shape: [3], values: [1, -1, 1])
        cases.append(("standard deviations must be positive", negativeStd))
        for (expected, writer) in cases {
            do {
                _ = try MLPClassifier(safetensors: SafetensorsFile(bytes: writer.encoded(), name: "bad.safetensors"))
                Issue.record("accepted: \(expected)")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
                #expect(error.description.contains("bad.safetensors"))
                #expect(!error.description.contains("\n"))
            }
        }
        // Random bytes.
        var random = SeededRandom(seed: 9)
        for length in [0, 7, 8, 64, 300] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(throws: SafetensorsError.self) { try MLPClassifier(safetensors: SafetensorsFile(bytes: bytes, name: "noise")) }
        }
    }
}
