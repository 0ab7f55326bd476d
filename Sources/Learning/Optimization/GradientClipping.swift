/// Global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`: with n = ‖g‖₂ over the
/// whole buffer, g ← g · min(1, maxNorm / (n + 1e-6)). Returns n (before clipping).
@discardableResult
func clipGradientNorm(_ gradients: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float?) -> Float {
    let norm = VectorMath.sumOfSquares(gradients, count: count).squareRoot()
    guard let maxNorm else { return Float(norm) }
    let coefficient = Double(maxNorm) / (norm + 1e-6)
    if coefficient < 1 {
        let scale = Float(coefficient)
        for i in 0..<count { gradients[i] *= scale }
    }
    return Float(norm)
}
