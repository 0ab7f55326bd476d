import Foundation
import PLDCore
import Policies
import TestSupport
import Testing

/// Loading format residual-mlp/1: every mistake an exporter can make is one line naming the file
/// and the metadata key or tensor.
@Suite struct ResidualLoadingTests {
    /// A small valid network as editable (metadata, tensors).
    struct Parts {
        var metadata: [String: String]
        var tensors: [String: (shape: [Int], values: [Double])]

        init() {
            var network = ResidualNetwork.zeroInitialized(
                ResidualArchitecture(stateDimensions: 3, actionDimensions: 2, hidden: [8, 6]), seed: 4, initialLogStd: -1)
            network.muWeight = (0..<12).map { Double($0) / 20 - 0.3 }
            let writer = network.safetensors(dtype: .f64)
            let file = try! SafetensorsFile(bytes: writer.encoded(), name: "parts")
            metadata = file.metadata
            tensors = [:]
            for name in file.tensorNames { tensors[name] = (file.tensors[name]!.shape, try! file.doubles(name)) }
        }

        func bytes() -> [UInt8] {
            var w = SafetensorsWriter(metadata: metadata)
            for (name, t) in tensors { w.add(name, dtype: .f64, shape: t.shape, values: t.values) }
            return w.encoded()
        }
    }

    @Test func validPartsLoad() throws {
        let network = try ResidualNetwork(safetensors: SafetensorsFile(bytes: Parts().bytes(), name: "ok.safetensors"))
        #expect(network.architecture.hidden == [8, 6] && network.architecture.stateDimensions == 3)
        #expect(network.architecture.logStd == .parameter && network.logStd == [-1, -1])
        #expect(!network.hasZeroOutputLayer)
    }

    static func mutate(_ label: String, _ p: inout Parts) {
        switch label {
        case "no format": p.metadata["pld.format"] = nil
        case "other format": p.metadata["pld.format"] = "residual-mlp/2"
        case "typo key": p.metadata["pld.hiden"] = "[8]"
        case "bad hidden": p.metadata["pld.hidden"] = "[8,x]"
        case "zero width": p.metadata["pld.hidden"] = "[8,0]"
        case "input dim": p.metadata["pld.input_dim"] = "0"
        case "action > input": p.metadata["pld.action_dim"] = "9"
        case "activation": p.metadata["pld.activation"] = "gelu"
        case "layer norm text": p.metadata["pld.layer_norm"] = "yes"
        case "eps": p.metadata["pld.layer_norm_eps"] = "-1"
        case "log std range": p.metadata["pld.log_std_min"] = "5"
        case "transposed": p.tensors["layers.1.weight"]!.shape = [8, 6]
        case "missing mu": p.tensors["mu.weight"] = nil
        case "missing log_std": p.tensors["log_std"] = nil
        case "extra tensor": p.tensors["critic.weight"] = ([1], [0])
        case "undeclared log std": p.metadata["pld.log_std"] = "none"
        case "ln without flag": p.metadata["pld.layer_norm"] = "false"
        case "nan weight": p.tensors["layers.0.weight"]!.values[7] = .nan
        case "zero std": p.tensors["obs_std"]!.values[2] = 0
        case "mean alone": p.tensors["obs_std"] = nil
        default: Issue.record("no mutation \(label)")
        }
    }

