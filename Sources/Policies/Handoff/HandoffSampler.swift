import PLDCore

/// Draws the handoff step T of each episode: before T only the base policy acts; from T on the
/// residual is added (PLD's "base policy probing", DESIGN.md §6).
///
/// - `uniform`: T ~ Uniform{0, 1, …, ⌊α · T_max⌋}, every integer equally likely (PLD:
///   T ~ U[0, α·T], best α ≈ 0.6). ⌊α · T_max⌋ is computed with a 1e-9 tolerance so that e.g.
///   α = 0.6, T_max = 100 gives 60 even though 0.6 · 100 is 59.999… in binary.
/// - `never`: nil (the residual never acts).
/// - `always`: 0.
/// - `fixed`: `fixed_step`.
///
/// Deterministic: T depends only on (seed, episode index) — each episode draws from its own
/// `SeededGenerator` stream — so a run replays exactly and episode k's T does not depend on
/// how many episodes ran before it. A value type without allocation; any thread.
public struct HandoffSampler: Sendable, Equatable {
    public let mode: HandoffMode
    public let alpha: Double
    public let maxEpisodeSteps: Int
    public let fixedStep: Int?
    public let seed: UInt64

    /// Largest T `uniform` can draw: ⌊α · T_max⌋.
    public var uniformUpperBound: Int { Self.upperBound(alpha: alpha, maxEpisodeSteps: maxEpisodeSteps) }

    public init(mode: HandoffMode, alpha: Double = 0.6, maxEpisodeSteps: Int, fixedStep: Int? = nil, seed: UInt64 = 0) {
        precondition(maxEpisodeSteps >= 0, "max episode steps \(maxEpisodeSteps)")
        precondition((0...1).contains(alpha), "handoff α \(alpha) outside [0, 1]")
        precondition(mode != .fixed || (fixedStep ?? -1) >= 0, "handoff mode fixed needs fixed_step ≥ 0")
        self.mode = mode
        self.alpha = alpha
        self.maxEpisodeSteps = maxEpisodeSteps
        self.fixedStep = fixedStep
        self.seed = seed
    }

    /// From the validated robot config (`handoff` and the task's `max_episode_steps`).
    public init(config: HandoffConfig, maxEpisodeSteps: Int) {
        self.init(mode: config.mode, alpha: config.alpha, maxEpisodeSteps: maxEpisodeSteps,
                  fixedStep: config.fixedStep, seed: config.seed)
    }

    static func upperBound(alpha: Double, maxEpisodeSteps: Int) -> Int {
        Int((alpha * Double(maxEpisodeSteps) + 1e-9).rounded(.down))
    }

    /// T for episode `index`; nil means the residual never acts this episode.
    public func handoffStep(episode index: UInt64) -> Int? {
        switch mode {
        case .never: return nil
        case .always: return 0
        case .fixed: return fixedStep
        case .uniform:
            var random = SeededGenerator(seed: seed, stream: 0x4A4E_D0FF_0000_0000 ^ index)
            return Int(random.nextInteger(upTo: UInt64(uniformUpperBound)))
        }
    }

    /// Whether the residual acts at `step` of an episode whose handoff step is `handoff`.
    @inline(__always)
    public static func residualActive(step: Int, handoff: Int?) -> Bool {
        guard let handoff else { return false }
        return step >= handoff
    }
}
