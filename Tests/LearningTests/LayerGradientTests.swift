import Foundation
@testable import Learning
import Testing

/// Forward values and backward passes of the float32 layers against double-precision
/// definitions and central finite differences. Each check uses the scalar objective
/// L = Σ w ⊙ y with fixed random weights w, so dL/dy = w.
@Suite struct LayerGradientTests {
    struct Fixture {
        var random = LearnerRandom(seed: 7)
        mutating func values(_ n: Int, _ scale: Float = 1, avoidingZero: Bool = false) -> [Float] {
            (0..<n).map { _ in
                var v = Float(2 * random.nextUnit() - 1) * scale
                if avoidingZero && abs(v) < 0.05 * scale { v += v < 0 ? -0.05 * scale : 0.05 * scale }
                return v
            }
        }
    }

    static func objective(_ y: [Double], _ w: [Double]) -> Double { zip(y, w).map { $0 * $1 }.reduce(0, +) }

    /// Runs forward and backward of an MLP-shaped network in float32, and the same objective in
    /// double; compares parameter and input gradients and the forward output.
    static func checkMLP(hidden: [Int], layerNorm: Bool, activation: Activation, rows: Int, inputs: Int, outputs: Int) throws {
        var fixture = Fixture()
        var layout = ParameterLayout()
        let mlp = MLP(name: "net", inputs: inputs, hidden: hidden, outputs: outputs, layerNorm: layerNorm, activation: activation, layout: &layout)
        let parameters = ParameterBuffer(layout)
        var init_ = LearnerRandom(seed: 3)
        mlp.initialize(parameters.values, random: &init_, headScale: 1)
        // Non-trivial LayerNorm affine parameters.
        for norm in mlp.norms {
            for j in 0..<norm.width {
                parameters.values[norm.gammaOffset + j] = 1 + fixture.values(1, 0.5)[0]
                parameters.values[norm.betaOffset + j] = fixture.values(1, 0.3)[0]
            }
        }
        let x = fixture.values(rows * inputs, 1.5)
        let w = fixture.values(rows * outputs)
        let ws = MLPWorkspace(mlp, maxBatch: rows)
        let output = x.withUnsafeBufferPointer { xp in
            let y = mlp.forward(parameters.values, input: xp.baseAddress!, batch: rows, workspace: ws)
            let result = Array(UnsafeBufferPointer(start: y, count: rows * outputs))
            for i in 0..<(rows * outputs) { ws.outputGradient[i] = w[i] }
            parameters.zeroGradients()
            mlp.backward(parameters.values, gradients: parameters.gradients, outputGradient: ws.outputGradient, workspace: ws, inputGradient: true)
            return result
        }
        let p = parameters.doubles, xd = x.map(Double.init), wd = w.map(Double.init)
        let reference = Reference.mlp(mlp, p, xd, rows: rows)
        let forwardError = zip(output.map(Double.init), reference).map { abs($0 - $1) }.max()!
        #expect(forwardError < 2e-5, "forward differs from the double reference by \(forwardError)")

        let indices = parameters.tensorIndices
        let numeric = Reference.gradient({ Self.objective(Reference.mlp(mlp, $0, xd, rows: rows), wd) }, at: p, indices: indices)
        let analytic = indices.map { Double(parameters.gradients[$0]) }
        let parameterCheck = GradientComparison(analytic: analytic, numeric: numeric)
        #expect(parameterCheck.passed, "parameter gradient: \(parameterCheck)")

        let numericInput = Reference.gradient({ Self.objective(Reference.mlp(mlp, p, $0, rows: rows), wd) }, at: xd, indices: Array(xd.indices))
        let analyticInput = (0..<(rows * inputs)).map { Double(ws.inputGradient[$0]) }
        let inputCheck = GradientComparison(analytic: analyticInput, numeric: numericInput)
        #expect(inputCheck.passed, "input gradient: \(inputCheck)")
    }

    @Test func linearLayer() throws {
        // No hidden layers: the MLP is a single Linear.
        try Self.checkMLP(hidden: [], layerNorm: false, activation: .tanh, rows: 5, inputs: 7, outputs: 4)
    }

