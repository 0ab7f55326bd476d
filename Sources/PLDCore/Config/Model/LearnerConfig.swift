/// The residual learner that runs inside `pld run` (issue 8, PLD's Probe stage): SAC with a
/// Cal-QL warm start and RLPD-style symmetric replay, on the run's own episodes. It trains on
/// its own thread, writes weights and checkpoints to the run directory, and hands each new
/// version to the control thread, which swaps it in between episodes. Defaults are PLD's
/// (method-and-safety.md §1.3, Table 5); the architecture is the residual's (`residual:`).
public struct LearnerConfig: Codable, Sendable, Equatable {
    /// Train the residual while the run goes. Default false.
    public var enabled = false
    /// Base-only episodes first (handoff never): all go to the online buffer, the successful
    /// ones also to the offline buffer the critic warm-starts on. PLD: 100. Default 100.
    public var warmupEpisodes = 100
    /// Cal-QL warm-start updates on the offline buffer after the warm-up. Default 2000.
    public var warmStartUpdates = 2000
    /// SAC updates per environment transition collected (UTD). PLD's on-the-fly ratio: 1.
    public var updatesPerStep = 1.0
    public var batchSize = 256
    /// γ. Default 0.99.
    public var discount = 0.99
    /// n-step returns: each replayed transition sums the next n rewards and bootstraps γⁿ
    /// after them, so a success at an episode's end reaches the early steps n times sooner.
    /// 1 = PLD's one-step SAC. Default 1.
    public var nStep = 1
    /// AdamW learning rate for actor, critics and temperature. Default 3e-4.
    public var learningRate = 3e-4
    /// Polyak τ of the target critics. Default 0.005.
    public var targetUpdateRate = 0.005
    /// Critic updates per actor update. Default 2.
    public var criticActorRatio = 2
    /// Conservative (CQL) weight α during the warm start; 0 turns Cal-QL off. Default 5.
    public var cqlWeight = 5.0
    /// Sampled actions per state in the CQL term (uniform and policy each). A warm-start update
    /// costs about as much as (1 + 2·N) online ones. Default 10.
    public var cqlActionSamples = 10
    /// SAC's initial entropy temperature. PLD: 1.0. A residual that starts with a large σ
    /// thrashes a working base policy; 0.1 keeps early exploration near the base. Default 1.0.
    public var initialTemperature = 1.0
    /// The actor's initial log σ (the bias of its log σ head; its weights start near zero). A
    /// σ of 1 in normalised units moves the arm as much as the base policy does, wrecking the
    /// episodes the learner collects; ResiP starts at −1.5. Default −1.5.
    public var initialLogStd = -1.5
    /// SAC's entropy target, nats (the temperature is tuned so the actor's entropy stays near
    /// it). Absent: −(action dimensions), PLD's. A lower target lets exploration die out sooner;
    /// raise it when `residual.dimension_scale` leaves most dimensions without effect. Default
    /// absent.
    public var targetEntropy: Double?
    /// Transitions each of the offline and online buffers keeps. Default 250000.
    public var bufferCapacity = 250_000
    /// A new weights version every this many learning episodes. Default 1.
    public var publishEveryEpisodes = 1
    /// Seed of sampling and initialisation. Default 0.
    public var seed: UInt64 = 0
    /// The next episode waits (arms holding after the reset) until the learner has done the
    /// updates owed for the transitions so far, so the updates per episode do not depend on
    /// how fast this computer trains. Off: episodes go on and the learner trains what it can.
    /// Default true.
    public var waitForUpdates = true

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.value(.enabled, default: enabled)
        warmupEpisodes = try c.value(.warmupEpisodes, default: warmupEpisodes)
        warmStartUpdates = try c.value(.warmStartUpdates, default: warmStartUpdates)
        updatesPerStep = try c.value(.updatesPerStep, default: updatesPerStep)
        batchSize = try c.value(.batchSize, default: batchSize)
        discount = try c.value(.discount, default: discount)
        nStep = try c.value(.nStep, default: nStep)
        learningRate = try c.value(.learningRate, default: learningRate)
        targetUpdateRate = try c.value(.targetUpdateRate, default: targetUpdateRate)
        criticActorRatio = try c.value(.criticActorRatio, default: criticActorRatio)
        cqlWeight = try c.value(.cqlWeight, default: cqlWeight)
        cqlActionSamples = try c.value(.cqlActionSamples, default: cqlActionSamples)
        initialTemperature = try c.value(.initialTemperature, default: initialTemperature)
        initialLogStd = try c.value(.initialLogStd, default: initialLogStd)
        targetEntropy = try c.optional(.targetEntropy)
        bufferCapacity = try c.value(.bufferCapacity, default: bufferCapacity)
        publishEveryEpisodes = try c.value(.publishEveryEpisodes, default: publishEveryEpisodes)
        seed = try c.value(.seed, default: seed)
        waitForUpdates = try c.value(.waitForUpdates, default: waitForUpdates)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(warmupEpisodes, .closed(0, 100_000), path["warmup_episodes"])
        v.range(warmStartUpdates, .closed(0, 10_000_000), path["warm_start_updates"])
        v.range(updatesPerStep, .closed(0, 100), path["updates_per_step"])
        v.range(batchSize, .closed(1, 65_536), path["batch_size"])
        v.range(discount, .open(0, 1), path["discount"])
        v.range(nStep, .closed(1, 100), path["n_step"])
        v.range(learningRate, .leftOpen(0, 1), path["learning_rate"])
        v.range(targetUpdateRate, .leftOpen(0, 1), path["target_update_rate"])
        v.range(criticActorRatio, .closed(1, 100), path["critic_actor_ratio"])
        v.range(cqlWeight, .closed(0, 1000), path["cql_weight"])
        v.range(cqlActionSamples, .closed(1, 64), path["cql_action_samples"])
        v.range(initialTemperature, .leftOpen(0, 100), path["initial_temperature"])
        v.range(initialLogStd, .closed(-10, 2), path["initial_log_std"])
        if let targetEntropy { v.range(targetEntropy, .closed(-100, 100), path["target_entropy"]) }
        v.range(bufferCapacity, .closed(1_000, 100_000_000), path["buffer_capacity"])
        v.range(publishEveryEpisodes, .closed(1, 100_000), path["publish_every_episodes"])
    }
}
