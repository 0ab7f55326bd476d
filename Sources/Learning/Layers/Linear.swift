/// A fully connected layer on a minibatch: Y[B, out] = X[B, in] · Wᵀ + b, with W [out, in]
/// (PyTorch's layout) and b [out] at fixed offsets of a `ParameterBuffer`.
///
/// The layer holds offsets only; parameters, gradients and activations are pointers the caller
/// passes in (the network's `ParameterBuffer` and its workspace), so one layout serves a network
/// and its target copy. No allocation; learner thread.
struct Linear: Sendable {
    let inputs: Int
    let outputs: Int
    let weightOffset: Int
    let biasOffset: Int

    init(inputs: Int, outputs: Int, name: String, layout: inout ParameterLayout) {
        precondition(inputs > 0 && outputs > 0, "Linear \(name): \(inputs) → \(outputs)")
        self.inputs = inputs
        self.outputs = outputs
        weightOffset = layout.reserve("\(name).weight", shape: [outputs, inputs])
        biasOffset = layout.reserve("\(name).bias", shape: [outputs])
    }

    /// PyTorch's default initialisation: W and b uniform in ±1/√in, then multiplied by `scale`.
    func initialize(_ parameters: UnsafeMutablePointer<Float>, random: inout LearnerRandom, scale: Float = 1) {
        let bound = 1 / Float(inputs).squareRoot()
        random.fillUniform(parameters + weightOffset, count: inputs * outputs, low: -bound, high: bound)
        random.fillUniform(parameters + biasOffset, count: outputs, low: -bound, high: bound)
        if scale != 1 {
            for i in 0..<(inputs * outputs) { parameters[weightOffset + i] *= scale }
            for i in 0..<outputs { parameters[biasOffset + i] *= scale }
        }
    }

    /// y[B, out] = x[B, in] · Wᵀ + b.
    func forward(_ parameters: UnsafePointer<Float>, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, batch: Int) {
        let bias = parameters + biasOffset
        for row in 0..<batch { (y + row * outputs).update(from: bias, count: outputs) }
        Matrix.multiply(x, parameters + weightOffset, transposeB: true, into: y, m: batch, n: outputs, k: inputs, beta: 1)
    }

    /// Given dL/dy [B, out] and the forward input x: adds dL/dW = dyᵀ · x and dL/db = Σ_rows dy
    /// into `gradients` (when given), and writes dL/dx = dy · W into `inputGradient` (when given).
    func backward(
        _ parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>?, input x: UnsafePointer<Float>,
        outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        if let gradients {
            Matrix.multiply(dy, transposeA: true, x, into: gradients + weightOffset, m: outputs, n: inputs, k: batch, beta: 1)
            let db = gradients + biasOffset
            for row in 0..<batch {
                let g = dy + row * outputs
                for j in 0..<outputs { db[j] += g[j] }
            }
        }
        if let dx {
            Matrix.multiply(dy, parameters + weightOffset, into: dx, m: batch, n: inputs, k: outputs)
        }
    }
}
