import Foundation
import PLDCore
@testable import Policies
import TestSupport
import Testing

@Suite struct ResidualPolicyTests {
    /// numpy writes the file (random weights) and computes its own forward pass; the Swift
    /// policy loads the same file and must produce μ and a_δ = ξ·tanh(μ) within 1e-5 on every
    /// backend — and within 1e-9 on the double ones (BLAS, SIMD), where only the summation
    /// order differs from numpy.
    @Test(arguments: [
        ["--hidden", "256,256,256", "--activation", "tanh", "--layer-norm", "true", "--dtype", "F32"],
        ["--hidden", "256,256,256", "--activation", "relu", "--layer-norm", "true", "--dtype", "F64"],
        ["--hidden", "64,37", "--activation", "tanh", "--layer-norm", "false", "--dtype", "F64", "--state-dim", "5", "--action-dim", "3"],
        ["--hidden", "33", "--activation", "relu", "--layer-norm", "false", "--dtype", "F32", "--no-normalizer", "--action-dim", "14"],
        ["--hidden", "128,128,128", "--log-std", "parameter", "--obs-clip", "1.5", "--state-dim", "12"],
        ["--hidden", "256,256,256", "--log-std", "head", "--dtype", "F64", "--xi", "0.2"],
    ])
    func matchesNumpyForwardPassOfTheSameFile(_ arguments: [String]) throws {
        let xi = arguments.firstIndex(of: "--xi").map { Double(arguments[$0 + 1])! } ?? 0.5
        let (path, reference) = try ResidualFixtures.numpyResidual(arguments + ["--seed", "7", "--inputs", "24"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let network = try ResidualNetwork(contentsOfFile: path)
        #expect(network.metadata["trained_by"] == "residual_reference.py")
        #expect(network.sourcePath == path)
        for backend in ResidualBackend.allCases {
            let policy = ResidualPolicy(network: network, xi: xi, mode: .mean, backend: backend)
            #expect(policy.weightsPath == path)
            var residual = ActionVector(count: 0)
            var worst = 0.0
            for (k, input) in reference.inputs.enumerated() {
                policy.act(features: input.state.span, baseAction: ActionVector(input.action), into: &residual)
                #expect(residual.count == reference.a_delta[k].count)
                for d in 0..<residual.count {
                    worst = max(worst, abs(residual[d] - reference.a_delta[k][d]), abs(policy.lastMean[d] - reference.mu[k][d]))
                    #expect(abs(residual[d]) < xi)
                }
            }
            let tolerance = backend == .blasFloat32 ? 1e-5 : 1e-9
            #expect(worst < tolerance, "\(backend): worst difference from numpy \(worst)")
        }
        // σ from the file (parameter or head) as numpy computes it.
        if let logStds = reference.log_std {
            let policy = ResidualPolicy(network: network, xi: xi, mode: .sample, seed: 3, backend: .blas)
            var residual = ActionVector(count: 0)
            for (k, input) in reference.inputs.enumerated() {
                policy.act(features: input.state.span, baseAction: ActionVector(input.action), into: &residual)
                for d in 0..<residual.count {
                    #expect(abs(policy.lastStd[d] - exp(min(max(logStds[k][d], -20), 2))) < 1e-9)
                }
            }
        }
    }

    /// The double paths agree within 1e-9; float32 BLAS stays within 1e-5 of them.
    @Test func blasAndSIMDPathsAgreeWithin1e9() {
        for (activation, layerNorm) in [(ResidualActivation.tanh, true), (.relu, true), (.tanh, false), (.relu, false)] {
            let network = ResidualFixtures.randomNetwork(activation: activation, layerNorm: layerNorm, logStd: .head)
            let blas = ResidualPolicy(network: network, xi: 0.5, mode: .mean, backend: .blas)
            let simd = ResidualPolicy(network: network, xi: 0.5, mode: .mean, backend: .simd)
            let float = ResidualPolicy(network: network, xi: 0.5, mode: .mean, backend: .blasFloat32)
            var random = SeededGenerator(seed: 11)
            var a = ActionVector(count: 0), b = ActionVector(count: 0), c = ActionVector(count: 0)
            var worst = 0.0, worstFloat = 0.0
            for _ in 0..<100 {
                let (features, base) = ResidualFixtures.randomInput(&random, state: 32, action: 7)
                blas.act(features: features.span, baseAction: base, into: &a)
                simd.act(features: features.span, baseAction: base, into: &b)
                float.act(features: features.span, baseAction: base, into: &c)
                for d in 0..<7 {
                    worst = max(worst, abs(a[d] - b[d]), abs(blas.lastMean[d] - simd.lastMean[d]))
                    worstFloat = max(worstFloat, abs(a[d] - c[d]), abs(blas.lastMean[d] - float.lastMean[d]))
                }
            }
            #expect(worst < 1e-9, "\(activation), layer norm \(layerNorm): BLAS and SIMD differ by \(worst)")
            #expect(worstFloat < 1e-5 && worstFloat > 0, "\(activation), layer norm \(layerNorm): float32 BLAS differs by \(worstFloat)")
        }
    }

    /// With OpenBLAS allowed more than one thread (another module raised the process-wide
    /// count), a BLAS policy runs the call on the SIMD path instead of waking OpenBLAS's pool,
    /// and counts it.
    @Test(arguments: [ResidualBackend.blas, .blasFloat32])
    func blasPathFallsBackToSIMDWhenOpenBLASIsMultiThreaded(_ backend: ResidualBackend) {
        let network = ResidualFixtures.randomNetwork(hidden: [64, 64])
        let policy = ResidualPolicy(network: network, xi: 0.5, mode: .mean, backend: backend)
        let simd = ResidualPolicy(network: network, xi: 0.5, mode: .mean, backend: .simd)
        var random = SeededGenerator(seed: 8)
        let (features, base) = ResidualFixtures.randomInput(&random, state: 32, action: 7)
        var a = ActionVector(count: 0), b = ActionVector(count: 0)
        policy.act(features: features.span, baseAction: base, into: &a, blasThreadCount: 1)
        #expect(policy.blasFallbacks == 0)
        policy.act(features: features.span, baseAction: base, into: &a, blasThreadCount: 2)
        simd.act(features: features.span, baseAction: base, into: &b)
        #expect(policy.blasFallbacks == 1)
        #expect(a.array == b.array)
    }

    @Test func vectorTanhMatchesGlibcToRounding() {
        var random = SeededGenerator(seed: 5)
        var worst = 0.0
        var special: [Double] = [0, -0.0, 1e-300, -1e-12, 0.3, 0.625, -0.625, 1, 5, -9.5, 19.9, 20, 20.1, -25, 700, -1e308, .infinity, -.infinity]
        for _ in 0..<20_000 { special.append((random.nextUnitInterval() - 0.5) * 24) }
        for start in stride(from: 0, to: special.count - 3, by: 4) {
            let x = SIMD4(special[start], special[start + 1], special[start + 2], special[start + 3])
            let t = ResidualKernels.tanh4(x)
            for lane in 0..<4 { worst = max(worst, abs(t[lane] - tanh(x[lane]))) }
        }
        #expect(worst <= 4e-16, "worst absolute error \(worst)")
        let zero = ResidualKernels.tanh4(SIMD4(0, -0.0, .nan, 1))
        #expect(zero[0].bitPattern == (0.0).bitPattern && zero[1].bitPattern == (-0.0).bitPattern && zero[2].isNaN)
    }

    /// Zero-initialised residual (no weights file): a_δ is exactly 0 and ā = a_b bit for bit,
    /// including −0.0 and extreme base values, in both modes and on every backend; and a numpy
    /// file with a zero μ layer does the same. The network's own arithmetic (without the
    /// identically-zero shortcut) also gives exact zeros for ordinary inputs.
    @Test func zeroOutputLayerGivesBaseActionBitForBit() throws {
        var config = ResidualConfig()
        config.enabled = true
        config.inputs = []
        let (numpyPath, _) = try ResidualFixtures.numpyResidual(["--zero-mu", "--inputs", "1"])
        defer { try? FileManager.default.removeItem(atPath: numpyPath) }
        var fromFile = ResidualConfig()
        fromFile.weightsPath = numpyPath
        let policies = try [
            ResidualPolicy(config: config, stateDimensions: 32, actionDimensions: 7, backend: .blas),
            ResidualPolicy(config: config, stateDimensions: 32, actionDimensions: 7, backend: .simd),
            ResidualPolicy(config: config, stateDimensions: 32, actionDimensions: 7, backend: .blasFloat32),
            { var c = config; c.mode = .sample; return try ResidualPolicy(config: c, stateDimensions: 32, actionDimensions: 7) }(),
            ResidualPolicy(config: fromFile, stateDimensions: 32, actionDimensions: 7, backend: .simd),
            ResidualPolicy(config: fromFile, stateDimensions: 32, actionDimensions: 7, backend: .blas),
        ]
        var random = SeededGenerator(seed: 21)
        var residual = ActionVector(count: 0)
        for policy in policies {
            #expect(policy.hasZeroOutputLayer)
            #expect(policy.isIdenticallyZero)
            for trial in 0..<200 {
                var (features, base) = ResidualFixtures.randomInput(&random, state: 32, action: 7)
                if trial % 5 == 0 { base[0] = -0.0; base[1] = 0.0; base[2] = -1e308; base[3] = .leastNonzeroMagnitude }
                if trial % 7 == 0 { features[3] = 1e9 }
                policy.act(features: features.span, baseAction: base, into: &residual)
                for d in 0..<7 { #expect(residual[d] == 0) }
                var executed = ResidualPolicy.compose(base: base, residual: residual)
                for d in 0..<7 { #expect(executed[d].bitPattern == base[d].bitPattern) }
                // The arithmetic itself, for inputs of ordinary size.
                if trial % 5 != 0 && trial % 7 != 0 {
                    policy.act(features: features.span, baseAction: base, into: &residual, blasThreadCount: 1, zeroShortcut: false)
                    for d in 0..<7 { #expect(residual[d] == 0 && policy.lastMean[d] == 0) }
                    executed = ResidualPolicy.compose(base: base, residual: residual)
                    for d in 0..<7 { #expect(executed[d].bitPattern == base[d].bitPattern) }
                }
            }
        }
    }

    @Test func sampleModeIsSeededPerEpisodeAndReproducible() {
        let network = ResidualFixtures.randomNetwork(logStd: .parameter)
        let first = ResidualPolicy(network: network, xi: 0.5, mode: .sample, seed: 42)
        let second = ResidualPolicy(network: network, xi: 0.5, mode: .sample, seed: 42)
        let otherSeed = ResidualPolicy(network: network, xi: 0.5, mode: .sample, seed: 43)
        var random = SeededGenerator(seed: 1)
        let (features, base) = ResidualFixtures.randomInput(&random, state: 32, action: 7)
        func draws(_ policy: ResidualPolicy, episode: UInt64, count: Int = 20) -> [Double] {
            policy.startEpisode(episode)
            var out = ActionVector(count: 0)
            var values: [Double] = []
            for _ in 0..<count {
                policy.act(features: features.span, baseAction: base, into: &out)
                values += out.array
            }
            return values
        }
        let episode3 = draws(first, episode: 3)
        _ = draws(first, episode: 4)
        #expect(draws(first, episode: 3) == episode3, "replaying episode 3 gives the same noise")
        #expect(draws(second, episode: 3) == episode3, "same seed, same episode, another instance")
        #expect(draws(second, episode: 5) != episode3)
        #expect(draws(otherSeed, episode: 3) != episode3)
        #expect(Set(episode3).count > 100, "noise varies from draw to draw")
    }

    /// Pre-squash samples atanh(a_δ/ξ) spread around μ with the file's σ: empirical standard
    /// deviation within 4 % of σ per dimension over 20,000 draws, mean within 4 σ/√n.
    @Test(arguments: [ResidualLogStdKind.parameter, .head])
    func sampleModeSpreadMatchesConfiguredSigma(_ kind: ResidualLogStdKind) {
        // Small hidden layers: the noise does not depend on the trunk, and debug builds are slow.
        let network = ResidualFixtures.randomNetwork(hidden: [32, 32], logStd: kind)
        let policy = ResidualPolicy(network: network, xi: 0.8, mode: .sample, seed: 9)
        policy.startEpisode(0)
        var random = SeededGenerator(seed: 2)
        let (features, base) = ResidualFixtures.randomInput(&random, state: 32, action: 7)
        let n = 20_000
        var sum = [Double](repeating: 0, count: 7), squares = [Double](repeating: 0, count: 7)
        var out = ActionVector(count: 0)
        for _ in 0..<n {
            policy.act(features: features.span, baseAction: base, into: &out)
            for d in 0..<7 {
                let z = atanh(out[d] / 0.8) - policy.lastMean[d]
                sum[d] += z
                squares[d] += z * z
            }
        }
        for d in 0..<7 {
            let sigma = policy.lastStd[d]
            #expect(sigma > 0.05 && sigma < 1)
            let mean = sum[d] / Double(n)
            let std = (squares[d] / Double(n) - mean * mean).squareRoot()
            #expect(abs(std / sigma - 1) < 0.04, "dim \(d): empirical σ \(std), configured \(sigma)")
            #expect(abs(mean) < 4 * sigma / Double(n).squareRoot(), "dim \(d): mean offset \(mean)")
        }
        // Mean mode ignores σ.
        let meanPolicy = ResidualPolicy(network: network, xi: 0.8, mode: .mean)
        meanPolicy.act(features: features.span, baseAction: base, into: &out)
        for d in 0..<7 { #expect(out[d] == 0.8 * tanh(meanPolicy.lastMean[d]) && meanPolicy.lastStd[d] == 0) }
    }

    @Test func writtenNetworkLoadsBackWithTheSameOutputs() throws {
        let network = ResidualFixtures.randomNetwork(hidden: [64, 48], activation: .relu, logStd: .head)
        let path = ResidualFixtures.temporaryPath("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try network.write(toFile: path, dtype: .f64, extraMetadata: ["run": "r1", "pld.ignored": "x"])
        let loaded = try ResidualNetwork(contentsOfFile: path)
        #expect(loaded.architecture == network.architecture)
        #expect(loaded.metadata["run"] == "r1" && loaded.metadata["pld.ignored"] == nil)
        let a = ResidualPolicy(network: network, xi: 0.5, mode: .mean)
        let b = ResidualPolicy(network: loaded, xi: 0.5, mode: .mean)
        var random = SeededGenerator(seed: 4)
        var x = ActionVector(count: 0), y = ActionVector(count: 0)
        for _ in 0..<20 {
            let (features, base) = ResidualFixtures.randomInput(&random, state: 32, action: 7)
            a.act(features: features.span, baseAction: base, into: &x)
            b.act(features: features.span, baseAction: base, into: &y)
            #expect(x.array == y.array)
        }
    }

    /// Inputs in inline storage (no Array on the control thread): features from an InlineArray.
    @Test func actTakesFeaturesFromInlineStorage() {
        let network = ResidualFixtures.randomNetwork(state: 4, action: 3, hidden: [16])
        let policy = ResidualPolicy(network: network, xi: 0.5, mode: .mean)
        let inline: InlineArray<4, Double> = [0.1, -0.2, 0.3, 0.4]
        var out = ActionVector(count: 0), fromArray = ActionVector(count: 0)
        let base = ActionVector([0.5, 0, -0.5])
        policy.act(features: inline.span, baseAction: base, into: &out)
        policy.act(features: [0.1, -0.2, 0.3, 0.4].span, baseAction: base, into: &fromArray)
        #expect(out.array == fromArray.array && out.count == 3)
    }
}
