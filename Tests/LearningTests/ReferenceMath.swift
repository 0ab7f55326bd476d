import Foundation
@testable import Learning

/// Double-precision reference implementations written from the definitions (not from the
/// float kernels), for gradient checks by central finite differences and for comparing values.
/// Slow scalar loops; tiny networks only.
enum Reference {
    /// y[rows, out] = x · Wᵀ + b.
    static func linear(_ layer: Linear, _ p: [Double], _ x: [Double], rows: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * layer.outputs)
        for r in 0..<rows {
            for o in 0..<layer.outputs {
                var s = p[layer.biasOffset + o]
                for i in 0..<layer.inputs { s += x[r * layer.inputs + i] * p[layer.weightOffset + o * layer.inputs + i] }
                y[r * layer.outputs + o] = s
            }
        }
        return y
    }

    /// PyTorch LayerNorm: biased variance.
    static func layerNorm(_ norm: LayerNorm, _ p: [Double], _ x: [Double], rows: Int) -> [Double] {
        let w = norm.width
        var y = x
        for r in 0..<rows {
            let row = Array(x[(r * w)..<((r + 1) * w)])
            let mean = row.reduce(0, +) / Double(w)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w)
            let inv = 1 / (variance + Double(norm.epsilon)).squareRoot()
            for j in 0..<w { y[r * w + j] = (row[j] - mean) * inv * p[norm.gammaOffset + j] + p[norm.betaOffset + j] }
        }
        return y
    }

    static func activation(_ kind: Activation, _ x: [Double]) -> [Double] {
        switch kind {
        case .tanh: x.map { Foundation.tanh($0) }
        case .relu: x.map { max($0, 0) }
        }
    }

    static func mlp(_ mlp: MLP, _ p: [Double], _ x: [Double], rows: Int) -> [Double] {
        var h = x
        for i in 0..<mlp.hidden.count {
            h = linear(mlp.linears[i], p, h, rows: rows)
            if mlp.layerNorm { h = layerNorm(mlp.norms[i], p, h, rows: rows) }
            h = activation(mlp.activation, h)
        }
        return linear(mlp.head, p, h, rows: rows)
    }

    /// log(1 − tanh² z) computed directly (fine in double for the |z| the tests use).
    static func squash(head: [Double], noise: [Double], rows: Int, actions a: Int, range: ClosedRange<Double>)
        -> (u: [Double], logProb: [Double])
    {
        var u = [Double](repeating: 0, count: rows * a), logProb = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            for d in 0..<a {
                let mu = head[r * 2 * a + d]
                let logStd = min(max(head[r * 2 * a + a + d], range.lowerBound), range.upperBound)
                let e = noise[r * a + d]
                let z = mu + Foundation.exp(logStd) * e
                let t = Foundation.tanh(z)
                u[r * a + d] = t
                let gaussian = -0.5 * e * e - logStd - 0.5 * Foundation.log(2 * Double.pi)
                logProb[r] += gaussian - Foundation.log(1 - t * t)
            }
        }
        return (u, logProb)
    }

    static func logSumExp(_ v: [Double]) -> Double {
        let m = v.max()!
        return m + Foundation.log(v.map { Foundation.exp($0 - m) }.reduce(0, +))
    }

    /// Central differences of `f` at `x` for the indices in `indices` (step h · max(1, |x_i|)).
    static func gradient(_ f: ([Double]) -> Double, at x: [Double], indices: [Int], h: Double = 1e-6) -> [Double] {
        indices.map { i in
            var plus = x, minus = x
            let step = h * max(1, abs(x[i]))
            plus[i] += step
            minus[i] -= step
            return (f(plus) - f(minus)) / (2 * step)
        }
    }
}

/// Gradient comparison: every |analytic − numeric| ≤ atol · max|numeric| + rtol · |numeric|.
struct GradientComparison: CustomStringConvertible {
    var worstIndex = -1
    var worstExcess = 0.0
    var maxNumeric = 0.0
    var count = 0
    var passed: Bool { worstIndex < 0 }
    var description: String { passed ? "ok (\(count) entries, max |g| \(maxNumeric))" : "entry \(worstIndex) off by \(worstExcess) beyond tolerance (max |g| \(maxNumeric))" }

    init(analytic: [Double], numeric: [Double], atol: Double = 2e-4, rtol: Double = 2e-3) {
        precondition(analytic.count == numeric.count)
        count = numeric.count
        maxNumeric = numeric.map(abs).max() ?? 0
        for i in numeric.indices {
            let allowed = atol * maxNumeric + rtol * abs(numeric[i])
            let excess = abs(analytic[i] - numeric[i]) - allowed
            if excess > worstExcess {
                worstExcess = excess
                worstIndex = i
            }
        }
    }
}

extension ParameterBuffer {
    var doubles: [Double] { (0..<count).map { Double(values[$0]) } }
    var gradientDoubles: [Double] { (0..<count).map { Double(gradients[$0]) } }
    /// Indices that belong to tensors (not padding).
    var tensorIndices: [Int] { tensors.flatMap { Array($0.offset..<($0.offset + $0.count)) } }
}
