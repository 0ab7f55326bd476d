import PLDCore
import Tasks
import TestSupport
import Testing

@Suite struct RulesClassifierTests {
    func classifier(_ rules: [(Int, Comparison, Double)]) throws -> RulesClassifier {
        let robot = try RobotConfig.load(path: PythonPeer.repositoryRoot.appendingPathComponent("RobotConfigs/franka_sim_cube.yaml").path)
        var config = try #require(robot.classifiers.first { $0.kind == .rules })
        config.rules = try rules.map { index, op, value in
            var rule = try #require(config.rules?.first)
            rule.index = index
            rule.op = op
            rule.value = value
            return rule
        }
        return RulesClassifier(config: config)
    }

    @Test func everyRuleMustHoldAndNaNNeverSucceeds() throws {
        let c = try classifier([(2, .gt, 0.1), (0, .lt, 0.6)])
        #expect(c.score { _, i in [0.5, 0, 0.2][i] } == 1)
        #expect(c.score { _, i in [0.7, 0, 0.2][i] } == 0)
        #expect(c.score { _, i in [0.5, 0, 0.05][i] } == 0)
        #expect(c.score { _, i in [0.5, 0, .nan][i] } == 0)
    }

    func update(_ latch: inout SuccessLatch, _ score: Double) -> Bool { latch.update(score: score) }

    @Test func latchNeedsConsecutiveTicksAndIgnoresFlickerAfterwards() {
        var latch = SuccessLatch(threshold: 0.75, debounceTicks: 3)
        #expect(!update(&latch, 1))
        #expect(!update(&latch, 1))
        #expect(!update(&latch, 0))  // flicker before latching restarts the count
        #expect(!update(&latch, 1))
        #expect(!update(&latch, 1))
        #expect(update(&latch, 0.8))
        #expect(update(&latch, 0))  // latched: a flickering score does not unlatch
        latch.reset()
        #expect(!update(&latch, 1))
    }
}
