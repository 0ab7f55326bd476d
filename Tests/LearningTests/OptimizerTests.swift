import Foundation
@testable import Learning
import Testing

/// Adam / AdamW against the update rule computed by hand (step 1 in closed form) and against
/// PyTorch's formulas evaluated in double for later steps; gradient clipping against its
/// definition.
@Suite struct OptimizerTests {
    static let start: [Float] = [0.5, -1.25, 2.0, 0.0]
    static let gradients: [[Float]] = [[0.1, -0.2, 0.3, -0.4], [0.05, 0.1, -0.3, 0.2], [-0.2, 0.0, 0.25, 0.1]]

    /// PyTorch's Adam / AdamW step sequence, in double.
    static func torchReference(_ c: AdamConfiguration, steps: Int) -> [Double] {
        var p = start.map(Double.init)
        var m = [Double](repeating: 0, count: p.count), v = m
        for t in 1...steps {
            for i in p.indices {
                var g = Double(gradients[t - 1][i])
                if c.decoupledWeightDecay { p[i] *= 1 - c.learningRate * c.weightDecay } else { g += c.weightDecay * p[i] }
                m[i] = c.beta1 * m[i] + (1 - c.beta1) * g
                v[i] = c.beta2 * v[i] + (1 - c.beta2) * g * g
                let mHat = m[i] / (1 - pow(c.beta1, Double(t)))
                let vHat = v[i] / (1 - pow(c.beta2, Double(t)))
                p[i] -= c.learningRate * mHat / (vHat.squareRoot() + c.epsilon)
            }
        }
        return p
    }

    static func run(_ c: AdamConfiguration, steps: Int) -> [Float] {
        let optimizer = AdamOptimizer(c, count: start.count)
        var p = start
        for t in 0..<steps { optimizer.step(parameters: &p, gradients: gradients[t]) }
        #expect(optimizer.stepCount == steps)
        return p
    }

    @Test func adamWFirstStepByHand() {
        // Step 1: m̂ = g, v̂ = g², so p ← p (1 − lr λ) − lr · g / (|g| + ε).
        let c = AdamConfiguration.adamW(learningRate: 0.1, weightDecay: 0.5)
        let p = Self.run(c, steps: 1)
        let byHand: [Float] = [
            0.5 * 0.95 - 0.1 * (0.1 / (0.1 + 1e-8)),
            -1.25 * 0.95 + 0.1 * (0.2 / (0.2 + 1e-8)),
            2.0 * 0.95 - 0.1 * (0.3 / (0.3 + 1e-8)),
            0 + 0.1 * (0.4 / (0.4 + 1e-8)),
        ]
        for i in p.indices { #expect(abs(p[i] - byHand[i]) < 1e-6, "p[\(i)] = \(p[i]), by hand \(byHand[i])") }
        // 0.375, -1.0875, 1.8, 0.1
        #expect(abs(p[0] - 0.375) < 1e-6 && abs(p[1] + 1.0875) < 1e-6 && abs(p[2] - 1.8) < 1e-6 && abs(p[3] - 0.1) < 1e-6)
    }

    @Test func adamWThreeStepsMatchTorchFormulas() {
        let c = AdamConfiguration.adamW(learningRate: 0.05, weightDecay: 0.1)
        let p = Self.run(c, steps: 3), reference = Self.torchReference(c, steps: 3)
        for i in p.indices { #expect(abs(Double(p[i]) - reference[i]) < 2e-6, "p[\(i)] = \(p[i]), reference \(reference[i])") }
        // Decoupled decay differs from L2 decay: the two must not coincide.
        let l2 = Self.run(AdamConfiguration(learningRate: 0.05, weightDecay: 0.1, decoupledWeightDecay: false), steps: 3)
        #expect(zip(p, l2).contains { abs($0 - $1) > 1e-4 })
    }

    @Test func adamWithL2DecayMatchesTorchFormulas() {
        let c = AdamConfiguration(learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.2, decoupledWeightDecay: false)
        let p = Self.run(c, steps: 3), reference = Self.torchReference(c, steps: 3)
        for i in p.indices { #expect(abs(Double(p[i]) - reference[i]) < 2e-6, "p[\(i)] = \(p[i]), reference \(reference[i])") }
    }

    @Test func globalNormClipping() {
        var g: [Float] = [3, 4, 0, 0]  // ‖g‖ = 5
        let norm = clipGradientNorm(&g, count: 4, maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        #expect(abs(g[0] - 0.6) < 1e-6 && abs(g[1] - 0.8) < 1e-6)
        var small: [Float] = [0.3, 0.4]
        clipGradientNorm(&small, count: 2, maxNorm: 1)
        #expect(small == [0.3, 0.4])
    }
}
