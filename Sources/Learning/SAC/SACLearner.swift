import Foundation
import Policies

/// Soft actor-critic for PLD's residual actor, with RLPD symmetric replay and a Cal-QL
/// conservative warm start (PLD "Probe" stage; hyper-parameters in `SACConfiguration`).
///
/// - Actor: x̂ = (x − mean) / std → MLP (Linear → LayerNorm → tanh, ×3) → head [μ, raw log σ];
///   u = tanh(μ + σ ε) ∈ (−1, 1) (`SquashedGaussian`). The runtime executes a_δ = ξ u.
/// - Critics: two Q(x̂, u) MLPs of the same shape (input [x̂, u]) and their Polyak targets;
///   TD target y = r + γ (1 − done) (min Q̄(x̂′, u′) − α log π(u′|x′)), u′ ~ π(x′).
/// - Temperature: log α by Adam on −log α · (log π + H̄), H̄ = −action_dim by default.
/// - One `update()`: `criticActorRatio` critic steps (each on a fresh minibatch, Polyak after
///   each), then one actor step and one temperature step on the last minibatch.
/// - Replay: `offline` and `online` buffers, sampled half and half (`TransitionBatch`);
///   `warmStart(steps:)` trains on `offline` only with the CQL term on.
///
/// Thread: the learner thread. No method may run concurrently with another; the runtime creates
/// the learner, hands it to its learner thread and calls it only from there. After `init`,
/// `update()` and `warmStart(steps:)` do not allocate (checked by `pld bench learner`);
/// exporting, checkpoints and the array-returning `act…` conveniences allocate.
public final class SACLearner: @unchecked Sendable {
    // @unchecked: all mutable state (buffers, optimiser moments, RNG, counters) is reached only
    // through methods that the contract above confines to one thread at a time; nothing is
    // shared with another thread after the hand-over.

    public let configuration: SACConfiguration
    public let normalizer: ObservationNormalizer
    /// Successful base rollouts (and other prior data): warm start and half of every batch.
    public let offline: ReplayBuffer
    /// The run's own transitions.
    public let online: ReplayBuffer

    public var inputDimensions: Int { configuration.inputDimensions }
    public var actionDimensions: Int { configuration.actionDimensions }
    /// `update()` and warm-start steps taken.
    public internal(set) var updateCount = 0
    public internal(set) var warmStartStepCount = 0
    public internal(set) var criticStepCount = 0
    public internal(set) var actorStepCount = 0
    /// α = exp(log α).
    public var temperature: Float { exp(temperatureParameters.values[0]) }

    // Networks and optimisers.
    let actor: MLP
    let actorParameters: ParameterBuffer
    let critics: [MLP]
    let criticParameters: ParameterBuffer
    let targetParameters: ParameterBuffer
    let temperatureParameters: ParameterBuffer
    let actorOptimizer: AdamOptimizer
    let criticOptimizer: AdamOptimizer
    let temperatureOptimizer: AdamOptimizer
    var random: LearnerRandom

    // Workspaces (sized at init).
    let batch: TransitionBatch
    let cqlSamples: Int
    let actorWorkspace: MLPWorkspace
    let criticWorkspaces: [MLPWorkspace]
    let targetWorkspaces: [MLPWorkspace]
    let policy: SquashedGaussian
    let normalizedInputs: UnsafeMutablePointer<Float>
    let normalizedNextInputs: UnsafeMutablePointer<Float>
    /// [x̂ | u] rows for the critics: B data rows, then B·N uniform and B·N policy rows (CQL).
    let criticInput: UnsafeMutablePointer<Float>
    let targetInput: UnsafeMutablePointer<Float>
    /// x̂ repeated N times per row (CQL policy samples).
    let repeatedInputs: UnsafeMutablePointer<Float>
    let targets: UnsafeMutablePointer<Float>
    /// Noise for one critic step: ε for u′ [B, A]; uniform actions and ε for policy samples [B·N, A].
    let nextNoise: UnsafeMutablePointer<Float>
    let uniformActions: UnsafeMutablePointer<Float>
    let cqlNoise: UnsafeMutablePointer<Float>
    let cqlLogProb: UnsafeMutablePointer<Float>
    /// Noise for one actor step [B, A].
    let actorNoise: UnsafeMutablePointer<Float>
    /// dL/du for the actor step [B, A].
    let actionGradient: UnsafeMutablePointer<Float>
    private var owned: [UnsafeMutablePointer<Float>] = []

    // Acting (evaluation and tests), grown on demand.
    var actingWorkspace: MLPWorkspace
    var actingPolicy: SquashedGaussian
    var actingInput: UnsafeMutablePointer<Float>

