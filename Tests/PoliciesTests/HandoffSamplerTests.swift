import PLDCore
import Policies
import Testing

@Suite struct HandoffSamplerTests {
    /// Pearson's χ² of 10,000 draws against Uniform{0…⌊α·T_max⌋}, compared with the critical
    /// value at p = 0.001 for k − 1 degrees of freedom (tabulated values).
    @Test(arguments: [
        // (α, T_max, categories, χ² critical value at p = 0.001 for categories − 1 dof)
        (0.6, 100, 61, 99.607),  // df 60; 0.6·100 is 59.999… in binary, still 60
        (0.5, 40, 21, 45.315),  // df 20
        (0.3, 30, 10, 27.877),  // df 9
    ])
    func uniformHandoffPassesChiSquareOverTenThousandEpisodes(alpha: Double, maxSteps: Int, categories: Int, critical: Double) {
        let sampler = HandoffSampler(mode: .uniform, alpha: alpha, maxEpisodeSteps: maxSteps, seed: 2024)
        #expect(sampler.uniformUpperBound == categories - 1)
        var counts = [Int](repeating: 0, count: categories)
        let draws = 10_000
        for episode in 0..<UInt64(draws) {
            guard let t = sampler.handoffStep(episode: episode), (0..<categories).contains(t) else {
                Issue.record("episode \(episode): T outside 0...\(categories - 1)")
                return
            }
            counts[t] += 1
        }
        let expected = Double(draws) / Double(categories)
        let chiSquare = counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare < critical, "χ² = \(chiSquare) ≥ \(critical) (df \(categories - 1)); counts \(counts)")
        #expect(counts.first! > 0 && counts.last! > 0, "both ends of the range are drawn")
    }

    /// The same statistic rejects a sampler that misses the top value (T ~ U{0…⌊α·T_max⌋ − 1}),
    /// so the test above can fail.
    @Test func chiSquareRejectsAnOffByOneRange() {
        let narrow = HandoffSampler(mode: .uniform, alpha: 0.59, maxEpisodeSteps: 100, seed: 2024)  // 0…59
        var counts = [Int](repeating: 0, count: 61)
        for episode in 0..<UInt64(10_000) { counts[narrow.handoffStep(episode: episode)!] += 1 }
        let expected = 10_000.0 / 61
        let chiSquare = counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare > 99.607)
    }

    @Test func neverAlwaysAndFixedModes() {
        let never = HandoffSampler(mode: .never, maxEpisodeSteps: 200)
        let always = HandoffSampler(mode: .always, maxEpisodeSteps: 200)
        let fixed = HandoffSampler(mode: .fixed, maxEpisodeSteps: 200, fixedStep: 37)
        for episode in UInt64(0)..<50 {
            #expect(never.handoffStep(episode: episode) == nil)
            #expect(always.handoffStep(episode: episode) == 0)
            #expect(fixed.handoffStep(episode: episode) == 37)
        }
        #expect(!HandoffSampler.residualActive(step: 1_000, handoff: nil))
        #expect(HandoffSampler.residualActive(step: 0, handoff: 0))
        #expect(!HandoffSampler.residualActive(step: 36, handoff: 37))
        #expect(HandoffSampler.residualActive(step: 37, handoff: 37))
    }

    @Test func configDrivesTheSampler() {
        var config = HandoffConfig()
        config.mode = .fixed
        config.fixedStep = 12
        config.seed = 5
        #expect(HandoffSampler(config: config, maxEpisodeSteps: 100).handoffStep(episode: 3) == 12)
        config = HandoffConfig()
        let sampler = HandoffSampler(config: config, maxEpisodeSteps: 100)
        #expect(sampler.mode == .uniform && sampler.alpha == 0.6 && sampler.uniformUpperBound == 60)
    }

    /// T is a function of (seed, episode): replaying episode k gives the same T whatever ran
    /// before; other seeds give other sequences; α = 0 always hands off at 0.
    @Test func deterministicPerSeedAndEpisode() {
        let a = HandoffSampler(mode: .uniform, alpha: 0.6, maxEpisodeSteps: 500, seed: 7)
        let b = HandoffSampler(mode: .uniform, alpha: 0.6, maxEpisodeSteps: 500, seed: 7)
        let c = HandoffSampler(mode: .uniform, alpha: 0.6, maxEpisodeSteps: 500, seed: 8)
        let forward = (UInt64(0)..<200).map { a.handoffStep(episode: $0)! }
        let backward = (UInt64(0)..<200).reversed().map { b.handoffStep(episode: $0)! }.reversed()
        #expect(forward == Array(backward))
        #expect(forward != (UInt64(0)..<200).map { c.handoffStep(episode: $0)! })
        #expect(Set(forward).count > 100)
        let zero = HandoffSampler(mode: .uniform, alpha: 0, maxEpisodeSteps: 500, seed: 7)
        #expect((UInt64(0)..<100).allSatisfy { zero.handoffStep(episode: $0) == 0 })
    }
}
