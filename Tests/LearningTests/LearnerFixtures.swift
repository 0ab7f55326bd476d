import Foundation
@testable import Learning
import Testing

enum LearnerFixtures {
    static func temporaryPath(_ stem: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(stem)-\(UUID().uuidString.prefix(8)).safetensors").path
    }

    /// A small learner (2 × 32, batch 32, 4 CQL samples) whose buffers hold random transitions.
    static func smallLearner(seed: UInt64 = 1, input: Int = 9, action: Int = 3, fill: Bool = true) throws -> SACLearner {
        var c = SACConfiguration(inputDimensions: input, actionDimensions: action)
        c.hidden = [32, 32]
        c.batchSize = 32
        c.cql.actionSamples = 4
        c.offlineCapacity = 500
        c.onlineCapacity = 500
        c.actorHeadInitScale = 1
        c.seed = seed
        var random = LearnerRandom(seed: 99)
        let mean = (0..<input).map { _ in Float(random.nextUnit() - 0.5) }
        let std = (0..<input).map { _ in Float(0.5 + random.nextUnit()) }
        let learner = try SACLearner(configuration: c, normalizer: ObservationNormalizer(mean: mean, std: std))
        if fill { fillRandom(learner, seed: 123) }
        return learner
    }

    /// 200 offline and 150 online random transitions, the same for the same seed.
    static func fillRandom(_ learner: SACLearner, seed: UInt64) {
        var random = LearnerRandom(seed: seed)
        func uniform(_ n: Int, _ s: Double) -> [Float] { (0..<n).map { _ in Float((2 * random.nextUnit() - 1) * s) } }
        let d = learner.inputDimensions, a = learner.actionDimensions
        for (buffer, count) in [(learner.offline, 200), (learner.online, 150)] {
            for _ in 0..<count {
                buffer.append(input: uniform(d, 2), action: uniform(a, 1), reward: uniform(1, 1)[0], nextInput: uniform(d, 2),
                              done: random.nextUnit() < 0.1, monteCarloReturn: uniform(1, 3)[0])
            }
        }
    }
}
