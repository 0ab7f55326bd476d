/// The parameters of a residual MLP, as loaded from (or written to) a safetensors file.
///
/// # File format `residual-mlp/1`
///
/// A safetensors file whose `__metadata__` describes the network and whose tensors hold it.
/// Input order is fixed: **[state features…, base action…]**, i.e. the residual's configured
/// `inputs` concatenated, then the base action in the policy's normalised action space.
///
/// Metadata (all values are strings, as safetensors requires):
///
/// | key | value | default |
/// |---|---|---|
/// | `pld.format` | `residual-mlp/1` | required |
/// | `pld.input_dim` | state features + action dims, e.g. `"39"` | required |
/// | `pld.action_dim` | e.g. `"7"` | required |
/// | `pld.hidden` | JSON array of units per hidden layer, e.g. `"[256,256,256]"` | required |
/// | `pld.activation` | `tanh` or `relu` | `tanh` |
/// | `pld.layer_norm` | `true` or `false` | `true` |
/// | `pld.layer_norm_eps` | LayerNorm ε | `1e-5` |
/// | `pld.log_std` | `none`, `parameter` (tensor `log_std`) or `head` (tensors `log_std_head.*`) | `none` |
/// | `pld.log_std_min`, `pld.log_std_max` | clamp of log σ | `-20`, `2` |
/// | `pld.obs_clip` | clip normalised inputs to ±value | no clip |
///
/// Other keys (training run, step, ξ used in training …) are kept in `metadata` for the
/// episode record; an unknown `pld.*` key is an error (it is probably a typo).
///
/// Tensors (F32 or F64; F16/BF16 also read), PyTorch layout — a Linear weight is [out, in]:
///
/// | name | shape | |
/// |---|---|---|
/// | `obs_mean`, `obs_std` | [input_dim] | optional, both or neither; x̂ = (x − mean) / std, std > 0 |
/// | `layers.{i}.weight` | [hidden_i, in_i] | in_0 = input_dim, in_i = hidden_{i−1} |
/// | `layers.{i}.bias` | [hidden_i] | optional (zeros) |
/// | `layers.{i}.ln.weight`, `layers.{i}.ln.bias` | [hidden_i] | with `pld.layer_norm` true; optional (ones, zeros) |
/// | `mu.weight` | [action_dim, hidden_last] | |
/// | `mu.bias` | [action_dim] | optional (zeros) |
/// | `log_std` | [action_dim] | with `pld.log_std` = `parameter` |
/// | `log_std_head.weight`, `log_std_head.bias` | [action_dim, hidden_last], [action_dim] | with `pld.log_std` = `head` (bias optional) |
///
/// Any other tensor is an error. Forward pass, per hidden layer i:
/// h ← act(LayerNorm_i(W_i h + b_i)) with LayerNorm(z) = (z − mean z) / √(var z + ε) · γ + β
/// (biased variance, as PyTorch); then μ = W_μ h + b_μ and the policy applies
/// a_δ = ξ · tanh(μ [+ σ ε]), σ = exp(clamp(log σ)).
///
/// Exporting from PyTorch (`safetensors` package), for an actor with `trunk` (Linear,
/// LayerNorm, Tanh, …), a `mu` Linear and a `log_std` parameter:
///
/// ```python
/// import json, torch
/// from safetensors.torch import save_file
///
/// def export_residual(actor, obs_mean, obs_std, path):
///     linears = [m for m in actor.trunk if isinstance(m, torch.nn.Linear)]
///     norms = [m for m in actor.trunk if isinstance(m, torch.nn.LayerNorm)]
///     t = {"mu.weight": actor.mu.weight, "mu.bias": actor.mu.bias, "log_std": actor.log_std,
///          "obs_mean": obs_mean, "obs_std": obs_std}
///     for i, (lin, ln) in enumerate(zip(linears, norms)):
///         t[f"layers.{i}.weight"], t[f"layers.{i}.bias"] = lin.weight, lin.bias
///         t[f"layers.{i}.ln.weight"], t[f"layers.{i}.ln.bias"] = ln.weight, ln.bias
///     t = {k: v.detach().float().cpu().contiguous() for k, v in t.items()}
///     save_file(t, path, metadata={
///         "pld.format": "residual-mlp/1",
///         "pld.input_dim": str(linears[0].in_features),
///         "pld.action_dim": str(actor.mu.out_features),
///         "pld.hidden": json.dumps([l.out_features for l in linears]),
///         "pld.activation": "tanh", "pld.layer_norm": "true",
///         "pld.layer_norm_eps": str(norms[0].eps), "pld.log_std": "parameter"})
/// ```
///
/// From JAX/flax, transpose each `Dense` kernel ([in, out] → [out, in]), rename `scale` to
/// `ln.weight`, and write with `safetensors.numpy.save_file` (or the numpy-only writer in
/// `Tests/Peers/residual_export_example.py`, which the tests use).
public struct ResidualNetwork: Sendable {
    /// One hidden layer; matrices row-major [out, in].
    public struct Layer: Sendable, Equatable {
        public var weight: [Double]
        public var bias: [Double]
        /// LayerNorm γ and β (ones and zeros without LayerNorm).
        public var normWeight: [Double]
        public var normBias: [Double]
    }

