/// One minibatch's activations for an `MLP` of a given shape, up to `maxBatch` rows, allocated
/// once. A workspace remembers the input of the last `forward` (a pointer: the caller keeps it
/// alive and unchanged until `backward`).
///
/// Thread: owned by the learner thread with its network; not synchronised.
final class MLPWorkspace {
    let maxBatch: Int
    /// Per hidden layer: the Linear output, overwritten by x̂ when LayerNorm is on [maxBatch, units].
    let preActivations: [UnsafeMutablePointer<Float>]
    /// Per hidden layer: the activation output [maxBatch, units].
    let activations: [UnsafeMutablePointer<Float>]
    /// Per hidden layer: LayerNorm's 1/√(var + ε) [maxBatch].
    let inverseStds: [UnsafeMutablePointer<Float>]
    /// The head's output [maxBatch, outputs].
    let output: UnsafeMutablePointer<Float>
    /// For the caller: dL/d(output) [maxBatch, outputs].
    let outputGradient: UnsafeMutablePointer<Float>
    /// dL/d(input) [maxBatch, inputs] after `backward(…, inputGradient: true)`.
    let inputGradient: UnsafeMutablePointer<Float>
    let gradientA: UnsafeMutablePointer<Float>
    let gradientB: UnsafeMutablePointer<Float>
    private var owned: [UnsafeMutablePointer<Float>] = []

    var input: UnsafePointer<Float>?
    var batch = 0

    init(_ mlp: MLP, maxBatch: Int) {
        precondition(maxBatch > 0, "MLPWorkspace: maxBatch \(maxBatch)")
        self.maxBatch = maxBatch
        var owned: [UnsafeMutablePointer<Float>] = []
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            owned.append(p)
            return p
        }
        preActivations = mlp.hidden.map { make(maxBatch * $0) }
        activations = mlp.hidden.map { make(maxBatch * $0) }
        inverseStds = mlp.hidden.map { _ in make(maxBatch) }
        output = make(maxBatch * mlp.outputs)
        outputGradient = make(maxBatch * mlp.outputs)
        inputGradient = make(maxBatch * mlp.inputs)
        gradientA = make(maxBatch * mlp.maxWidth)
        gradientB = make(maxBatch * mlp.maxWidth)
        self.owned = owned
    }

    deinit { for p in owned { p.deallocate() } }
}
