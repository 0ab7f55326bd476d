import Policies

// Export of the actor to the runtime's residual format `residual-mlp/1` (the contract is the doc
// comment of `Policies.ResidualNetwork`).
extension SACLearner {
    /// The architecture the exported residual declares: input [state features, base action] of
    /// `inputDimensions`, the learner's hidden layers, activation and LayerNorm (ε 1e-5), a log σ
    /// head, log σ clamped to `logStdRange`, no input clip.
    public var residualArchitecture: ResidualArchitecture {
        let c = configuration
        return ResidualArchitecture(
            stateDimensions: c.inputDimensions - c.actionDimensions, actionDimensions: c.actionDimensions, hidden: c.hidden,
            activation: c.activation, layerNorm: c.layerNorm, layerNormEpsilon: 1e-5, logStd: .head,
            logStdRange: c.logStdRange, observationClip: nil)
    }

    /// The current actor as a `ResidualNetwork`: trunk layers as `layers.{i}`, the head's first
    /// A rows as `mu`, its last A rows as `log_std_head`, `obs_mean` / `obs_std` the normaliser.
    /// `ResidualPolicy` in mean mode then computes ξ · tanh(μ(x̂)), the learner's deterministic
    /// actor times ξ. `extraMetadata` keys must not start with `pld.`; the learner's counters
    /// are added as `learner.*`.
    public func residualNetwork(extraMetadata: [String: String] = [:]) -> ResidualNetwork {
        let arch = residualArchitecture
        var network = ResidualNetwork.zeroInitialized(arch)
        network.architecture = arch
        let values = UnsafePointer(actorParameters.values)
        func read(_ offset: Int, _ count: Int) -> [Double] {
            (0..<count).map { Double(values[offset + $0]) }
        }
        for (i, linear) in actor.linears.dropLast().enumerated() {
            network.layers[i].weight = read(linear.weightOffset, linear.outputs * linear.inputs)
            network.layers[i].bias = read(linear.biasOffset, linear.outputs)
            if actor.layerNorm {
                network.layers[i].normWeight = read(actor.norms[i].gammaOffset, linear.outputs)
                network.layers[i].normBias = read(actor.norms[i].betaOffset, linear.outputs)
            }
        }
        let head = actor.head, a = actionDimensions, h = head.inputs
        network.muWeight = read(head.weightOffset, a * h)
        network.muBias = read(head.biasOffset, a)
        network.logStdHeadWeight = read(head.weightOffset + a * h, a * h)
        network.logStdHeadBias = read(head.biasOffset + a, a)
        network.logStd = []
        network.observationMean = normalizer.mean.map(Double.init)
        network.observationStd = normalizer.std.map(Double.init)
        network.metadata = exportMetadata(extraMetadata)
        network.sourcePath = nil
        return network
    }

    /// Writes `residualNetwork()` to `path` (F32, atomically) for `ResidualNetwork(contentsOfFile:)`
    /// and the runtime.
    public func writeResidual(toFile path: String, extraMetadata: [String: String] = [:]) throws(SafetensorsError) {
        let network = residualNetwork(extraMetadata: extraMetadata)
        try network.write(toFile: path, dtype: .f32, extraMetadata: network.metadata)
    }

    func exportMetadata(_ extra: [String: String]) -> [String: String] {
        var m = extra.filter { !$0.key.hasPrefix("pld.") }
        m["learner.algorithm"] = "sac"
        m["learner.update_count"] = String(updateCount)
        m["learner.warm_start_steps"] = String(warmStartStepCount)
        m["learner.critic_steps"] = String(criticStepCount)
        m["learner.actor_steps"] = String(actorStepCount)
        m["learner.temperature"] = String(temperature)
        return m
    }
}