    public var architecture: ResidualArchitecture
    public var observationMean: [Double]
    public var observationStd: [Double]
    public var layers: [Layer]
    public var muWeight: [Double]
    public var muBias: [Double]
    /// With `.parameter`: [action_dim]. Empty otherwise.
    public var logStd: [Double]
    /// With `.head`: [action_dim, hidden_last] and [action_dim]. Empty otherwise.
    public var logStdHeadWeight: [Double]
    public var logStdHeadBias: [Double]
    /// The file's whole `__metadata__` (for the episode record).
    public var metadata: [String: String]
    /// The file the network came from; nil when built in memory (zero-initialised). Hash this
    /// file (SHA-256, `Drivers.ContentHash`) to record which weights ran.
    public var sourcePath: String?

    public static let formatName = "residual-mlp/1"

    /// True when μ ≡ 0 for every input: the head's weights and bias are all zero.
    public var hasZeroOutputLayer: Bool { muWeight.allSatisfy { $0 == 0 } && muBias.allSatisfy { $0 == 0 } }
}

// MARK: - Zero initialisation

extension ResidualNetwork {
    /// A freshly initialised residual whose output layer is zero, so a_δ ≡ 0 (and ā = a_b
    /// bit for bit) until trained weights replace it. Hidden layers get PyTorch's default
    /// Linear init, U(−1/√in, 1/√in) from `seed` (so a learner may start from this network);
    /// LayerNorm γ = 1, β = 0; inputs pass unnormalised.
    ///
    /// `initialLogStd`: nil gives a deterministic actor (`.none`, no sampling noise — the
    /// residual stays exactly zero in sample mode too); a value gives a `log_std` parameter
    /// with that value in every dimension (ResiP starts at −1.5).
    public static func zeroInitialized(
        _ architecture: ResidualArchitecture, seed: UInt64 = 0, initialLogStd: Double? = nil
    ) -> ResidualNetwork {
        var arch = architecture
        arch.logStd = initialLogStd == nil ? .none : .parameter
        var random = SeededGenerator(seed: seed, stream: 0x2E51_D0A1)
        var layers: [Layer] = []
        var inputs = arch.inputDimensions
        for units in arch.hidden {
            let bound = 1 / Double(inputs).squareRoot()
            func uniform() -> Double { (2 * random.nextUnitInterval() - 1) * bound }
            let weight = (0..<units * inputs).map { _ in uniform() }
            let bias = (0..<units).map { _ in uniform() }
            layers.append(Layer(weight: weight, bias: bias,
                                normWeight: [Double](repeating: 1, count: units), normBias: [Double](repeating: 0, count: units)))
            inputs = units
        }
        let a = arch.actionDimensions
        return ResidualNetwork(
            architecture: arch,
            observationMean: [Double](repeating: 0, count: arch.inputDimensions),
            observationStd: [Double](repeating: 1, count: arch.inputDimensions),
            layers: layers,
            muWeight: [Double](repeating: 0, count: a * inputs), muBias: [Double](repeating: 0, count: a),
            logStd: initialLogStd.map { [Double](repeating: $0, count: a) } ?? [],
            logStdHeadWeight: [], logStdHeadBias: [],
            metadata: [:], sourcePath: nil)
    }
}

