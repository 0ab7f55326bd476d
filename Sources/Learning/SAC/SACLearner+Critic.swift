import Foundation

// The critic step: clipped double-Q TD loss plus the Cal-QL conservative term, on the minibatch
// in `batch` with the noise drawn by `drawCriticNoise` (split so the tests can fix the noise and
// compare against a double-precision reference).
extension SACLearner {
    /// Fills the critic step's noise from the learner's generator: ε for u′ ~ π(x′) and, with
    /// CQL, the uniform actions and the ε of the policy samples.
    func drawCriticNoise(conservative: Bool) {
        let b = configuration.batchSize, a = actionDimensions
        random.fillGaussian(nextNoise, count: b * a)
        if conservative {
            random.fillUniform(uniformActions, count: b * cqlSamples * a, low: -1, high: 1)
            random.fillGaussian(cqlNoise, count: b * cqlSamples * a)
        }
    }

    /// Writes row `row` of a [rows, D + A] critic input: x̂ then u.
    @inline(__always)
    func writeCriticRow(_ destination: UnsafeMutablePointer<Float>, row: Int, input: UnsafePointer<Float>, action: UnsafePointer<Float>) {
        let d = inputDimensions, a = actionDimensions
        let out = destination + row * (d + a)
        out.update(from: input, count: d)
        (out + d).update(from: action, count: a)
    }

    /// Computes the TD targets, both critics' losses and their parameter gradients (into
    /// `criticParameters.gradients`, zeroed first). Losses per critic j, with y the target:
    /// mean_i (Q_j(x̂_i, u_i) − y_i)², plus the CQL term of `CQLConfiguration` when
    /// `conservative`.
    func criticLossAndGradients(conservative: Bool, into stats: inout SACUpdateStatistics) {
        let c = configuration
        let b = c.batchSize, d = inputDimensions, a = actionDimensions
        let n = conservative ? cqlSamples : 0
        precondition(!conservative || cqlSamples > 0, "CQL step without CQL workspaces (cql.weight is 0)")
        let alpha = temperature
        // The rows are n-step transitions (r already sums n discounted rewards).
        let gamma = Float(pow(c.discount, Double(c.nStep)))
        normalizer.apply(batch.inputs, into: normalizedInputs, rows: b)
        normalizer.apply(batch.nextInputs, into: normalizedNextInputs, rows: b)

        // 1. TD target from the target critics at u′ ~ π(x′).
        let nextHead = actor.forward(actorParameters.values, input: normalizedNextInputs, batch: b, workspace: actorWorkspace)
        policy.noise.update(from: nextNoise, count: b * a)
        policy.forward(head: nextHead, rows: b)
        for i in 0..<b { writeCriticRow(targetInput, row: i, input: normalizedNextInputs + i * d, action: policy.sampled + i * a) }
        let q1Next = critics[0].forward(targetParameters.values, input: targetInput, batch: b, workspace: targetWorkspaces[0])
        let q2Next = critics[1].forward(targetParameters.values, input: targetInput, batch: b, workspace: targetWorkspaces[1])
        var targetSum: Float = 0
        for i in 0..<b {
            var next = min(q1Next[i], q2Next[i])
            if c.backupEntropy { next -= alpha * policy.logProb[i] }
            targets[i] = batch.rewards[i] + gamma * (1 - batch.dones[i]) * next
            targetSum += targets[i]
        }

        // 2. Critic inputs: data rows, then (CQL) uniform-action rows and policy-sample rows.
        for i in 0..<b { writeCriticRow(criticInput, row: i, input: normalizedInputs + i * d, action: batch.actions + i * a) }
        if n > 0 {
            for i in 0..<b {
                for k in 0..<n {
                    let r = i * n + k
                    (repeatedInputs + r * d).update(from: normalizedInputs + i * d, count: d)
                    writeCriticRow(criticInput, row: b + r, input: normalizedInputs + i * d, action: uniformActions + r * a)
                }
            }
            let head = actor.forward(actorParameters.values, input: repeatedInputs, batch: b * n, workspace: actorWorkspace)
            policy.noise.update(from: cqlNoise, count: b * n * a)
            policy.forward(head: head, rows: b * n)
            cqlLogProb.update(from: policy.logProb, count: b * n)
            for r in 0..<(b * n) {
                writeCriticRow(criticInput, row: b + b * n + r, input: normalizedInputs + (r / n) * d, action: policy.sampled + r * a)
            }
        }
        let rows = b * (1 + 2 * n)

        // 3. Losses and dL/dQ per critic.
        criticParameters.zeroGradients()
        var tdLoss: Float = 0, cqlLoss: Float = 0, calibrated = 0
        let scale = 1 / Float(b)
        for j in 0..<2 {
            let ws = criticWorkspaces[j]
            let q = critics[j].forward(criticParameters.values, input: criticInput, batch: rows, workspace: ws)
            let dq = ws.outputGradient
            for i in 0..<b {
                let error = q[i] - targets[i]
                tdLoss += error * error * scale
                dq[i] = 2 * error * scale
            }
            if j == 0 {
                var sum: Float = 0
                for i in 0..<b { sum += q[i] }
                stats.meanQ = sum * scale
            }
            if n > 0 {
                let term = conservativeTerm(q: q, dq: dq, calibrated: &calibrated)
                cqlLoss += term
            }
            critics[j].backward(criticParameters.values, gradients: criticParameters.gradients, outputGradient: dq, workspace: ws)
        }
        stats.tdLoss = tdLoss
        stats.cqlLoss = cqlLoss
        stats.criticLoss = tdLoss + cqlLoss
        stats.meanTarget = targetSum * scale
        stats.calibrationActiveFraction = n > 0 ? Float(calibrated) / Float(2 * b * n) : 0
    }

