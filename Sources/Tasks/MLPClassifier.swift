import Foundation
import PLDCore
import Policies

/// A learned reward classifier over feature vectors and proprioception (`kind: mlp`): HIL-SERL's
/// head without its image encoder — hidden layers Linear → LayerNorm → ReLU, then one logit;
/// the score is sigmoid(logit) ∈ (0, 1).
///
/// # File format `classifier-mlp/1`
///
/// A safetensors file (PyTorch layout, a Linear weight is [out, in]; F32 or F64):
///
/// | metadata | value | default |
/// |---|---|---|
/// | `pld.format` | `classifier-mlp/1` | required |
/// | `pld.input_dim` | width of the concatenated inputs | required |
/// | `pld.hidden` | JSON array of hidden widths, e.g. `[64,64]` | required |
/// | `pld.activation` | `relu` or `tanh` | `relu` |
/// | `pld.layer_norm` | `true` or `false` | `true` |
/// | `pld.layer_norm_eps` | LayerNorm ε | `1e-5` |
///
/// | tensor | shape | |
/// |---|---|---|
/// | `obs_mean`, `obs_std` | [input_dim] | optional, both or neither; x̂ = (x − mean) / std |
/// | `layers.{i}.weight`, `layers.{i}.bias` | [h_i, in_i], [h_i] | bias optional |
/// | `layers.{i}.ln.weight`, `layers.{i}.ln.bias` | [h_i] | with LayerNorm; optional (ones, zeros) |
/// | `out.weight`, `out.bias` | [1, h_last], [1] | bias optional |
///
/// `Tools/train_classifier` writes this format from recorded episodes.
///
/// Threading: loading anywhere; `score(_:)` on the control thread, allocation-free (buffers are
/// allocated at load).
public final class MLPClassifier: @unchecked Sendable {
    // @unchecked: the scratch buffers are touched only by `score`, which one thread calls.
    public static let formatName = "classifier-mlp/1"
    public static let maxInputDimensions = 8192
    public static let maxHiddenUnits = 4096

    public let inputDimensions: Int
    public let hidden: [Int]
    public let layerNorm: Bool
    public let relu: Bool
    let epsilon: Double
    let mean: [Double]
    let inverseStd: [Double]
    let weights: [[Double]]
    let biases: [[Double]]
    let normWeights: [[Double]]
    let normBiases: [[Double]]
    let outWeight: [Double]
    let outBias: Double
    private let scratchA: UnsafeMutableBufferPointer<Double>
    private let scratchB: UnsafeMutableBufferPointer<Double>

    public convenience init(contentsOfFile path: String) throws(SafetensorsError) {
        try self.init(safetensors: SafetensorsFile(contentsOfFile: path))
    }

