import Foundation

// The actor and temperature steps, on the normalised inputs of the last critic step's minibatch
// with the noise drawn by `drawActorNoise`.
extension SACLearner {
    func drawActorNoise() {
        random.fillGaussian(actorNoise, count: configuration.batchSize * actionDimensions)
    }

    /// Actor loss mean_i(α log π(u_i|x_i) − min_j Q_j(x̂_i, u_i)) with u_i = tanh(μ + σ ε_i)
    /// (reparameterised), its gradient into `actorParameters.gradients` (zeroed first; the
    /// critics get none), and the statistics. Returns the temperature loss's gradient
    /// d/d(log α) of −log α · mean_i(log π_i + H̄) (log π held fixed), i.e. −mean(log π + H̄).
    ///
    /// Uses `normalizedInputs` as left by `criticLossAndGradients`.
    func actorLossAndGradients(into stats: inout SACUpdateStatistics) -> Float {
        let b = configuration.batchSize, d = inputDimensions, a = actionDimensions
        let alpha = temperature
        let scale = 1 / Float(b)
        let head = actor.forward(actorParameters.values, input: normalizedInputs, batch: b, workspace: actorWorkspace)
        policy.noise.update(from: actorNoise, count: b * a)
        policy.forward(head: head, rows: b)
        for i in 0..<b { writeCriticRow(criticInput, row: i, input: normalizedInputs + i * d, action: policy.sampled + i * a) }
        let q1 = critics[0].forward(criticParameters.values, input: criticInput, batch: b, workspace: criticWorkspaces[0])
        let q2 = critics[1].forward(criticParameters.values, input: criticInput, batch: b, workspace: criticWorkspaces[1])
        let dq1 = criticWorkspaces[0].outputGradient, dq2 = criticWorkspaces[1].outputGradient
        var loss: Float = 0, logProbSum: Float = 0
        for i in 0..<b {
            let firstIsMin = q1[i] <= q2[i]
            loss += (alpha * policy.logProb[i] - (firstIsMin ? q1[i] : q2[i])) * scale
            logProbSum += policy.logProb[i]
            dq1[i] = firstIsMin ? -scale : 0
            dq2[i] = firstIsMin ? 0 : -scale
        }
        // dL/du through the critics' inputs (their parameters get no gradient).
        critics[0].backward(criticParameters.values, gradients: nil, outputGradient: dq1, workspace: criticWorkspaces[0], inputGradient: true)
        critics[1].backward(criticParameters.values, gradients: nil, outputGradient: dq2, workspace: criticWorkspaces[1], inputGradient: true)
        let g1 = criticWorkspaces[0].inputGradient, g2 = criticWorkspaces[1].inputGradient
        for i in 0..<b {
            for k in 0..<a { actionGradient[i * a + k] = g1[i * (d + a) + d + k] + g2[i * (d + a) + d + k] }
        }
        let dHead = actorWorkspace.outputGradient
        policy.backward(actionGradient: actionGradient, logProbGradient: nil, logProbGradientScalar: alpha * scale, into: dHead)
        actorParameters.zeroGradients()
        actor.backward(actorParameters.values, gradients: actorParameters.gradients, outputGradient: dHead, workspace: actorWorkspace)
        let meanLogProb = logProbSum * scale
        stats.actorLoss = loss
        stats.entropy = -meanLogProb
        return -(meanLogProb + Float(configuration.resolvedTargetEntropy))
    }

    /// Clips and applies the actor's gradient, then steps log α with `temperatureGradient`.
    func applyActorStep(temperatureGradient: Float, into stats: inout SACUpdateStatistics) {
        let p = actorParameters
        stats.actorGradientNorm = clipGradientNorm(p.gradients, count: p.count, maxNorm: configuration.gradientClipNorm.map { Float($0) })
        actorOptimizer.step(parameters: p.values, gradients: p.gradients)
        temperatureParameters.gradients[0] = temperatureGradient
        temperatureOptimizer.step(parameters: temperatureParameters.values, gradients: temperatureParameters.gradients)
        actorStepCount += 1
    }
}
