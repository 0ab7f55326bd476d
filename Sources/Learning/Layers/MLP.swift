/// A multilayer perceptron on minibatches: per hidden layer Linear → LayerNorm (optional) →
/// activation, then a linear head — the PLD actor and critic trunk (3 × 256, LayerNorm, tanh).
///
/// `MLP` is the layout only (layer shapes and parameter offsets inside a `ParameterBuffer`); an
/// `MLPWorkspace` holds one minibatch's activations. Networks and their target copies share a
/// layout; several networks may live in one buffer (the two critics do).
///
/// Parameter names: `{name}.layers.{i}.weight|bias`, `{name}.layers.{i}.ln.weight|bias`,
/// `{name}.head.weight|bias` — the residual file's names with a prefix.
struct MLP: Sendable {
    let inputs: Int
    let hidden: [Int]
    let outputs: Int
    let activation: Activation
    let linears: [Linear]
    let norms: [LayerNorm]

    var layerNorm: Bool { !norms.isEmpty }
    var head: Linear { linears[linears.count - 1] }
    /// Widest activation (sizes the workspace's gradient buffers).
    var maxWidth: Int { max(inputs, outputs, hidden.max() ?? 0) }

    init(
        name: String, inputs: Int, hidden: [Int], outputs: Int, layerNorm: Bool, activation: Activation,
        epsilon: Float = 1e-5, layout: inout ParameterLayout
    ) {
        self.inputs = inputs
        self.hidden = hidden
        self.outputs = outputs
        self.activation = activation
        var linears: [Linear] = []
        var norms: [LayerNorm] = []
        var width = inputs
        for (i, units) in hidden.enumerated() {
            linears.append(Linear(inputs: width, outputs: units, name: "\(name).layers.\(i)", layout: &layout))
            if layerNorm { norms.append(LayerNorm(width: units, epsilon: epsilon, name: "\(name).layers.\(i).ln", layout: &layout)) }
            width = units
        }
        linears.append(Linear(inputs: width, outputs: outputs, name: "\(name).head", layout: &layout))
        self.linears = linears
        self.norms = norms
    }

    /// PyTorch's defaults (Linear uniform ±1/√in, LayerNorm γ = 1, β = 0), the head's weights and
    /// bias multiplied by `headScale`.
    func initialize(_ parameters: UnsafeMutablePointer<Float>, random: inout LearnerRandom, headScale: Float = 1) {
        for (i, linear) in linears.enumerated() {
            linear.initialize(parameters, random: &random, scale: i == linears.count - 1 ? headScale : 1)
        }
        for norm in norms { norm.initialize(parameters) }
    }

    /// Runs `batch` rows of `input` [batch, inputs] and returns the head's output [batch, outputs]
    /// (inside `workspace`). `input` must stay unchanged until `backward` has run.
    @discardableResult
    func forward(
        _ parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int, workspace ws: MLPWorkspace
    ) -> UnsafeMutablePointer<Float> {
        precondition(batch <= ws.maxBatch, "MLP batch \(batch) exceeds the workspace's \(ws.maxBatch)")
        ws.input = input
        ws.batch = batch
        var x = input
        for i in 0..<hidden.count {
            let units = hidden[i]
            let pre = ws.preActivations[i], out = ws.activations[i]
            linears[i].forward(parameters, input: x, output: pre, batch: batch)
            if layerNorm {
                norms[i].forward(parameters, input: pre, normalized: pre, inverseStd: ws.inverseStds[i], output: out, batch: batch)
                activation.forward(out, out, count: batch * units)
            } else {
                activation.forward(pre, out, count: batch * units)
            }
            x = UnsafePointer(out)
        }
        head.forward(parameters, input: x, output: ws.output, batch: batch)
        return ws.output
    }

    /// Backpropagates dL/d(output) [batch, outputs] (usually `workspace.outputGradient`) through
    /// the last `forward`. Adds parameter gradients into `gradients` when given; writes
    /// dL/d(input) into `workspace.inputGradient` when `inputGradient` is true.
    func backward(
        _ parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
        workspace ws: MLPWorkspace, inputGradient: Bool = false
    ) {
        guard let input = ws.input else { preconditionFailure("MLP.backward before forward") }
        let batch = ws.batch
        let layers = hidden.count
        var g = ws.gradientA, spare = ws.gradientB
        let lastInput = layers == 0 ? input : UnsafePointer(ws.activations[layers - 1])
        let headGradient = layers == 0 ? (inputGradient ? ws.inputGradient : nil) : g
        head.backward(parameters, gradients: gradients, input: lastInput, outputGradient: outputGradient,
                      inputGradient: headGradient, batch: batch)
        var i = layers - 1
        while i >= 0 {
            let units = hidden[i]
            activation.backward(output: ws.activations[i], gradient: g, count: batch * units)
            if layerNorm {
                norms[i].backward(parameters, gradients: gradients, normalized: ws.preActivations[i],
                                  inverseStd: ws.inverseStds[i], gradient: g, batch: batch)
            }
            let x = i == 0 ? input : UnsafePointer(ws.activations[i - 1])
            let dx: UnsafeMutablePointer<Float>? = i > 0 ? spare : (inputGradient ? ws.inputGradient : nil)
            linears[i].backward(parameters, gradients: gradients, input: x, outputGradient: g, inputGradient: dx, batch: batch)
            swap(&g, &spare)
            i -= 1
        }
    }
}