    public init(safetensors file: SafetensorsFile) throws(SafetensorsError) {
        let name = file.name
        func fail(_ reason: String, tensor: String? = nil) -> SafetensorsError { SafetensorsError(file: name, tensor: tensor, reason: reason) }
        let meta = file.metadata
        let known: Set<String> = ["pld.format", "pld.input_dim", "pld.hidden", "pld.activation", "pld.layer_norm", "pld.layer_norm_eps"]
        if let unknown = meta.keys.sorted().first(where: { $0.hasPrefix("pld.") && !known.contains($0) }) {
            throw fail("unknown metadata key `\(unknown)` (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard meta["pld.format"] == Self.formatName else {
            throw fail("metadata `pld.format` is \(meta["pld.format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(Self.formatName)\" (see MLPClassifier for the format)")
        }
        guard let inputText = meta["pld.input_dim"], let input = Int(inputText), (1...Self.maxInputDimensions).contains(input) else {
            throw fail("metadata `pld.input_dim` is \(meta["pld.input_dim"].map { "\"\($0)\"" } ?? "missing"), expected an integer in 1...\(Self.maxInputDimensions)")
        }
        let hiddenText = meta["pld.hidden"] ?? ""
        guard let hidden = try? JSONDecoder().decode([Int].self, from: Data(hiddenText.utf8)), (1...8).contains(hidden.count),
            hidden.allSatisfy({ (1...Self.maxHiddenUnits).contains($0) })
        else {
            throw fail("metadata `pld.hidden` is \"\(hiddenText)\", expected a JSON array of 1 to 8 widths in 1...\(Self.maxHiddenUnits), e.g. [64,64]")
        }
        let activation = meta["pld.activation"] ?? "relu"
        guard activation == "relu" || activation == "tanh" else { throw fail("metadata `pld.activation` is \"\(activation)\", expected relu or tanh") }
        let norm = meta["pld.layer_norm"] ?? "true"
        guard norm == "true" || norm == "false" else { throw fail("metadata `pld.layer_norm` is \"\(norm)\", expected true or false") }
        let epsText = meta["pld.layer_norm_eps"] ?? "1e-5"
        guard let eps = Double(epsText), eps > 0, eps.isFinite else { throw fail("metadata `pld.layer_norm_eps` is \"\(epsText)\", expected a positive number") }

        var used: Set<String> = []
        func tensor(_ key: String, shape: [Int], required: Bool = true) throws(SafetensorsError) -> [Double]? {
            guard let info = file.tensors[key] else {
                if required { throw fail("missing tensor", tensor: key) }
                return nil
            }
            guard info.shape == shape else { throw fail("shape \(info.shape), expected \(shape)", tensor: key) }
            used.insert(key)
            let values = try file.doubles(key)
            guard values.allSatisfy(\.isFinite) else { throw fail("holds a non-finite value", tensor: key) }
            return values
        }
        let mean = try tensor("obs_mean", shape: [input], required: false)
        let std = try tensor("obs_std", shape: [input], required: false)
        guard (mean == nil) == (std == nil) else { throw fail("obs_mean and obs_std come together (found only one)") }
        if let std, let bad = std.firstIndex(where: { $0 <= 0 }) { throw fail("element \(bad) is \(std[bad]); standard deviations must be positive", tensor: "obs_std") }
        var weights: [[Double]] = [], biases: [[Double]] = [], normWeights: [[Double]] = [], normBiases: [[Double]] = []
        var width = input
        for (i, units) in hidden.enumerated() {
            weights.append(try tensor("layers.\(i).weight", shape: [units, width])!)
            biases.append(try tensor("layers.\(i).bias", shape: [units], required: false) ?? [Double](repeating: 0, count: units))
            if norm == "true" {
                normWeights.append(try tensor("layers.\(i).ln.weight", shape: [units], required: false) ?? [Double](repeating: 1, count: units))
                normBiases.append(try tensor("layers.\(i).ln.bias", shape: [units], required: false) ?? [Double](repeating: 0, count: units))
            }
            width = units
        }
        let out = try tensor("out.weight", shape: [1, width])!
        let outBias = try tensor("out.bias", shape: [1], required: false)?[0] ?? 0
        if let extra = file.tensorNames.first(where: { !used.contains($0) }) {
            throw fail("unexpected tensor (a \(hidden.count)-layer \(Self.formatName) has layers.0…\(hidden.count - 1), out and obs_mean/obs_std)", tensor: extra)
        }
        inputDimensions = input
        self.hidden = hidden
        layerNorm = norm == "true"
        relu = activation == "relu"
        epsilon = eps
        self.mean = mean ?? [Double](repeating: 0, count: input)
        inverseStd = std?.map { 1 / $0 } ?? [Double](repeating: 1, count: input)
        self.weights = weights
        self.biases = biases
        self.normWeights = normWeights
        self.normBiases = normBiases
        outWeight = out
        self.outBias = outBias
        let widest = max(input, hidden.max() ?? 1)
        scratchA = .allocate(capacity: widest)
        scratchA.initialize(repeating: 0)
        scratchB = .allocate(capacity: widest)
        scratchB.initialize(repeating: 0)
    }

    deinit {
        scratchA.deallocate()
        scratchB.deallocate()
    }

    /// sigmoid(logit) for `input` (`inputDimensions` values); NaN when an input is not finite (an
    /// unknown reading never scores). Control thread; no allocation.
    public func score(_ input: UnsafeBufferPointer<Double>) -> Double {
        guard input.count == inputDimensions else { return .nan }
        var x = scratchA, y = scratchB
        for i in 0..<inputDimensions {
            let value = input[i]
            guard value.isFinite else { return .nan }
            x[i] = (value - mean[i]) * inverseStd[i]
        }
        var width = inputDimensions
        for layer in 0..<hidden.count {
            let units = hidden[layer]
            weights[layer].withUnsafeBufferPointer { w in
                for o in 0..<units {
                    var sum = biases[layer][o]
                    let row = o * width
                    for k in 0..<width { sum += w[row + k] * x[k] }
                    y[o] = sum
                }
            }
            if layerNorm {
                var mu = 0.0
                for o in 0..<units { mu += y[o] }
                mu /= Double(units)
                var variance = 0.0
                for o in 0..<units { variance += (y[o] - mu) * (y[o] - mu) }
                variance /= Double(units)
                let scale = 1 / (variance + epsilon).squareRoot()
                for o in 0..<units { y[o] = (y[o] - mu) * scale * normWeights[layer][o] + normBiases[layer][o] }
            }
            for o in 0..<units { y[o] = relu ? max(0, y[o]) : tanh(y[o]) }
            swap(&x, &y)
            width = units
        }
        var logit = outBias
        for k in 0..<width { logit += outWeight[k] * x[k] }
        return 1 / (1 + exp(-logit))
    }
}
