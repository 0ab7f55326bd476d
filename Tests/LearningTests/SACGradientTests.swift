import Foundation
@testable import Learning
import Testing

/// The SAC losses' gradients (actor, critic TD, CQL term, temperature) against central finite
/// differences of double-precision references written from the definitions in
/// `SACConfiguration` / `CQLConfiguration` / `SquashedGaussian`, with the learner's own noise.
@Suite struct SACGradientTests {
    static let d = 5, a = 2, b = 6, n = 3

    /// A tiny learner with non-trivial heads (log σ partly outside its clamp range), a
    /// non-identity normaliser, targets that differ from the critics, and a filled batch.
    static func makeLearner(backupEntropy: Bool = false, nStep: Int = 1) throws -> SACLearner {
        var c = SACConfiguration(inputDimensions: d, actionDimensions: a)
        c.hidden = [8, 7]
        c.batchSize = b
        c.cql.actionSamples = n
        c.cql.weight = 2.5
        c.cql.temperature = 0.8
        c.actorHeadInitScale = 1
        c.initialLogStdBias = -0.2
        c.logStdRange = -0.9...0.35
        c.initialTemperature = 0.7
        c.discount = 0.9
        c.nStep = nStep
        c.seed = 11
        c.backupEntropy = backupEntropy
        let normalizer = try ObservationNormalizer(mean: [0.1, -0.2, 0.3, 0, 0.05], std: [0.8, 1.3, 0.5, 1, 0.7])
        let learner = try SACLearner(configuration: c, normalizer: normalizer)
        var random = LearnerRandom(seed: 5)
        func uniform(_ n: Int, _ s: Double) -> [Float] { (0..<n).map { _ in Float((2 * random.nextUnit() - 1) * s) } }
        // Targets ≠ critics.
        for i in 0..<learner.targetParameters.count { learner.targetParameters.values[i] += uniform(1, 0.05)[0] }
        for _ in 0..<40 {
            learner.offline.append(
                input: uniform(d, 1.5), action: uniform(a, 0.95), reward: uniform(1, 1)[0], nextInput: uniform(d, 1.5),
                done: random.nextUnit() < 0.3, monteCarloReturn: uniform(1, 0.4)[0])
        }
        _ = learner.batch.fillSymmetric(offline: learner.offline, online: nil, random: &learner.random)
        learner.drawCriticNoise(conservative: true)
        return learner
    }

    static func floats(_ p: UnsafePointer<Float>, _ count: Int) -> [Double] { (0..<count).map { Double(p[$0]) } }

    /// The batch's normalised inputs and next inputs, in double.
    static func normalized(_ learner: SACLearner, next: Bool) -> [Double] {
        let x = floats(next ? learner.batch.nextInputs : learner.batch.inputs, b * d)
        let mean = learner.normalizer.mean.map(Double.init), std = learner.normalizer.std.map(Double.init)
        var out = x
        for i in x.indices { out[i] = (x[i] - mean[i % d]) / std[i % d] }
        return out
    }

    static func concatenate(_ x: [Double], _ u: [Double], rows: Int, xWidth: Int) -> [Double] {
        var out: [Double] = []
        for r in 0..<rows {
            out += x[(r * xWidth)..<((r + 1) * xWidth)]
            out += u[(r * a)..<((r + 1) * a)]
        }
        return out
    }

    static func logStdRange(_ learner: SACLearner) -> ClosedRange<Double> { learner.configuration.logStdRange }

    /// Σ_j mean_i (Q_j(x̂, u) − y)² as a function of the critic parameters, y = r + γⁿ (1 − done)
    /// (min_j Q̄_j(x̂′, u′) [− α log π(u′|x′)]) (n-step rows: r already sums n rewards).
    static func tdLoss(_ learner: SACLearner, critic: [Double]) -> Double {
        let c = learner.configuration
        let actor = learner.actorParameters.doubles, target = learner.targetParameters.doubles
        let alpha = Double(learner.temperature)
        let xn = normalized(learner, next: true), x = normalized(learner, next: false)
        let head = Reference.mlp(learner.actor, actor, xn, rows: b)
        let next = Reference.squash(head: head, noise: floats(learner.nextNoise, b * a), rows: b, actions: a, range: logStdRange(learner))
        let targetInput = concatenate(xn, next.u, rows: b, xWidth: d)
        let q1n = Reference.mlp(learner.critics[0], target, targetInput, rows: b)
        let q2n = Reference.mlp(learner.critics[1], target, targetInput, rows: b)
        let data = concatenate(x, floats(learner.batch.actions, b * a), rows: b, xWidth: d)
        var loss = 0.0
        for j in 0..<2 {
            let q = Reference.mlp(learner.critics[j], critic, data, rows: b)
            for i in 0..<b {
                let bootstrap = (1..<(c.nStep + 1)).reduce(1.0) { product, _ in product * c.discount }
                let y = Double(learner.batch.rewards[i]) + bootstrap * (1 - Double(learner.batch.dones[i]))
                    * (min(q1n[i], q2n[i]) - (c.backupEntropy ? alpha * next.logProb[i] : 0))
                loss += (q[i] - y) * (q[i] - y) / Double(b)
            }
        }
        return loss
    }

