import Foundation
import PLDCore
@testable import Policies
import TestSupport
import Testing

/// What `Tests/Peers/residual_reference.py write` printed: inputs and its numpy outputs.
struct NumpyReference: Decodable {
    struct Input: Decodable {
        var state: [Double]
        var action: [Double]
    }
    var inputs: [Input]
    var mu: [[Double]]
    var log_std: [[Double]]?
    var a_delta: [[Double]]
}

enum ResidualFixtures {
    static func temporaryPath(_ stem: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(stem)-\(UUID().uuidString.prefix(8)).safetensors").path
    }

    /// Has numpy write a residual with random weights to a temporary file; returns the path and
    /// numpy's own forward pass for the inputs it chose.
    static func numpyResidual(_ arguments: [String]) throws -> (path: String, reference: NumpyReference) {
        let path = temporaryPath("numpy-residual")
        let result = try PythonPeer.runScript("residual_reference.py", ["write", path] + arguments)
        try #require(result.status == 0, "residual_reference.py failed: \(result.stderr)")
        return (path, try JSONDecoder().decode(NumpyReference.self, from: Data(result.stdout.utf8)))
    }

    /// A network with random weights everywhere (including μ), built in Swift.
    static func randomNetwork(
        state: Int = 32, action: Int = 7, hidden: [Int] = [256, 256, 256], activation: ResidualActivation = .tanh,
        layerNorm: Bool = true, logStd: ResidualLogStdKind = .none, seed: UInt64 = 1
    ) -> ResidualNetwork {
        let arch = ResidualArchitecture(stateDimensions: state, actionDimensions: action, hidden: hidden,
                                        activation: activation, layerNorm: layerNorm, logStd: .none)
        var net = ResidualNetwork.zeroInitialized(arch, seed: seed)
        var random = SeededGenerator(seed: seed, stream: 99)
        func uniform(_ n: Int, _ bound: Double) -> [Double] { (0..<n).map { _ in (2 * random.nextUnitInterval() - 1) * bound } }
        let last = hidden.last!
        net.muWeight = uniform(action * last, 0.3)
        net.muBias = uniform(action, 0.1)
        for i in net.layers.indices {
            net.layers[i].normWeight = uniform(hidden[i], 0.5).map { $0 + 1 }
            net.layers[i].normBias = uniform(hidden[i], 0.2)
        }
        net.observationMean = uniform(state + action, 0.5)
        net.observationStd = uniform(state + action, 0.5).map { $0 + 1 }
        net.architecture.logStd = logStd
        switch logStd {
        case .none: break
        case .parameter: net.logStd = uniform(action, 0.5).map { $0 - 1.5 }
        case .head:
            net.logStdHeadWeight = uniform(action * last, 0.05)
            net.logStdHeadBias = uniform(action, 0.2).map { $0 - 1.2 }
        }
        return net
    }

    static func randomInput(_ random: inout SeededGenerator, state: Int, action: Int) -> ([Double], ActionVector) {
        let features = (0..<state).map { _ in 3 * (random.nextUnitInterval() - 0.5) }
        var base = ActionVector(count: action)
        for i in 0..<action { base[i] = 2 * random.nextUnitInterval() - 1 }
        return (features, base)
    }
}
