import Foundation
@testable import Learning
import Testing

/// SAC from scratch on a small continuous-control problem: a 2-D point mass (velocity with
/// damping, force in (−1, 1)²) that must reach a random goal within 40 steps; dense reward
/// −‖p − g‖ per step. Fixed seed and budget; the trained deterministic actor must beat a return
/// that neither a zero nor a uniformly random policy reaches.
@Suite struct PointMassTests {
    struct PointMass {
        static let horizon = 40
        var position = SIMD2<Double>(), velocity = SIMD2<Double>(), goal = SIMD2<Double>()
        var steps = 0

        mutating func reset(_ random: inout LearnerRandom) {
            func coordinate() -> Double { 2 * random.nextUnit() - 1 }
            position = SIMD2(coordinate(), coordinate())
            goal = SIMD2(coordinate(), coordinate())
            velocity = .zero
            steps = 0
        }

        var observation: [Float] { [position.x, position.y, velocity.x, velocity.y, goal.x, goal.y].map { Float($0) } }

        /// Applies the force; returns (reward, episode over).
        mutating func step(_ u: [Float]) -> (Double, Bool) {
            let force = SIMD2(Double(u[0]), Double(u[1])).clamped(lowerBound: SIMD2(-1, -1), upperBound: SIMD2(1, 1))
            velocity = 0.8 * velocity + 0.2 * force
            position = (position + 0.25 * velocity).clamped(lowerBound: SIMD2(-1.5, -1.5), upperBound: SIMD2(1.5, 1.5))
            steps += 1
            let distance = ((position - goal) * (position - goal)).sum().squareRoot()
            return (-distance, steps >= Self.horizon)
        }
    }

    /// Average return of `policy` over `episodes` episodes from a fixed seed.
    static func evaluate(episodes: Int, seed: UInt64, _ policy: ([Float], inout LearnerRandom) -> [Float]) -> Double {
        var random = LearnerRandom(seed: seed)
        var env = PointMass()
        var total = 0.0
        for _ in 0..<episodes {
            env.reset(&random)
            var done = false
            while !done {
                let (reward, over) = env.step(policy(env.observation, &random))
                total += reward
                done = over
            }
        }
        return total / Double(episodes)
    }

    @Test func sacLearnsToReachGoals() throws {
        let started = Date()
        var c = SACConfiguration(inputDimensions: 6, actionDimensions: 2)
        c.hidden = [64, 64]
        c.batchSize = 128
        c.onlineCapacity = 20_000
        c.offlineCapacity = 1
        c.actorHeadInitScale = 1
        c.seed = 2
        let normalizer = try ObservationNormalizer(mean: [0, 0, 0, 0, 0, 0], std: [0.7, 0.7, 0.5, 0.5, 0.6, 0.6])
        let learner = try SACLearner(configuration: c, normalizer: normalizer)

        var random = LearnerRandom(seed: 21)
        var env = PointMass()
        let randomSteps = 1_000, totalSteps = 8_000
        env.reset(&random)
        var x = env.observation
        for step in 0..<totalSteps {
            let u: [Float] = step < randomSteps
                ? [Float(2 * random.nextUnit() - 1), Float(2 * random.nextUnit() - 1)]
                : learner.sampleAction(x, random: &random)
            let (reward, over) = env.step(u)
            let next = env.observation
            learner.online.append(input: x, action: u, reward: Float(reward), nextInput: next, done: false, monteCarloReturn: -.infinity)
            if over {
                env.reset(&random)
                x = env.observation
            } else {
                x = next
            }
            if step >= randomSteps { learner.update() }
        }
        let trained = Self.evaluate(episodes: 50, seed: 777) { observation, _ in learner.meanAction(observation) }
        let zero = Self.evaluate(episodes: 50, seed: 777) { _, _ in [0, 0] }
        let uniform = Self.evaluate(episodes: 50, seed: 777) { _, r in [Float(2 * r.nextUnit() - 1), Float(2 * r.nextUnit() - 1)] }
        let threshold = -20.0
        print("point mass: trained return \(trained), zero policy \(zero), random policy \(uniform), threshold \(threshold), \(learner.updateCount) updates in \(Date().timeIntervalSince(started)) s")
        #expect(zero < threshold && uniform < threshold, "the threshold must be out of reach of a zero or random policy")
        #expect(trained > threshold, "trained return \(trained) does not beat \(threshold)")
    }
}
