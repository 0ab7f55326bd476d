import Foundation
import PLDCore

/// The PLD residual actor on the control thread: a_δ = ξ · tanh(μ(x̂) [+ σ ε]) for
/// x = [state features, base action], x̂ = clip((x − mean) / std), μ the MLP described by a
/// `ResidualNetwork` (format on that type). The tick adds a_δ to the base action after the
/// handoff step (`compose(base:residual:)`).
///
/// Contract: `act` may be called from one thread at a time (the control thread). After `init`
/// it performs no heap allocation, takes no lock, does not block and does not log: all
/// parameters and scratch vectors live in one buffer allocated at load; the sampling noise
/// comes from an inline xoshiro256** state. Errors are typed and happen only at load.
public final class ResidualPolicy: @unchecked Sendable {
    // @unchecked: the buffers are written only by `act` / `startEpisode`, which the contract
    // above confines to one thread at a time; the rest is immutable after init.

    public let architecture: ResidualArchitecture
    /// Residual bound ξ: |a_δ| ≤ ξ in every dimension.
    public let xi: Double
    public let mode: ResidualMode
    /// Matrix-vector backend.
    public let backend: ResidualBackend
    /// The weights file, or nil for a zero-initialised residual. The caller hashes it for the
    /// episode record.
    public let weightsPath: String?
    /// The weights file's `__metadata__`.
    public let metadata: [String: String]
    /// False when the network has no σ (`pld.log_std` none): sample mode then equals mean mode.
    public let hasNoise: Bool
    /// True when μ ≡ 0 (zero output layer): a_δ ≡ 0 in mean mode, and in sample mode without σ.
    public let hasZeroOutputLayer: Bool
    /// a_δ ≡ 0 whatever the input (zero output layer, no noise): `act` writes exact zeros
    /// without running the network, so ā = a_b bit for bit even for inputs the network's
    /// arithmetic would overflow (and the zero-initialised warm-up costs nothing per tick).
    public let isIdenticallyZero: Bool

    /// μ of the last `act` call (pre-squash mean).
    public private(set) var lastMean: ActionVector
    /// σ of the last `act` call (zeros in mean mode or without σ).
    public private(set) var lastStd: ActionVector
    /// `act` calls that ran on the SIMD path because OpenBLAS's process-wide thread count was
    /// not 1 (another module raised it): a multi-threaded gemv would wake OpenBLAS's pool from
    /// the control thread, so the policy does not call it then.
    public private(set) var blasFallbacks = 0

    private let seed: UInt64
    private var noise: SeededGenerator

    // One allocation holds every parameter and scratch vector (laid out in `init`).
    private let storage: UnsafeMutableRawPointer
    private let layers: UnsafeMutablePointer<PackedLinear>  // hidden layers, then μ, then the log σ head
    private let hiddenCount: Int
    private let input: UnsafeMutablePointer<Double>
    private let inputMean: UnsafeMutablePointer<Double>
    private let inputStd: UnsafeMutablePointer<Double>
    private let bufferA: UnsafeMutablePointer<Double>
    private let bufferB: UnsafeMutablePointer<Double>
    private let muOut: UnsafeMutablePointer<Double>
    private let logStdOut: UnsafeMutablePointer<Double>
    /// σ per dimension for `.parameter` (precomputed), zeros otherwise.
    private let fixedStd: UnsafeMutablePointer<Double>

    /// `blasFloat32` only: a float32 mirror of `storage` (same element offsets) holding the
    /// weights and the float scratch vectors.
    private let floatStorage: UnsafeMutablePointer<Float>?
    private let inputFloat: UnsafeMutablePointer<Float>?
    private let outputFloat: UnsafeMutablePointer<Float>?

    /// One Linear layer (and its LayerNorm) in the packed buffer.
    struct PackedLinear {
        var weight: UnsafeMutablePointer<Double>
        /// The float32 copy of `weight` (same layout), `blasFloat32` only.
        var weightFloat: UnsafeMutablePointer<Float>?
        var bias: UnsafeMutablePointer<Double>
        var normWeight: UnsafeMutablePointer<Double>
        var normBias: UnsafeMutablePointer<Double>
        var rows: Int
        var rowsPadded: Int
        var columns: Int
        var columnsPadded: Int
    }

