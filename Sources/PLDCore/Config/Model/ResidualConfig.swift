public enum ResidualMode: String, ConfigEnum {
    /// a_δ = ξ·tanh(μ): deterministic, for evaluation.
    case mean
    /// a_δ = ξ·tanh(μ + σε): for data collection and RL.
    case sample
}

/// The residual policy: a_δ = ξ·tanh(μ(s, a_b) [+ σε]) added to the base action after the
/// handoff step (DESIGN.md §6; PLD Table 5: 3 × 256, LayerNorm, tanh, ξ = 0.5 in sim).
public struct ResidualConfig: Codable, Sendable, Equatable {
    /// Off by default: base policy only.
    public var enabled = false
    /// Safetensors file with weights, architecture and normalisation in its metadata. Absent =
    /// zero-initialised output layer (residual starts at exactly 0), sized by `hidden_*`.
    public var weightsPath: String?
    /// Residual bound ξ in [0, 1]. Default 0.5.
    public var xi = 0.5
    public var mode = ResidualMode.mean
    /// Seed of the sampling noise.
    public var seed: UInt64 = 0
    /// Zero-init architecture (ignored when weights carry their own). Defaults 3 × 256.
    public var hiddenLayers = 3
    public var hiddenUnits = 256
    /// State features the residual sees, besides the base action.
    public var inputs: [ObservationSource] = []
    /// Per action dimension, a multiplier in [0, 1] on top of ξ: a_δ[d] = scale[d]·ξ·tanh(…).
    /// Absent = 1 for every dimension. 0 keeps the residual, and its exploration noise, off a
    /// dimension (e.g. only translation: a residual that also turns the wrist at random while it
    /// explores spoils grasps the base would have made).
    public var dimensionScale: [Double]?

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.value(.enabled, default: enabled)
        weightsPath = try c.optional(.weightsPath)
        xi = try c.value(.xi, default: xi)
        mode = try c.value(.mode, default: mode)
        seed = try c.value(.seed, default: seed)
        hiddenLayers = try c.value(.hiddenLayers, default: hiddenLayers)
        hiddenUnits = try c.value(.hiddenUnits, default: hiddenUnits)
        inputs = try c.value(.inputs, default: inputs)
        dimensionScale = try c.optional(.dimensionScale)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(xi, .closed(0, 1), path["xi"])
        if let weightsPath {
            v.check(weightsPath.hasSuffix(".safetensors"), path["weights_path"], "expected a .safetensors file, found \(ScalarText.quoted(weightsPath))")
        }
        v.range(hiddenLayers, .closed(1, 8), path["hidden_layers"])
        v.range(hiddenUnits, .closed(1, 4096), path["hidden_units"])
        for (index, scale) in (dimensionScale ?? []).enumerated() {
            v.range(scale, .closed(0, 1), path["dimension_scale"][index])
        }
        if enabled && inputs.isEmpty {
            v.fail(path["inputs"], "an enabled residual needs at least one state input")
        }
    }
}

public enum HandoffMode: String, ConfigEnum {
    /// T ~ Uniform[0, α·max_episode_steps] per episode (PLD).
    case uniform
    /// The residual never acts (base only).
    case never
    /// The residual acts from step 0.
    case always
    /// T = `fixed_step` every episode.
    case fixed
}

/// When, within an episode, control passes from base to base + residual. Steps before T go
/// into SFT data but never into RL replay; T is recorded per episode.
public struct HandoffConfig: Codable, Sendable, Equatable {
    public var mode = HandoffMode.uniform
    /// α in [0, 1]; PLD's sweep peaks near 0.6 (default).
    public var alpha = 0.6
    /// Required for, and only valid with, mode `fixed`. In [0, max_episode_steps).
    public var fixedStep: Int?
    public var seed: UInt64 = 0

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.value(.mode, default: mode)
        alpha = try c.value(.alpha, default: alpha)
        fixedStep = try c.optional(.fixedStep)
        seed = try c.value(.seed, default: seed)
    }

    func validate(at path: ConfigPath, maxEpisodeSteps: Int, into v: inout ConfigValidator) {
        v.range(alpha, .closed(0, 1), path["alpha"])
        if mode == .fixed {
            if let fixedStep {
                v.range(fixedStep, .rightOpen(0, Double(maxEpisodeSteps)), path["fixed_step"])
            } else {
                v.fail(path["fixed_step"], "mode fixed needs fixed_step")
            }
        } else if fixedStep != nil {
            v.fail(path["fixed_step"], "only valid with mode fixed (mode is \(mode.rawValue))")
        }
    }
}