    /// Σ_j weight · mean_i(τ · lse([(Q(x̂, a_k) + A log 2)/τ, (max(Q(x̂, a′_k), mc) − log π(a′_k))/τ]) − Q(x̂, u)).
    static func cqlLoss(_ learner: SACLearner, critic: [Double]) -> Double {
        let cql = learner.configuration.cql
        let actor = learner.actorParameters.doubles
        let x = normalized(learner, next: false)
        var repeated: [Double] = []
        for r in 0..<(b * n) { repeated += x[((r / n) * d)..<((r / n + 1) * d)] }
        let head = Reference.mlp(learner.actor, actor, repeated, rows: b * n)
        let policy = Reference.squash(head: head, noise: floats(learner.cqlNoise, b * n * a), rows: b * n, actions: a, range: logStdRange(learner))
        let uniformInput = concatenate(repeated, floats(learner.uniformActions, b * n * a), rows: b * n, xWidth: d)
        let policyInput = concatenate(repeated, policy.u, rows: b * n, xWidth: d)
        let data = concatenate(x, floats(learner.batch.actions, b * a), rows: b, xWidth: d)
        var loss = 0.0
        for j in 0..<2 {
            let qData = Reference.mlp(learner.critics[j], critic, data, rows: b)
            let qUniform = Reference.mlp(learner.critics[j], critic, uniformInput, rows: b * n)
            let qPolicy = Reference.mlp(learner.critics[j], critic, policyInput, rows: b * n)
            for i in 0..<b {
                let mc = Double(learner.batch.monteCarloReturns[i])
                var values: [Double] = []
                for k in 0..<n { values.append((qUniform[i * n + k] + Double(a) * Foundation.log(2.0)) / cql.temperature) }
                for k in 0..<n { values.append((max(qPolicy[i * n + k], mc) - policy.logProb[i * n + k]) / cql.temperature) }
                loss += cql.weight * (cql.temperature * Reference.logSumExp(values) - qData[i]) / Double(b)
            }
        }
        return loss
    }

    static func actorTerms(_ learner: SACLearner, actor: [Double]) -> (loss: Double, logProb: [Double]) {
        let critic = learner.criticParameters.doubles
        let alpha = Double(learner.temperature)
        let x = normalized(learner, next: false)
        let head = Reference.mlp(learner.actor, actor, x, rows: b)
        let sample = Reference.squash(head: head, noise: floats(learner.actorNoise, b * a), rows: b, actions: a, range: logStdRange(learner))
        let input = concatenate(x, sample.u, rows: b, xWidth: d)
        let q1 = Reference.mlp(learner.critics[0], critic, input, rows: b)
        let q2 = Reference.mlp(learner.critics[1], critic, input, rows: b)
        let loss = (0..<b).map { alpha * sample.logProb[$0] - min(q1[$0], q2[$0]) }.reduce(0, +) / Double(b)
        return (loss, sample.logProb)
    }

    static func compare(_ label: String, analytic: [Double], numeric: [Double]) {
        let check = GradientComparison(analytic: analytic, numeric: numeric)
        #expect(check.passed, "\(label): \(check)")
    }