    /// Builds the runtime form of `network`. `seed` seeds the sampling noise (episode streams
    /// come from `startEpisode`).
    public init(network: ResidualNetwork, xi: Double, mode: ResidualMode, seed: UInt64 = 0, backend: ResidualBackend = .default) {
        let arch = network.architecture
        precondition(arch.actionDimensions <= actionMaxDimensions, "residual action width \(arch.actionDimensions) exceeds \(actionMaxDimensions)")
        architecture = arch
        self.xi = xi
        self.mode = mode
        self.backend = backend
        weightsPath = network.sourcePath
        metadata = network.metadata
        hasNoise = arch.logStd != .none
        hasZeroOutputLayer = network.hasZeroOutputLayer
        isIdenticallyZero = network.hasZeroOutputLayer && (mode == .mean || arch.logStd == .none)
        self.seed = seed
        noise = SeededGenerator(seed: seed)
        // Process-wide: OpenBLAS threads a gemv of this size when allowed to, waking its pool
        // from the control thread. `act` checks it stays 1 (see `blasFallbacks`).
        if backend.usesBLAS { BLASLibrary.setThreadCount(1) }
        lastMean = ActionVector(count: arch.actionDimensions)
        lastStd = ActionVector(count: arch.actionDimensions)

        // Layout: every block starts on a 64-byte boundary; strides round up to 8 doubles,
        // row counts to 4 (zero rows), so the SIMD kernel needs no tail handling.
        func padded(_ n: Int, to multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }
        var doubles = 0
        func reserve(_ count: Int) -> Int {
            let at = doubles
            doubles += padded(max(count, 1), to: 8)
            return at
        }
        struct Plan { var weight, bias, normWeight, normBias, rows, columns: Int }
        var plans: [Plan] = []
        var columns = arch.inputDimensions
        let linearRows = arch.hidden + [arch.actionDimensions] + (arch.logStd == .head ? [arch.actionDimensions] : [])
        for (i, rows) in linearRows.enumerated() {
            let cols = i < arch.hidden.count ? columns : arch.hidden.last!
            let stride = padded(cols, to: 8)
            plans.append(Plan(
                weight: reserve(padded(rows, to: 4) * stride), bias: reserve(rows),
                normWeight: reserve(rows), normBias: reserve(rows), rows: rows, columns: cols))
            if i < arch.hidden.count { columns = rows }
        }
        let widest = max(arch.inputDimensions, arch.hidden.max()!)
        let inputAt = reserve(arch.inputDimensions), meanAt = reserve(arch.inputDimensions), stdAt = reserve(arch.inputDimensions)
        let aAt = reserve(widest), bAt = reserve(widest)
        let muAt = reserve(actionMaxDimensions), logStdAt = reserve(actionMaxDimensions), fixedAt = reserve(actionMaxDimensions)

        storage = .allocate(byteCount: doubles * 8, alignment: 64)
        storage.initializeMemory(as: Double.self, repeating: 0, count: doubles)
        let base = storage.assumingMemoryBound(to: Double.self)
        if backend == .blasFloat32 {
            let floats = UnsafeMutableRawPointer.allocate(byteCount: doubles * 4, alignment: 64)
                .initializeMemory(as: Float.self, repeating: 0, count: doubles)
            floatStorage = floats
            inputFloat = floats + aAt
            outputFloat = floats + bAt
        } else {
            floatStorage = nil
            inputFloat = nil
            outputFloat = nil
        }
        layers = .allocate(capacity: plans.count)
        hiddenCount = arch.hidden.count
        for (i, plan) in plans.enumerated() {
            let stride = padded(plan.columns, to: 8)
            layers.advanced(by: i).initialize(to: PackedLinear(
                weight: base + plan.weight, weightFloat: floatStorage.map { $0 + plan.weight }, bias: base + plan.bias, normWeight: base + plan.normWeight,
                normBias: base + plan.normBias, rows: plan.rows, rowsPadded: padded(plan.rows, to: 4),
                columns: plan.columns, columnsPadded: stride))
        }
        input = base + inputAt
        inputMean = base + meanAt
        inputStd = base + stdAt
        bufferA = base + aAt
        bufferB = base + bAt
        muOut = base + muAt
        logStdOut = base + logStdAt
        fixedStd = base + fixedAt

        // Copy the parameters in.
        func fill(_ layer: PackedLinear, weight: [Double], bias: [Double], normWeight: [Double]? = nil, normBias: [Double]? = nil) {
            for r in 0..<layer.rows {
                for c in 0..<layer.columns {
                    layer.weight[r * layer.columnsPadded + c] = weight[r * layer.columns + c]
                    layer.weightFloat?[r * layer.columnsPadded + c] = Float(weight[r * layer.columns + c])
                }
                layer.bias[r] = bias[r]
                layer.normWeight[r] = normWeight?[r] ?? 1
                layer.normBias[r] = normBias?[r] ?? 0
            }
        }
        for (i, layer) in network.layers.enumerated() {
            fill(layers[i], weight: layer.weight, bias: layer.bias, normWeight: layer.normWeight, normBias: layer.normBias)
        }
        fill(layers[hiddenCount], weight: network.muWeight, bias: network.muBias)
        if arch.logStd == .head {
            fill(layers[hiddenCount + 1], weight: network.logStdHeadWeight, bias: network.logStdHeadBias)
        }
        for i in 0..<arch.inputDimensions {
            inputMean[i] = network.observationMean[i]
            inputStd[i] = network.observationStd[i]
        }
        if arch.logStd == .parameter {
            for i in 0..<arch.actionDimensions { fixedStd[i] = Self.std(fromLog: network.logStd[i], range: arch.logStdRange) }
        }
    }

