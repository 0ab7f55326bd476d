import Foundation

/// Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter, decoupled weight decay), exactly as
/// PyTorch's `torch.optim.Adam` / `AdamW` (non-amsgrad, non-fused), on a flat parameter buffer.
/// With t the step number (from 1), g the gradient and p the parameter:
///
///     Adam, weight decay λ as L2:   g ← g + λ p
///     AdamW, decoupled:             p ← p − lr · λ · p
///     m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
///     p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
public struct AdamConfiguration: Sendable, Equatable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// True: AdamW (decay applied to the parameter, not through the gradient).
    public var decoupledWeightDecay: Bool

    public init(
        learningRate: Double = 3e-4, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
        weightDecay: Double = 0, decoupledWeightDecay: Bool = true
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// PyTorch's `AdamW` defaults except the learning rate (weight decay 0.01).
    public static func adamW(learningRate: Double = 3e-4, weightDecay: Double = 0.01) -> AdamConfiguration {
        AdamConfiguration(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// Plain Adam (no weight decay unless given, then as L2 through the gradient).
    public static func adam(learningRate: Double = 3e-4, weightDecay: Double = 0) -> AdamConfiguration {
        AdamConfiguration(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: false)
    }
}

/// The optimiser state for one `ParameterBuffer`: first and second moments (allocated once)
/// and the step count.
///
/// Thread: owned by the learner thread; not synchronised. `step` does not allocate.
final class AdamOptimizer {
    let configuration: AdamConfiguration
    let count: Int
    let firstMoment: UnsafeMutablePointer<Float>
    let secondMoment: UnsafeMutablePointer<Float>
    /// Steps taken (PyTorch's `state["step"]`).
    var stepCount = 0

    init(_ configuration: AdamConfiguration, count: Int) {
        self.configuration = configuration
        self.count = count
        firstMoment = .allocate(capacity: max(count, 1))
        firstMoment.initialize(repeating: 0, count: max(count, 1))
        secondMoment = .allocate(capacity: max(count, 1))
        secondMoment.initialize(repeating: 0, count: max(count, 1))
    }

    deinit {
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    /// One step on `parameters` with `gradients` (both `count` floats). L2 weight decay is added
    /// to a copy of the gradient, never written back.
    func step(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>) {
        stepCount += 1
        let c = configuration
        let t = Double(stepCount)
        let lr = Float(c.learningRate)
        let b1 = Float(c.beta1), b2 = Float(c.beta2)
        let oneMinusB1 = 1 - b1, oneMinusB2 = 1 - b2
        // PyTorch: step_size = lr / bias_correction1; denom = √v / √bias_correction2 + ε.
        let stepSize = Float(c.learningRate / (1 - pow(c.beta1, t)))
        let inverseRootCorrection2 = Float(1 / (1 - pow(c.beta2, t)).squareRoot())
        let eps = Float(c.epsilon)
        let decay = Float(c.weightDecay)
        let decoupledFactor: Float = c.decoupledWeightDecay ? 1 - lr * decay : 1
        let l2: Float = c.decoupledWeightDecay ? 0 : decay
        let m = firstMoment, v = secondMoment
        for i in 0..<count {
            let grad = g[i] + l2 * p[i]
            let mi = b1 * m[i] + oneMinusB1 * grad
            let vi = b2 * v[i] + oneMinusB2 * grad * grad
            m[i] = mi
            v[i] = vi
            let denominator = vi.squareRoot() * inverseRootCorrection2 + eps
            p[i] = p[i] * decoupledFactor - stepSize * mi / denominator
        }
    }

    /// Restores moments and step count (checkpoints).
    func restore(first: [Float], second: [Float], steps: Int) {
        precondition(first.count == count && second.count == count, "Adam restore: \(first.count), \(second.count) values for \(count)")
        first.withUnsafeBufferPointer { firstMoment.update(from: $0.baseAddress!, count: count) }
        second.withUnsafeBufferPointer { secondMoment.update(from: $0.baseAddress!, count: count) }
        stepCount = steps
    }
}
