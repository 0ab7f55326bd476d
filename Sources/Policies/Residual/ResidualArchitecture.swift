/// Hidden-layer nonlinearity of the residual MLP.
public enum ResidualActivation: String, Sendable, CaseIterable {
    /// PLD's choice (Table 5).
    case tanh
    case relu
}

/// Where the Gaussian's standard deviation comes from.
public enum ResidualLogStdKind: String, Sendable, CaseIterable {
    /// No σ: a deterministic actor. Sample mode then adds no noise (`ResidualPolicy.hasNoise`
    /// is false), which is also what the zero-initialised residual does by default.
    case none
    /// A state-independent vector `log_std` [action_dim] (ResiP, PPO-style actors).
    case parameter
    /// A second linear head on the last hidden layer, `log_std_head.weight` [action_dim,
    /// hidden_last] and `log_std_head.bias` (SAC-style actors).
    case head
}

/// Shape and options of a residual MLP: input [state features, base action] → hidden layers
/// (Linear → LayerNorm → activation each) → linear head μ (and optionally a log σ head).
public struct ResidualArchitecture: Sendable, Equatable {
    /// Width of the input: state features followed by the base action.
    public var inputDimensions: Int
    /// Width of the action (and of μ).
    public var actionDimensions: Int
    /// Units per hidden layer (PLD: [256, 256, 256]).
    public var hidden: [Int]
    public var activation: ResidualActivation
    /// LayerNorm after every hidden Linear (before the activation).
    public var layerNorm: Bool
    /// LayerNorm's ε (PyTorch default 1e-5; flax 1e-6).
    public var layerNormEpsilon: Double
    public var logStd: ResidualLogStdKind
    /// log σ is clamped into this range before exp (SAC's usual [−20, 2]).
    public var logStdRange: ClosedRange<Double>
    /// When set, normalised inputs are clipped to ±this value (RL observation normalisers often
    /// clip at 5 or 10). Nil: no clipping.
    public var observationClip: Double?

    /// State features = input − action.
    public var stateDimensions: Int { inputDimensions - actionDimensions }

    public init(
        stateDimensions: Int, actionDimensions: Int, hidden: [Int] = [256, 256, 256],
        activation: ResidualActivation = .tanh, layerNorm: Bool = true, layerNormEpsilon: Double = 1e-5,
        logStd: ResidualLogStdKind = .none, logStdRange: ClosedRange<Double> = -20...2,
        observationClip: Double? = nil
    ) {
        self.inputDimensions = stateDimensions + actionDimensions
        self.actionDimensions = actionDimensions
        self.hidden = hidden
        self.activation = activation
        self.layerNorm = layerNorm
        self.layerNormEpsilon = layerNormEpsilon
        self.logStd = logStd
        self.logStdRange = logStdRange
        self.observationClip = observationClip
    }

    /// Limits the loader enforces (a residual is small; these catch garbage, not real models).
    public static let maxInputDimensions = 4096
    public static let maxHiddenLayers = 8
    public static let maxHiddenUnits = 4096
}
