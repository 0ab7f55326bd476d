import Foundation

/// The tanh-squashed diagonal Gaussian at the actor's head, on a minibatch. For each row the
/// head gives μ [A] and a raw log σ [A]; with ε ~ N(0, I) supplied by the caller:
///
///     log σ = clamp(raw, min, max),  σ = exp(log σ),  z = μ + σ ε,  u = tanh(z) ∈ (−1, 1)
///     log π(u|x) = Σ_d [ −ε_d²/2 − log σ_d − log(2π)/2 − log(1 − tanh² z_d) ]
///
/// with log(1 − tanh² z) = 2 (log 2 − z − softplus(−2z)) (stable for large |z|). The
/// environment scales u by ξ; this type never does.
///
/// Thread: a workspace owned by the learner thread. No allocation after init.
final class SquashedGaussian {
    let maxRows: Int
    let actions: Int
    let logStdRange: ClosedRange<Float>
    /// ε [maxRows, A] — filled by the caller before `forward`.
    let noise: UnsafeMutablePointer<Float>
    let std: UnsafeMutablePointer<Float>
    /// u [maxRows, A].
    let sampled: UnsafeMutablePointer<Float>
    /// log π(u|x) [maxRows].
    let logProb: UnsafeMutablePointer<Float>
    /// 1 where raw log σ was inside the clamp range, else 0 [maxRows, A].
    let inRange: UnsafeMutablePointer<Float>
    private(set) var rows = 0

    static let halfLogTwoPi = Float(0.5 * Foundation.log(2 * Double.pi))
    static let logTwo = Float(Foundation.log(2.0))

    init(maxRows: Int, actions: Int, logStdRange: ClosedRange<Float>) {
        self.maxRows = maxRows
        self.actions = actions
        self.logStdRange = logStdRange
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        noise = make(maxRows * actions)
        std = make(maxRows * actions)
        sampled = make(maxRows * actions)
        logProb = make(maxRows)
        inRange = make(maxRows * actions)
    }

    deinit { for p in [noise, std, sampled, logProb, inRange] { p.deallocate() } }

    /// log(1 − tanh² z), stable.
    @inline(__always)
    static func logOneMinusTanhSquared(_ z: Float) -> Float {
        let y = -2 * z
        let softplus = max(y, 0) + log1p(exp(-abs(y)))
        return 2 * (logTwo - z - softplus)
    }

    /// Samples u and log π for `rows` rows of `head` [rows, 2A] (μ then raw log σ) with the
    /// noise in `noise`.
    func forward(head: UnsafePointer<Float>, rows: Int) {
        precondition(rows <= maxRows, "SquashedGaussian: \(rows) rows exceed \(maxRows)")
        self.rows = rows
        let a = actions
        let low = logStdRange.lowerBound, high = logStdRange.upperBound
        for row in 0..<rows {
            let h = head + row * 2 * a
            var logp: Float = 0
            for d in 0..<a {
                let k = row * a + d
                let raw = h[a + d]
                let logStd = min(max(raw, low), high)
                inRange[k] = raw >= low && raw <= high ? 1 : 0
                let sigma = exp(logStd)
                let e = noise[k]
                let z = h[d] + sigma * e
                std[k] = sigma
                sampled[k] = Foundation.tanh(z)
                logp += -0.5 * e * e - logStd - Self.halfLogTwoPi - Self.logOneMinusTanhSquared(z)
            }
            logProb[row] = logp
        }
    }

    /// Backpropagates to the head: given dL/du [rows, A] (nil: 0) and dL/d log π per row
    /// [rows] (nil: `logProbGradientScalar` for every row), writes dL/d(head) [rows, 2A]:
    ///
    ///     dz = dL/du · (1 − u²) + dL/dlogπ · 2u        (d log π / dz = 2 tanh z)
    ///     dμ = dz,   d raw = [in range] · (−dL/dlogπ + dz · σ ε)
    func backward(
        actionGradient du: UnsafePointer<Float>?, logProbGradient dlogp: UnsafePointer<Float>?,
        logProbGradientScalar: Float = 0, into dHead: UnsafeMutablePointer<Float>
    ) {
        let a = actions
        for row in 0..<rows {
            let g = dHead + row * 2 * a
            let dl = dlogp?[row] ?? logProbGradientScalar
            for d in 0..<a {
                let k = row * a + d
                let u = sampled[k]
                let dz = (du?[k] ?? 0) * (1 - u * u) + dl * 2 * u
                g[d] = dz
                g[a + d] = inRange[k] * (-dl + dz * std[k] * noise[k])
            }
        }
    }
}