    /// The CQL term of one critic, given its outputs q over all rows (data, uniform, policy);
    /// adds its gradient into dq and returns its value. See `CQLConfiguration`.
    func conservativeTerm(q: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>, calibrated: inout Int) -> Float {
        let c = configuration
        let b = c.batchSize, n = cqlSamples
        let weight = Float(c.cql.weight), tau = Float(c.cql.temperature)
        let uniformLogDensity = -Float(actionDimensions) * Float(Foundation.log(2.0))
        let scale = weight / Float(b)
        var total: Float = 0
        for i in 0..<b {
            let uniformRows = b + i * n, policyRows = b + b * n + i * n
            let mc = batch.monteCarloReturns[i]
            // Values v_k / τ, 2N of them: uniform first, then policy.
            var largest = -Float.infinity
            for k in 0..<n {
                largest = max(largest, (q[uniformRows + k] - uniformLogDensity) / tau)
                let policyQ = c.cql.calibrated ? max(q[policyRows + k], mc) : q[policyRows + k]
                largest = max(largest, (policyQ - cqlLogProb[i * n + k]) / tau)
            }
            var sum: Float = 0
            for k in 0..<n {
                sum += exp((q[uniformRows + k] - uniformLogDensity) / tau - largest)
                let policyQ = c.cql.calibrated ? max(q[policyRows + k], mc) : q[policyRows + k]
                sum += exp((policyQ - cqlLogProb[i * n + k]) / tau - largest)
            }
            let logSumExp = largest + Foundation.log(sum)
            total += scale * (tau * logSumExp - q[i])
            // d(τ · lse)/dv_k = softmax_k; through max(Q, mc) only where Q ≥ mc.
            for k in 0..<n {
                dq[uniformRows + k] = scale * exp((q[uniformRows + k] - uniformLogDensity) / tau - logSumExp)
                let raw = q[policyRows + k]
                let active = c.cql.calibrated && raw < mc
                if active { calibrated += 1 }
                let policyQ = active ? mc : raw
                dq[policyRows + k] = active ? 0 : scale * exp((policyQ - cqlLogProb[i * n + k]) / tau - logSumExp)
            }
            dq[i] -= scale
        }
        return total
    }

    /// Clips the critics' gradient, takes an optimiser step and moves the targets (Polyak).
    func applyCriticStep(into stats: inout SACUpdateStatistics) {
        let p = criticParameters
        stats.criticGradientNorm = clipGradientNorm(p.gradients, count: p.count, maxNorm: configuration.gradientClipNorm.map { Float($0) })
        criticOptimizer.step(parameters: p.values, gradients: p.gradients)
        targetParameters.polyakAverage(toward: p, tau: Float(configuration.targetUpdateRate))
        criticStepCount += 1
    }
}
