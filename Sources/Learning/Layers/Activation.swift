/// The hidden-layer nonlinearity, applied element by element on a minibatch. The same names as
/// the runtime's `ResidualActivation` (PLD: tanh).
///
/// Backward needs only the forward output y: tanh′ = 1 − y², relu′ = [y > 0]. No allocation;
/// learner thread.
enum Activation: String, Sendable, CaseIterable {
    case tanh
    case relu

    /// y = act(x) over `count` values (y may equal x).
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .tanh: VectorMath.tanh(x, y, count: count)
        case .relu:
            for i in 0..<count { y[i] = x[i] > 0 ? x[i] : 0 }
        }
    }

    /// Given the forward output y, turns dL/dy in `gradient` into dL/dx in place.
    func backward(output y: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .tanh:
            for i in 0..<count { g[i] *= 1 - y[i] * y[i] }
        case .relu:
            for i in 0..<count { g[i] = y[i] > 0 ? g[i] : 0 }
        }
    }
}
