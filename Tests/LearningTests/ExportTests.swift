import Foundation
@testable import Learning
import PLDCore
import Policies
import Testing

/// The exported residual, read back by the runtime's loader and run by the runtime's
/// `ResidualPolicy` in mean mode, acts as the learner's deterministic actor ξ · tanh(μ(x̂)).
@Suite struct ExportTests {
    @Test(arguments: [ResidualBackend.blasFloat32, .blas])
    func exportedResidualActsLikeTheLearner(backend: ResidualBackend) throws {
        let learner = try LearnerFixtures.smallLearner(input: 11, action: 4)
        learner.warmStart(steps: 3)
        learner.update(count: 5)
        let path = LearnerFixtures.temporaryPath("export")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try learner.writeResidual(toFile: path, extraMetadata: ["run": "export-test"])

        let network = try ResidualNetwork(contentsOfFile: path)
        #expect(network.architecture == learner.residualArchitecture)
        #expect(network.architecture.logStd == .head && network.architecture.activation == .tanh && network.architecture.layerNorm)
        #expect(network.metadata["run"] == "export-test" && network.metadata["learner.update_count"] == "8")
        let xi = 0.5
        let policy = ResidualPolicy(network: network, xi: xi, mode: .mean, backend: backend)
        let stateWidth = learner.inputDimensions - learner.actionDimensions
        var random = LearnerRandom(seed: 4)
        var worst = 0.0, largest = 0.0
        var residual = ActionVector(count: 0)
        for _ in 0..<50 {
            let x = (0..<learner.inputDimensions).map { _ in Float(3 * random.nextUnit() - 1.5) }
            let features = x[0..<stateWidth].map(Double.init)
            let base = ActionVector(x[stateWidth...].map(Double.init))
            policy.act(features: features.span, baseAction: base, into: &residual)
            let expected = learner.meanAction(x)
            for k in 0..<learner.actionDimensions {
                worst = max(worst, abs(residual[k] - xi * Double(expected[k])))
                largest = max(largest, abs(residual[k]))
            }
        }
        print("export (\(backend.rawValue)): max |ResidualPolicy − ξ·tanh(μ)| = \(worst), max |a_δ| = \(largest)")
        #expect(worst < 1e-5)
        // Not a vacuous comparison: the actor's output is not (near) zero.
        #expect(largest > 0.05)
    }

    @Test func exportedMeanAndStdMatchTheLearnersHead() throws {
        // Sample mode reports μ and σ of each call: σ must be exp(clamp(raw log σ)) from rows
        // A..<2A of the learner's head, μ its first A rows.
        let learner = try LearnerFixtures.smallLearner(input: 6, action: 2)
        learner.update(count: 3)
        let path = LearnerFixtures.temporaryPath("export-std")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try learner.writeResidual(toFile: path)
        let policy = ResidualPolicy(network: try ResidualNetwork(contentsOfFile: path), xi: 0.5, mode: .sample, seed: 3, backend: .blas)
        let a = learner.actionDimensions, d = learner.inputDimensions
        var random = LearnerRandom(seed: 8)
        var residual = ActionVector(count: 0)
        var worstMu = 0.0, worstStd = 0.0
        for _ in 0..<20 {
            let x = (0..<d).map { _ in Float(2 * random.nextUnit() - 1) }
            let features = x[0..<(d - a)].map(Double.init)
            let base = ActionVector(x[(d - a)...].map(Double.init))
            policy.act(features: features.span, baseAction: base, into: &residual)
            var normalized = [Float](repeating: 0, count: d)
            learner.normalizer.apply(x, into: &normalized, rows: 1)
            let ws = MLPWorkspace(learner.actor, maxBatch: 1)
            learner.actor.forward(learner.actorParameters.values, input: normalized, batch: 1, workspace: ws)
            let head = ws.output
            for k in 0..<a {
                let sigma = exp(min(max(Double(head[a + k]), -20), 2))
                worstMu = max(worstMu, abs(policy.lastMean[k] - Double(head[k])))
                worstStd = max(worstStd, abs(policy.lastStd[k] - sigma))
            }
        }
        #expect(worstMu < 1e-5 && worstStd < 1e-5, "μ differs by \(worstMu), σ by \(worstStd)")
    }
}