    /// Loads the residual the config asks for: its weights file, or a zero-initialised
    /// network of `hidden_layers` × `hidden_units` (tanh, LayerNorm) when `weights_path` is
    /// absent. Fails, naming the file, when the file's input or action width differs from
    /// what the config feeds it.
    public convenience init(
        config: ResidualConfig, stateDimensions: Int, actionDimensions: Int,
        backend: ResidualBackend = .default, zeroInitLogStd: Double? = nil
    ) throws(SafetensorsError) {
        let network: ResidualNetwork
        if let path = config.weightsPath {
            network = try ResidualNetwork(contentsOfFile: path)
            let arch = network.architecture
            guard arch.actionDimensions == actionDimensions, arch.stateDimensions == stateDimensions else {
                throw SafetensorsError(file: path, reason: "residual takes \(arch.stateDimensions) state values + \(arch.actionDimensions) action dims (pld.input_dim \(arch.inputDimensions), pld.action_dim \(arch.actionDimensions)), but the config gives \(stateDimensions) state values + \(actionDimensions) action dims")
            }
        } else {
            network = .zeroInitialized(
                ResidualArchitecture(stateDimensions: stateDimensions, actionDimensions: actionDimensions,
                                     hidden: [Int](repeating: config.hiddenUnits, count: config.hiddenLayers)),
                seed: config.seed, initialLogStd: zeroInitLogStd)
        }
        self.init(network: network, xi: config.xi, mode: config.mode, seed: config.seed, backend: backend)
    }

    deinit {
        layers.deinitialize(count: hiddenCount + (architecture.logStd == .head ? 2 : 1))
        layers.deallocate()
        storage.deallocate()
        floatStorage?.deallocate()
    }

    static func std(fromLog logStd: Double, range: ClosedRange<Double>) -> Double {
        exp(min(max(logStd, range.lowerBound), range.upperBound))
    }

    /// Restarts the sampling noise on the stream of episode `index`, so an episode's noise is a
    /// function of (seed, episode) and a run can be replayed. No allocation.
    public func startEpisode(_ index: UInt64) {
        noise = SeededGenerator(seed: seed, stream: index &+ 1)
    }

    /// Computes a_δ for `features` (the configured state inputs, in order) and `baseAction`
    /// into `residual` (its count becomes the action width). Control thread; no allocation.
    ///
    /// Precondition: `features.count == architecture.stateDimensions` and
    /// `baseAction.count == architecture.actionDimensions` (both fixed at load time).
    public func act(features: Span<Double>, baseAction: ActionVector, into residual: inout ActionVector) {
        act(features: features, baseAction: baseAction, into: &residual, blasThreadCount: BLASLibrary.threadCount)
    }

