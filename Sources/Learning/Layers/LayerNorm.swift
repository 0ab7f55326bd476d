/// Layer normalisation over the features of each row, as PyTorch's `nn.LayerNorm(width)`:
/// y = (x − mean) / √(var + ε) · γ + β with the biased variance (divide by width), ε = 1e-5 by
/// default, γ and β [width] at fixed offsets of a `ParameterBuffer`.
///
/// Forward keeps x̂ = (x − mean) / √(var + ε) and 1/√(var + ε) per row for the backward pass;
/// x̂ may overwrite x (the network does this). No allocation; learner thread.
struct LayerNorm: Sendable {
    let width: Int
    let epsilon: Float
    let gammaOffset: Int
    let betaOffset: Int

    init(width: Int, epsilon: Float, name: String, layout: inout ParameterLayout) {
        precondition(width > 0 && epsilon > 0, "LayerNorm \(name): width \(width), ε \(epsilon)")
        self.width = width
        self.epsilon = epsilon
        gammaOffset = layout.reserve("\(name).weight", shape: [width])
        betaOffset = layout.reserve("\(name).bias", shape: [width])
    }

    /// γ = 1, β = 0.
    func initialize(_ parameters: UnsafeMutablePointer<Float>) {
        (parameters + gammaOffset).update(repeating: 1, count: width)
        (parameters + betaOffset).update(repeating: 0, count: width)
    }

    /// Normalises x [B, width] into y; x̂ [B, width] and rstd [B] are kept for `backward`
    /// (`normalized` may equal `x`).
    func forward(
        _ parameters: UnsafePointer<Float>, input x: UnsafePointer<Float>, normalized xhat: UnsafeMutablePointer<Float>,
        inverseStd rstd: UnsafeMutablePointer<Float>, output y: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let gamma = parameters + gammaOffset, beta = parameters + betaOffset
        let n = Float(width)
        for row in 0..<batch {
            let xr = x + row * width, hr = xhat + row * width, yr = y + row * width
            let mean = VectorMath.sum(xr, count: width) / n
            let variance = VectorMath.sumOfSquaredDeviations(xr, count: width, center: mean) / n
            let r = 1 / (variance + epsilon).squareRoot()
            rstd[row] = r
            for j in 0..<width {
                let h = (xr[j] - mean) * r
                hr[j] = h
                yr[j] = h * gamma[j] + beta[j]
            }
        }
    }

    /// Given dL/dy [B, width] in `gradient`, overwrites it with dL/dx and adds dL/dγ = Σ dy · x̂
    /// and dL/dβ = Σ dy into `gradients` (when given). With g = dy · γ:
    /// dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)).
    func backward(
        _ parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>?, normalized xhat: UnsafePointer<Float>,
        inverseStd rstd: UnsafePointer<Float>, gradient dy: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let gamma = parameters + gammaOffset
        let n = Float(width)
        for row in 0..<batch {
            let hr = xhat + row * width, gr = dy + row * width
            if let gradients {
                let dGamma = gradients + gammaOffset, dBeta = gradients + betaOffset
                for j in 0..<width {
                    dGamma[j] += gr[j] * hr[j]
                    dBeta[j] += gr[j]
                }
            }
            for j in 0..<width { gr[j] *= gamma[j] }
            let meanG = VectorMath.sum(gr, count: width) / n
            let meanGH = VectorMath.dot(gr, hr, count: width) / n
            let r = rstd[row]
            for j in 0..<width { gr[j] = r * (gr[j] - meanG - hr[j] * meanGH) }
        }
    }
}