    @Test func layerNormLayer() throws {
        var fixture = Fixture()
        var layout = ParameterLayout()
        let norm = LayerNorm(width: 9, epsilon: 1e-5, name: "ln", layout: &layout)
        let parameters = ParameterBuffer(layout)
        for j in 0..<9 {
            parameters.values[norm.gammaOffset + j] = 1 + fixture.values(1, 0.5)[0]
            parameters.values[norm.betaOffset + j] = fixture.values(1, 0.5)[0]
        }
        let rows = 4
        // One row nearly constant: the ε regime.
        var x = fixture.values(rows * 9, 2)
        for j in 0..<9 { x[27 + j] = 0.3 + Float(j) * 1e-3 }
        let w = fixture.values(rows * 9)
        var xhat = [Float](repeating: 0, count: rows * 9), rstd = [Float](repeating: 0, count: rows), y = xhat
        norm.forward(parameters.values, input: x, normalized: &xhat, inverseStd: &rstd, output: &y, batch: rows)
        var g = w
        parameters.zeroGradients()
        norm.backward(parameters.values, gradients: parameters.gradients, normalized: xhat, inverseStd: rstd, gradient: &g, batch: rows)

        let p = parameters.doubles, xd = x.map(Double.init), wd = w.map(Double.init)
        let reference = Reference.layerNorm(norm, p, xd, rows: rows)
        let forwardError = zip(y.map(Double.init), reference).map { abs($0 - $1) }.max()!
        #expect(forwardError < 1e-5, "forward differs by \(forwardError)")
        let numericX = Reference.gradient({ Self.objective(Reference.layerNorm(norm, p, $0, rows: rows), wd) }, at: xd, indices: Array(xd.indices), h: 1e-7)
        let checkX = GradientComparison(analytic: g.map(Double.init), numeric: numericX)
        #expect(checkX.passed, "dx: \(checkX)")
        let indices = parameters.tensorIndices
        let numericP = Reference.gradient({ Self.objective(Reference.layerNorm(norm, $0, xd, rows: rows), wd) }, at: p, indices: indices)
        let checkP = GradientComparison(analytic: indices.map { Double(parameters.gradients[$0]) }, numeric: numericP)
        #expect(checkP.passed, "dγ, dβ: \(checkP)")
    }

    static func checkActivation(_ kind: Activation) {
        var fixture = Fixture()
        let n = 37
        let x = fixture.values(n, 3, avoidingZero: true)
        let w = fixture.values(n)
        var y = [Float](repeating: 0, count: n)
        kind.forward(x, &y, count: n)
        var g = w
        kind.backward(output: y, gradient: &g, count: n)
        let xd = x.map(Double.init), wd = w.map(Double.init)
        let forwardError = zip(y.map(Double.init), Reference.activation(kind, xd)).map { abs($0 - $1) }.max()!
        #expect(forwardError < 2e-7, "\(kind) forward differs by \(forwardError)")
        let numeric = Reference.gradient({ Self.objective(Reference.activation(kind, $0), wd) }, at: xd, indices: Array(xd.indices))
        let check = GradientComparison(analytic: g.map(Double.init), numeric: numeric)
        #expect(check.passed, "\(kind) dx: \(check)")
    }

    @Test func tanhLayer() { Self.checkActivation(.tanh) }
    @Test func reluLayer() { Self.checkActivation(.relu) }

    @Test func mlpWithLayerNormAndTanh() throws {
        try Self.checkMLP(hidden: [6, 5, 4], layerNorm: true, activation: .tanh, rows: 5, inputs: 4, outputs: 3)
    }

    @Test func mlpWithReLUWithoutLayerNorm() throws {
        try Self.checkMLP(hidden: [7, 6], layerNorm: false, activation: .relu, rows: 4, inputs: 5, outputs: 2)
    }

    /// The vectorised float tanh against double tanh over its whole range (and its tails).
    @Test func fastTanhMatchesDoubleTanh() {
        var worst = 0.0
        var x = [Float](), y = [Float](repeating: 0, count: 200_003)
        for i in 0..<200_003 { x.append(Float(i - 100_001) * 1.2e-4) }
        x += [0, -0, 1e-30, -1e-30, 20, -20, 1e9, -1e9, .greatestFiniteMagnitude]
        y += [Float](repeating: 0, count: 9)
        VectorMath.tanh(x, &y, count: x.count)
        for i in x.indices { worst = max(worst, abs(Double(y[i]) - Foundation.tanh(Double(x[i])))) }
        #expect(worst < 2e-7, "max |tanh8 − tanh| = \(worst)")
        var nan: [Float] = [.nan, 1, .nan, -2, 3, 4, 5, 6]
        VectorMath.tanh(nan, &nan, count: 8)
        #expect(nan[0].isNaN && nan[2].isNaN && abs(nan[1] - Float(Foundation.tanh(1.0))) < 2e-7)
    }
}