    @Test(arguments: [
        ("no format", nil, "no `pld.format`"),
        ("other format", nil, "\"residual-mlp/2\", expected \"residual-mlp/1\""),
        ("typo key", nil, "unknown metadata key `pld.hiden`"),
        ("bad hidden", nil, "`pld.hidden` is \"[8,x]\""),
        ("zero width", nil, "`pld.hidden`"),
        ("input dim", nil, "`pld.input_dim` is \"0\""),
        ("action > input", nil, "exceeds `pld.input_dim`"),
        ("activation", nil, "expected one of tanh, relu"),
        ("layer norm text", nil, "expected true or false"),
        ("eps", nil, "must be positive"),
        ("log std range", nil, "exceeds `pld.log_std_max`"),
        ("transposed", "layers.1.weight", "shape [8, 6], expected [6, 8]"),
        ("missing mu", "mu.weight", "missing"),
        ("missing log_std", "log_std", "missing"),
        ("extra tensor", "critic.weight", "not part of the architecture"),
        ("undeclared log std", "log_std", "does `pld.log_std` say how σ is given?"),
        ("ln without flag", "layers.0.ln.bias", "is `pld.layer_norm` \"true\"?"),
        ("nan weight", "layers.0.weight", "element 7 is nan"),
        ("zero std", "obs_std", "must be positive"),
        ("mean alone", "obs_mean", "present without `obs_std`"),
    ] as [(String, String?, String)])
    func exporterMistakesFailWithOneLine(label: String, tensor: String?, reason: String) {
        var parts = Parts()
        Self.mutate(label, &parts)
        do {
            _ = try ResidualNetwork(safetensors: SafetensorsFile(bytes: parts.bytes(), name: "w.safetensors"))
            Issue.record("\(label): loaded")
        } catch {
            #expect(error.file == "w.safetensors" && error.tensor == tensor, "\(label): \(error)")
            #expect(error.description.contains(reason), "\(label): \(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    /// Optional tensors default as documented: biases 0, LayerNorm γ 1 / β 0, no normaliser.
    @Test func optionalTensorsTakeTheirDefaults() throws {
        var parts = Parts()
        for name in ["layers.0.bias", "layers.1.ln.weight", "layers.1.ln.bias", "mu.bias", "obs_mean", "obs_std"] { parts.tensors[name] = nil }
        let network = try ResidualNetwork(safetensors: SafetensorsFile(bytes: parts.bytes(), name: "w"))
        #expect(network.layers[0].bias == [Double](repeating: 0, count: 8))
        #expect(network.layers[1].normWeight == [Double](repeating: 1, count: 6) && network.layers[1].normBias == [Double](repeating: 0, count: 6))
        #expect(network.muBias == [0, 0] && network.observationMean == [0, 0, 0, 0, 0] && network.observationStd == [1, 1, 1, 1, 1])
    }

    @Test func configWidthMismatchNamesTheFile() throws {
        let path = ResidualFixtures.temporaryPath("mismatch")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Parts().bytes())))
        var config = ResidualConfig()
        config.weightsPath = path
        #expect(throws: Never.self) { try ResidualPolicy(config: config, stateDimensions: 3, actionDimensions: 2) }
        do {
            _ = try ResidualPolicy(config: config, stateDimensions: 4, actionDimensions: 2)
            Issue.record("loaded with the wrong width")
        } catch {
            #expect(error.description == "\(path): residual takes 3 state values + 2 action dims (pld.input_dim 5, pld.action_dim 2), but the config gives 4 state values + 2 action dims")
        }
        config.weightsPath = "/nonexistent/residual.safetensors"
        #expect(throws: SafetensorsError(file: "/nonexistent/residual.safetensors", reason: "no such file")) {
            try ResidualPolicy(config: config, stateDimensions: 3, actionDimensions: 2)
        }
    }

    /// 4,000 mutated residual files through the full loader: each loads or throws; whatever
    /// loads has consistent shapes and runs.
    @Test func fuzzedResidualFilesLoadOrFailCleanly() {
        let seedBytes = Parts().bytes()
        var random = SeededRandom(seed: 0x0E51_D0A1)
        var loaded = 0
        var out = ActionVector(count: 0)
        for _ in 0..<4_000 {
            let input = random.fuzzInput(from: seedBytes, maxLength: 800)
            guard let file = try? SafetensorsFile(bytes: input, name: "fuzz"),
                let network = try? ResidualNetwork(safetensors: file)
            else { continue }
            loaded += 1
            let arch = network.architecture
            #expect(network.layers.count == arch.hidden.count && network.muWeight.count == arch.actionDimensions * arch.hidden.last!)
            let policy = ResidualPolicy(network: network, xi: 0.5, mode: .sample, seed: 1, backend: .simd)
            let features = [Double](repeating: 0.1, count: arch.stateDimensions)
            policy.act(features: features.span, baseAction: ActionVector(count: arch.actionDimensions), into: &out)
            #expect(out.count == arch.actionDimensions)
        }
        #expect(loaded > 0, "some mutations (data bytes) still load")
    }
}