    @Test(arguments: [(false, 1), (true, 1), (false, 3)])
    func criticTDLossGradient(backupEntropy: Bool, nStep: Int) throws {
        let learner = try Self.makeLearner(backupEntropy: backupEntropy, nStep: nStep)
        var stats = SACUpdateStatistics()
        learner.criticLossAndGradients(conservative: false, into: &stats)
        let theta = learner.criticParameters.doubles
        let reference = Self.tdLoss(learner, critic: theta)
        #expect(abs(Double(stats.tdLoss) - reference) <= 1e-5 * max(1, abs(reference)), "TD loss \(stats.tdLoss) vs reference \(reference)")
        #expect(stats.cqlLoss == 0)
        let indices = learner.criticParameters.tensorIndices
        let numeric = Reference.gradient({ Self.tdLoss(learner, critic: $0) }, at: theta, indices: indices)
        Self.compare("TD loss", analytic: indices.map { Double(learner.criticParameters.gradients[$0]) }, numeric: numeric)
    }

    @Test func conservativeTermGradient() throws {
        let learner = try Self.makeLearner()
        var stats = SACUpdateStatistics()
        learner.criticLossAndGradients(conservative: false, into: &stats)
        let tdGradient = learner.criticParameters.gradientDoubles
        learner.criticLossAndGradients(conservative: true, into: &stats)
        let allGradient = learner.criticParameters.gradientDoubles
        let theta = learner.criticParameters.doubles
        let reference = Self.cqlLoss(learner, critic: theta)
        #expect(abs(Double(stats.cqlLoss) - reference) <= 1e-5 * max(1, abs(reference)), "CQL term \(stats.cqlLoss) vs reference \(reference)")
        // Both branches of Cal-QL's max(Q, mcReturn) must occur in this batch.
        #expect(stats.calibrationActiveFraction > 0.05 && stats.calibrationActiveFraction < 0.95,
                "calibration active for \(stats.calibrationActiveFraction) of policy samples")
        let indices = learner.criticParameters.tensorIndices
        let numericCQL = Reference.gradient({ Self.cqlLoss(learner, critic: $0) }, at: theta, indices: indices)
        Self.compare("CQL term", analytic: indices.map { allGradient[$0] - tdGradient[$0] }, numeric: numericCQL)
        let numericAll = Reference.gradient({ Self.cqlLoss(learner, critic: $0) + Self.tdLoss(learner, critic: $0) }, at: theta, indices: indices)
        Self.compare("TD + CQL", analytic: indices.map { allGradient[$0] }, numeric: numericAll)
    }

    @Test func actorAndTemperatureLossGradients() throws {
        let learner = try Self.makeLearner()
        var stats = SACUpdateStatistics()
        learner.criticLossAndGradients(conservative: false, into: &stats)
        learner.drawActorNoise()
        let temperatureGradient = learner.actorLossAndGradients(into: &stats)
        let theta = learner.actorParameters.doubles
        let reference = Self.actorTerms(learner, actor: theta)
        #expect(abs(Double(stats.actorLoss) - reference.loss) <= 1e-5 * max(1, abs(reference.loss)),
                "actor loss \(stats.actorLoss) vs reference \(reference.loss)")
        // Some raw log σ must sit outside the clamp range so its zero-gradient branch is covered.
        let head = Reference.mlp(learner.actor, theta, Self.normalized(learner, next: false), rows: Self.b)
        let raw = (0..<Self.b).flatMap { r in (0..<Self.a).map { head[r * 2 * Self.a + Self.a + $0] } }
        #expect(raw.contains { !learner.configuration.logStdRange.contains($0) } && raw.contains { learner.configuration.logStdRange.contains($0) },
                "raw log σ \(raw) should straddle the clamp range")
        let indices = learner.actorParameters.tensorIndices
        let numeric = Reference.gradient({ Self.actorTerms(learner, actor: $0).loss }, at: theta, indices: indices)
        Self.compare("actor loss", analytic: indices.map { Double(learner.actorParameters.gradients[$0]) }, numeric: numeric)

        // Temperature: L(log α) = −log α · mean(log π + H̄), log π held fixed.
        let target = learner.configuration.resolvedTargetEntropy
        let meanTerm = reference.logProb.map { $0 + target }.reduce(0, +) / Double(Self.b)
        let logAlpha = Double(learner.temperatureParameters.values[0])
        let numericTemperature = Reference.gradient({ -$0[0] * meanTerm }, at: [logAlpha], indices: [0])[0]
        #expect(abs(Double(temperatureGradient) - numericTemperature) <= 1e-4 * max(1, abs(numericTemperature)),
                "temperature gradient \(temperatureGradient) vs \(numericTemperature)")
    }
}