    /// `act` with OpenBLAS's thread count given, and the zero shortcut optional (tests exercise
    /// the fallback without changing the process-wide setting, and the arithmetic of a zero
    /// output layer).
    func act(
        features: Span<Double>, baseAction: ActionVector, into residual: inout ActionVector, blasThreadCount: Int,
        zeroShortcut: Bool = true
    ) {
        let arch = architecture
        let stateCount = arch.stateDimensions
        let actionCount = arch.actionDimensions
        precondition(features.count == stateCount && baseAction.count == actionCount,
                     "residual input: \(features.count) features + \(baseAction.count) action dims, expected \(stateCount) + \(actionCount)")
        residual.count = actionCount
        lastMean.count = actionCount
        lastStd.count = actionCount
        if isIdenticallyZero && zeroShortcut {
            for i in 0..<actionCount {
                residual[i] = 0
                lastMean[i] = 0
                lastStd[i] = 0
            }
            return
        }
        // 1. Normalise [state, base action].
        for i in 0..<stateCount { input[i] = features[i] }
        for i in 0..<actionCount { input[stateCount + i] = baseAction[i] }
        for i in 0..<arch.inputDimensions { input[i] = (input[i] - inputMean[i]) / inputStd[i] }
        if let clip = arch.observationClip {
            for i in 0..<arch.inputDimensions { input[i] = min(max(input[i], -clip), clip) }
        }
        // OpenBLAS must stay single-threaded on this thread's path; if another module raised
        // its (process-wide) thread count, run this call on the SIMD path instead.
        var path = backend
        if path.usesBLAS && blasThreadCount != 1 {
            path = .simd
            blasFallbacks += 1
        }
        // 2. Hidden layers: Linear → LayerNorm → activation.
        var x = UnsafePointer(input)
        var y = bufferA
        for i in 0..<hiddenCount {
            let layer = layers[i]
            linear(layer, x, y, path)
            if arch.layerNorm {
                ResidualKernels.layerNorm(y, count: layer.rows, epsilon: arch.layerNormEpsilon, gamma: layer.normWeight, beta: layer.normBias)
            }
            switch arch.activation {
            case .tanh: ResidualKernels.tanh(y, count: layer.rows)
            case .relu: ResidualKernels.relu(y, count: layer.rows)
            }
            x = UnsafePointer(y)
            y = y == bufferA ? bufferB : bufferA
        }
        // 3. Heads.
        linear(layers[hiddenCount], x, muOut, path)
        let sampling = mode == .sample && hasNoise
        if sampling && arch.logStd == .head {
            linear(layers[hiddenCount + 1], x, logStdOut, path)
            for i in 0..<actionCount { logStdOut[i] = Self.std(fromLog: logStdOut[i], range: arch.logStdRange) }
        }
        // 4. a_δ = ξ · tanh(μ [+ σ ε]).
        for i in 0..<actionCount {
            var preSquash = muOut[i]
            var sigma = 0.0
            if sampling {
                sigma = arch.logStd == .head ? logStdOut[i] : fixedStd[i]
                preSquash += sigma * noise.nextGaussian()
            }
            lastMean[i] = muOut[i]
            lastStd[i] = sigma
            residual[i] = xi * tanh(preSquash)
        }
    }

    @inline(__always)
    private func linear(_ layer: PackedLinear, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ path: ResidualBackend) {
        switch path {
        case .blasFloat32:
            ResidualKernels.gemvBLASFloat(layer.weightFloat!, rows: layer.rows, columns: layer.columns, stride: layer.columnsPadded, x,
                                          xFloat: inputFloat!, yFloat: outputFloat!, bias: layer.bias, y)
        case .blas:
            ResidualKernels.gemvBLAS(layer.weight, rows: layer.rows, columns: layer.columns, stride: layer.columnsPadded, x, bias: layer.bias, y)
        case .simd:
            ResidualKernels.gemvSIMD(layer.weight, rows: layer.rows, rowsPadded: layer.rowsPadded, columnsPadded: layer.columnsPadded,
                                     stride: layer.columnsPadded, x, bias: layer.bias, y)
        }
    }

    /// ā = a_b + a_δ, element by element, except that a zero residual leaves the base value's
    /// bits untouched (IEEE addition would turn −0.0 + 0.0 into +0.0): with a zero residual
    /// the executed action is the base action bit for bit. Control thread; no allocation.
    public static func compose(base: ActionVector, residual: ActionVector) -> ActionVector {
        precondition(base.count == residual.count, "compose: base has \(base.count) dims, residual \(residual.count)")
        var out = ActionVector(count: base.count)
        for i in 0..<base.count {
            let delta = residual[i]
            out[i] = delta == 0 ? base[i] : base[i] + delta
        }
        return out
    }
}