// MARK: - Writing

extension ResidualNetwork {
    /// The metadata that describes this network's architecture (plus `extra`, which must not
    /// use the `pld.` prefix).
    public func formatMetadata(extra: [String: String] = [:]) -> [String: String] {
        let arch = architecture
        var m = extra.filter { !$0.key.hasPrefix("pld.") }
        m["pld.format"] = Self.formatName
        m["pld.input_dim"] = String(arch.inputDimensions)
        m["pld.action_dim"] = String(arch.actionDimensions)
        m["pld.hidden"] = "[" + arch.hidden.map(String.init).joined(separator: ",") + "]"
        m["pld.activation"] = arch.activation.rawValue
        m["pld.layer_norm"] = arch.layerNorm ? "true" : "false"
        m["pld.layer_norm_eps"] = String(arch.layerNormEpsilon)
        m["pld.log_std"] = arch.logStd.rawValue
        m["pld.log_std_min"] = String(arch.logStdRange.lowerBound)
        m["pld.log_std_max"] = String(arch.logStdRange.upperBound)
        if let clip = arch.observationClip { m["pld.obs_clip"] = String(clip) }
        return m
    }

    /// A writer holding this network in format `residual-mlp/1` (F32 rounds every value to
    /// float; F64 is exact).
    public func safetensors(dtype: SafetensorsDType = .f32, extraMetadata: [String: String] = [:]) -> SafetensorsWriter {
        let arch = architecture
        var w = SafetensorsWriter(metadata: formatMetadata(extra: extraMetadata))
        w.add("obs_mean", dtype: dtype, shape: [arch.inputDimensions], values: observationMean)
        w.add("obs_std", dtype: dtype, shape: [arch.inputDimensions], values: observationStd)
        var inputs = arch.inputDimensions
        for (i, layer) in layers.enumerated() {
            let units = arch.hidden[i]
            w.add("layers.\(i).weight", dtype: dtype, shape: [units, inputs], values: layer.weight)
            w.add("layers.\(i).bias", dtype: dtype, shape: [units], values: layer.bias)
            if arch.layerNorm {
                w.add("layers.\(i).ln.weight", dtype: dtype, shape: [units], values: layer.normWeight)
                w.add("layers.\(i).ln.bias", dtype: dtype, shape: [units], values: layer.normBias)
            }
            inputs = units
        }
        w.add("mu.weight", dtype: dtype, shape: [arch.actionDimensions, inputs], values: muWeight)
        w.add("mu.bias", dtype: dtype, shape: [arch.actionDimensions], values: muBias)
        switch arch.logStd {
        case .none: break
        case .parameter: w.add("log_std", dtype: dtype, shape: [arch.actionDimensions], values: logStd)
        case .head:
            w.add("log_std_head.weight", dtype: dtype, shape: [arch.actionDimensions, inputs], values: logStdHeadWeight)
            w.add("log_std_head.bias", dtype: dtype, shape: [arch.actionDimensions], values: logStdHeadBias)
        }
        return w
    }

    /// Writes the network to `path` (atomically).
    public func write(toFile path: String, dtype: SafetensorsDType = .f32, extraMetadata: [String: String] = [:]) throws(SafetensorsError) {
        try safetensors(dtype: dtype, extraMetadata: extraMetadata).write(toFile: path)
    }
}
