import Foundation

// Running the current actor outside training: evaluation, data collection in tests and tools.
// The runtime's control thread does not call these; it runs the exported residual
// (`writeResidual(toFile:)`) through `Policies.ResidualPolicy`.
extension SACLearner {
    /// The actor on `rows` inputs x [rows, D] (raw, not normalised) into u [rows, A]:
    /// tanh(μ) when `random` is nil, else tanh(μ + σ ε) with ε from `random`. No allocation
    /// unless `rows` exceeds every earlier call's (the acting workspace then grows once).
    public func act(inputs: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, random: inout LearnerRandom?) {
        let d = inputDimensions, a = actionDimensions
        if rows > actingWorkspace.maxBatch {
            actingWorkspace = MLPWorkspace(actor, maxBatch: rows)
            actingPolicy = SquashedGaussian(maxRows: rows, actions: a, logStdRange: actingPolicy.logStdRange)
            actingInput.deallocate()
            actingInput = .allocate(capacity: rows * d)
        }
        normalizer.apply(inputs, into: actingInput, rows: rows)
        let head = actor.forward(actorParameters.values, input: actingInput, batch: rows, workspace: actingWorkspace)
        if random != nil {
            random!.fillGaussian(actingPolicy.noise, count: rows * a)
            actingPolicy.forward(head: head, rows: rows)
            output.update(from: actingPolicy.sampled, count: rows * a)
        } else {
            for r in 0..<rows {
                for k in 0..<a { output[r * a + k] = Foundation.tanh(head[r * 2 * a + k]) }
            }
        }
    }

    /// tanh(μ(x̂)) for one input x (the deterministic residual before ξ). Allocates the result.
    public func meanAction(_ input: [Float]) -> [Float] {
        precondition(input.count == inputDimensions, "meanAction: \(input.count) values, expected \(inputDimensions)")
        var output = [Float](repeating: 0, count: actionDimensions)
        var none: LearnerRandom? = nil
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { u in act(inputs: x.baseAddress!, rows: 1, into: u.baseAddress!, random: &none) }
        }
        return output
    }

    /// tanh(μ + σ ε) for one input x with ε from `random`. Allocates the result.
    public func sampleAction(_ input: [Float], random: inout LearnerRandom) -> [Float] {
        precondition(input.count == inputDimensions, "sampleAction: \(input.count) values, expected \(inputDimensions)")
        var output = [Float](repeating: 0, count: actionDimensions)
        var source: LearnerRandom? = random
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { u in act(inputs: x.baseAddress!, rows: 1, into: u.baseAddress!, random: &source) }
        }
        random = source!
        return output
    }

    /// `act` over rows of a flat array [rows · D]; returns [rows · A]. Allocates the result.
    public func actions(_ inputs: [Float], deterministic: Bool, random: inout LearnerRandom) -> [Float] {
        precondition(inputs.count % inputDimensions == 0, "actions: \(inputs.count) values is not a multiple of \(inputDimensions)")
        let rows = inputs.count / inputDimensions
        var output = [Float](repeating: 0, count: rows * actionDimensions)
        var source: LearnerRandom? = deterministic ? nil : random
        inputs.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { u in act(inputs: x.baseAddress!, rows: rows, into: u.baseAddress!, random: &source) }
        }
        if let source { random = source }
        return output
    }
}