    /// A learner with freshly initialised networks (PyTorch's default initialisation from
    /// `configuration.seed`; the actor's heads scaled by `actorHeadInitScale`), empty replay
    /// buffers and α = `initialTemperature`. Sets OpenBLAS to one thread (process-wide).
    public init(configuration: SACConfiguration, normalizer: ObservationNormalizer) throws(LearningError) {
        try configuration.validate()
        guard normalizer.dimensions == configuration.inputDimensions else {
            throw LearningError("normaliser has \(normalizer.dimensions) dimensions, the learner's input has \(configuration.inputDimensions)")
        }
        Matrix.useOneThread()
        self.configuration = configuration
        self.normalizer = normalizer
        let c = configuration
        let d = c.inputDimensions, a = c.actionDimensions, b = c.batchSize
        let activation = Activation(rawValue: c.activation.rawValue)!
        offline = ReplayBuffer(capacity: c.offlineCapacity, inputDimensions: d, actionDimensions: a)
        online = ReplayBuffer(capacity: c.onlineCapacity, inputDimensions: d, actionDimensions: a)

        var actorLayout = ParameterLayout()
        actor = MLP(name: "actor", inputs: d, hidden: c.hidden, outputs: 2 * a, layerNorm: c.layerNorm,
                    activation: activation, layout: &actorLayout)
        var criticLayout = ParameterLayout()
        critics = (1...2).map {
            MLP(name: "critic.q\($0)", inputs: d + a, hidden: c.hidden, outputs: 1, layerNorm: c.layerNorm,
                activation: activation, layout: &criticLayout)
        }
        var temperatureLayout = ParameterLayout()
        _ = temperatureLayout.reserve("temperature.log_alpha", shape: [1])
        actorParameters = ParameterBuffer(actorLayout)
        criticParameters = ParameterBuffer(criticLayout)
        targetParameters = ParameterBuffer(criticLayout)
        temperatureParameters = ParameterBuffer(temperatureLayout)
        actorOptimizer = AdamOptimizer(c.actorOptimizer, count: actorParameters.count)
        criticOptimizer = AdamOptimizer(c.criticOptimizer, count: criticParameters.count)
        temperatureOptimizer = AdamOptimizer(c.temperatureOptimizer, count: 1)

        var initRandom = LearnerRandom(seed: c.seed, stream: 1)
        actor.initialize(actorParameters.values, random: &initRandom, headScale: Float(c.actorHeadInitScale))
        let logStdBias = actorParameters.values + actor.head.biasOffset + a
        for j in 0..<a { logStdBias[j] += Float(c.initialLogStdBias) }
        for critic in critics { critic.initialize(criticParameters.values, random: &initRandom) }
        targetParameters.copyValues(from: criticParameters)
        temperatureParameters.values[0] = Float(Foundation.log(c.initialTemperature))
        random = LearnerRandom(seed: c.seed, stream: 2)

        let n = c.cql.enabled ? c.cql.actionSamples : 0
        cqlSamples = n
        let criticRows = b * (1 + 2 * n)
        batch = TransitionBatch(rows: b, inputDimensions: d, actionDimensions: a)
        actorWorkspace = MLPWorkspace(actor, maxBatch: max(b, b * n))
        criticWorkspaces = critics.map { MLPWorkspace($0, maxBatch: criticRows) }
        targetWorkspaces = critics.map { MLPWorkspace($0, maxBatch: b) }
        let range = Float(c.logStdRange.lowerBound)...Float(c.logStdRange.upperBound)
        policy = SquashedGaussian(maxRows: max(b, b * n), actions: a, logStdRange: range)
        var owned: [UnsafeMutablePointer<Float>] = []
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            owned.append(p)
            return p
        }
        normalizedInputs = make(b * d)
        normalizedNextInputs = make(b * d)
        criticInput = make(criticRows * (d + a))
        targetInput = make(b * (d + a))
        repeatedInputs = make(b * n * d)
        targets = make(b)
        nextNoise = make(b * a)
        uniformActions = make(b * n * a)
        cqlNoise = make(b * n * a)
        cqlLogProb = make(b * n)
        actorNoise = make(b * a)
        actionGradient = make(b * a)
        self.owned = owned
        actingInput = .allocate(capacity: d)
        actingInput.initialize(repeating: 0, count: d)
        actingWorkspace = MLPWorkspace(actor, maxBatch: 1)
        actingPolicy = SquashedGaussian(maxRows: 1, actions: a, logStdRange: range)
    }

    deinit {
        for p in owned { p.deallocate() }
        actingInput.deallocate()
    }

    // MARK: Training

    /// One online update: `criticActorRatio` critic steps, then an actor and a temperature
    /// step, each critic step on a fresh minibatch sampled half from `offline`, half from
    /// `online` (all from one when the other is empty). CQL is on only with
    /// `configuration.cql.duringOnline`. Nil (nothing done) when both buffers are empty.
    @discardableResult
    public func update() -> SACUpdateStatistics? {
        step(offlineOnly: false, conservative: configuration.cql.duringOnline && configuration.cql.enabled, updateActor: true)
    }

    /// `count` updates; returns the last one's statistics.
    @discardableResult
    public func update(count: Int) -> SACUpdateStatistics? {
        var last: SACUpdateStatistics?
        for _ in 0..<count { last = update() ?? last }
        return last
    }

    /// Cal-QL warm start: `steps` updates on the `offline` buffer alone with the CQL term on
    /// (when `configuration.cql.weight` > 0), the actor and temperature trained as well unless
    /// `updateActor` is false. Nil when the offline buffer is empty.
    @discardableResult
    public func warmStart(steps: Int, updateActor: Bool = true) -> SACUpdateStatistics? {
        guard offline.count > 0 else { return nil }
        var last: SACUpdateStatistics?
        for _ in 0..<steps {
            last = step(offlineOnly: true, conservative: configuration.cql.enabled, updateActor: updateActor)
            warmStartStepCount += 1
        }
        return last
    }

    func step(offlineOnly: Bool, conservative: Bool, updateActor: Bool) -> SACUpdateStatistics? {
        var stats = SACUpdateStatistics()
        for _ in 0..<configuration.criticActorRatio {
            guard batch.fillSymmetric(offline: offline, online: offlineOnly ? nil : online, random: &random) else { return nil }
            drawCriticNoise(conservative: conservative)
            criticLossAndGradients(conservative: conservative, into: &stats)
            applyCriticStep(into: &stats)
        }
        if updateActor {
            drawActorNoise()
            let temperatureGradient = actorLossAndGradients(into: &stats)
            applyActorStep(temperatureGradient: temperatureGradient, into: &stats)
        }
        stats.temperature = temperature
        updateCount += 1
        return stats
    }
}
