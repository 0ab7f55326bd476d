import Policies

/// Everything that shapes a `SACLearner`. The defaults are PLD's (Table 5, via the transcription
/// in the method notes): 3 × 256 hidden units with LayerNorm and tanh for actor and critics,
/// batch 256, γ 0.99, AdamW at 3e-4, gradient clip 1.0, two critic steps per actor step, Polyak
/// τ 0.005, target entropy −action_dim, initial temperature 1, replay 250,000; Cal-QL's CQL
/// weight 5 with 10 sampled actions (uniform and policy) per state.
public struct SACConfiguration: Sendable, Equatable {
    /// Width of the actor's input x = [state features…, base action…].
    public var inputDimensions: Int
    /// Width of the residual action u (= the base action's width).
    public var actionDimensions: Int
    /// Hidden units per layer, for the actor and for each critic.
    public var hidden: [Int] = [256, 256, 256]
    public var layerNorm = true
    public var activation: ResidualActivation = .tanh
    public var batchSize = 256
    public var discount = 0.99
    /// The replay holds n-step transitions (`ReplayBuffer.appendEpisode(nStep:)`): the TD
    /// target bootstraps with discountⁿ. 1: ordinary one-step SAC.
    public var nStep = 1
    /// Polyak τ for the target critics (after every critic step).
    public var targetUpdateRate = 0.005
    public var actorOptimizer = AdamConfiguration.adamW(learningRate: 3e-4)
    public var criticOptimizer = AdamConfiguration.adamW(learningRate: 3e-4)
    /// The temperature's optimiser (on log α; no weight decay).
    public var temperatureOptimizer = AdamConfiguration.adam(learningRate: 3e-4)
    /// Global-norm clip of each network's gradient (actor; both critics together). Nil: none.
    public var gradientClipNorm: Double? = 1.0
    /// Critic steps per actor (and temperature) step within one `update()`.
    public var criticActorRatio = 2
    public var initialTemperature = 1.0
    /// Nil: −actionDimensions.
    public var targetEntropy: Double?
    /// log σ is clamped into this range (gradient zero outside).
    public var logStdRange: ClosedRange<Double> = -20...2
    /// Subtract α · log π(u′|x′) in the TD target (the original SAC's soft backup). Off by
    /// default, as in SERL / HIL-SERL's SAC, from which PLD's learner derives: with a sparse
    /// success reward and episodes that end at success, the entropy bonus accrues on every step
    /// that does not succeed, so a soft backup rewards *not* finishing (measured with the
    /// residual test in `Tests/LearningTests`: Q grew to ≈ 12 for a reward of 1 and the residual
    /// learned to avoid the goal).
    public var backupEntropy = false
    /// Multiplies the PyTorch-default initial weights and bias of the actor's μ and log σ heads
    /// (small: the residual starts near zero).
    public var actorHeadInitScale = 0.01
    /// Added to the log σ head's initial bias (0: σ ≈ 1 at the start).
    public var initialLogStdBias = 0.0
    public var cql = CQLConfiguration()
    public var offlineCapacity = 250_000
    public var onlineCapacity = 250_000
    /// Seeds initialisation, replay sampling and noise.
    public var seed: UInt64 = 0

    public init(inputDimensions: Int, actionDimensions: Int) {
        self.inputDimensions = inputDimensions
        self.actionDimensions = actionDimensions
    }

    /// The target entropy in use.
    public var resolvedTargetEntropy: Double { targetEntropy ?? -Double(actionDimensions) }

    /// Checks ranges; the error names the field.
    public func validate() throws(LearningError) {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws(LearningError) {
            if !ok { throw LearningError("SAC configuration: \(message())") }
        }
        try require(actionDimensions >= 1 && actionDimensions <= ResidualArchitecture.maxInputDimensions,
                    "actionDimensions \(actionDimensions) must be at least 1")
        try require(inputDimensions >= actionDimensions && inputDimensions <= ResidualArchitecture.maxInputDimensions,
                    "inputDimensions \(inputDimensions) must be in \(actionDimensions)...\(ResidualArchitecture.maxInputDimensions) (x = [state features, base action])")
        try require(!hidden.isEmpty && hidden.count <= ResidualArchitecture.maxHiddenLayers
                        && hidden.allSatisfy { (1...ResidualArchitecture.maxHiddenUnits).contains($0) },
                    "hidden \(hidden) must have 1...\(ResidualArchitecture.maxHiddenLayers) layers of 1...\(ResidualArchitecture.maxHiddenUnits) units")
        try require(batchSize >= 1, "batchSize \(batchSize) must be at least 1")
        try require(discount >= 0 && discount <= 1, "discount \(discount) must be in [0, 1]")
        try require(nStep >= 1 && nStep <= 100, "nStep \(nStep) must be in 1...100")
        try require(targetUpdateRate > 0 && targetUpdateRate <= 1, "targetUpdateRate \(targetUpdateRate) must be in (0, 1]")
        for (name, o) in [("actor", actorOptimizer), ("critic", criticOptimizer), ("temperature", temperatureOptimizer)] {
            try require(o.learningRate > 0 && o.learningRate.isFinite && o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1
                            && o.epsilon > 0 && o.weightDecay >= 0,
                        "\(name)Optimizer has an out-of-range value: \(o)")
        }
        try require(gradientClipNorm.map { $0 > 0 } ?? true, "gradientClipNorm must be positive or nil")
        try require(criticActorRatio >= 1, "criticActorRatio \(criticActorRatio) must be at least 1")
        try require(initialTemperature > 0 && initialTemperature.isFinite, "initialTemperature \(initialTemperature) must be positive")
        try require(resolvedTargetEntropy.isFinite, "targetEntropy must be finite")
        try require(logStdRange.lowerBound.isFinite && logStdRange.upperBound.isFinite, "logStdRange must be finite")
        try require(actorHeadInitScale >= 0 && actorHeadInitScale.isFinite, "actorHeadInitScale must be ≥ 0")
        try require(cql.weight >= 0 && cql.weight.isFinite, "cql.weight \(cql.weight) must be ≥ 0")
        try require(cql.actionSamples >= 1 && cql.actionSamples <= 64, "cql.actionSamples \(cql.actionSamples) must be in 1...64")
        try require(cql.temperature > 0 && cql.temperature.isFinite, "cql.temperature must be positive")
        try require(offlineCapacity >= 1 && onlineCapacity >= 1, "replay capacities must be at least 1")
    }
}
