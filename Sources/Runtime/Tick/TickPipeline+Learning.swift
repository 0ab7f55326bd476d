import PLDCore
import Policies

/// The tick's side of the actor–learner link: what goes to the learner each episode tick, and
/// the weights it swaps in between episodes.
struct LearnerLink: Sendable {
    /// Control thread → learner thread, one entry per episode tick plus one per episode end.
    let steps: SPSCQueue<LearnerStep>
    let exchange: ResidualExchange
    /// `learner.wait_for_updates`.
    let waitForUpdates: Bool
}

extension TickPipeline {
    /// At an episode's start (never during one): the learner's newest weights, if any, replace
    /// the run's residual; the replaced one goes back to the learner thread to be freed there.
    func swapInLearnedWeights() {
        guard let learner else { return }
        warmupEpisode = learner.exchange.warmup.load(ordering: .relaxed)
        guard let (policy, version) = learner.exchange.take() else { return }
        learner.exchange.retire(residuals[0])
        residuals[0] = policy
        residualVersion = version
    }

    /// Hands this episode tick to the learner (dropped, and counted, when its queue is full).
    func pushLearnerStep(reward: Double, last: Bool, outcome: EpisodeOutcome?) {
        guard let learner else { return }
        learnerStep.episode = firstEpisodeIndex + episode
        learnerStep.step = Int32(clamping: step - 1)
        let features = residualSampler.valueCount
        let width = min(features + baseAction.count, learnerStepMaxInput)
        for i in 0..<min(features, width) { learnerStep.x[i] = Float(residualInput[i]) }
        for d in 0..<(width - min(features, width)) { learnerStep.x[features + d] = Float(baseAction[d]) }
        learnerStep.xCount = width
        learnerStep.uCount = residualRaw.count
        for d in 0..<residualRaw.count { learnerStep.u[d] = Float(residualRaw[d]) }
        learnerStep.residualActive = record.residualActive
        learnerStep.stall = record.policyStall
        learnerStep.reward = Float(reward)
        learnerStep.last = last
        learnerStep.terminal = last && outcome == .success
        learnerStep.aborted = false
        learnerStep.residualVersion = residualVersion
        learnerStep.warmup = warmupEpisode
        push(learnerStep, to: learner)
    }

    /// Counts a dropped step; an episode's last step, once queued, is an episode in flight.
    private func push(_ step: LearnerStep, to learner: LearnerLink) {
        if !learner.steps.push(step) {
            status.count(.learnerDroppedSteps)
        } else if step.last {
            learner.exchange.episodesInFlight.add(1, ordering: .relaxed)
        }
    }

    /// With `learner.wait_for_updates`: the learner has not yet done the updates it owes for
    /// the episodes it was given (or not taken them in), so the next episode should wait.
    var learnerIsBehind: Bool {
        guard let learner, learner.waitForUpdates else { return false }
        return learner.exchange.episodesInFlight.load(ordering: .relaxed) > 0
            || learner.exchange.pendingUpdates.load(ordering: .relaxed) > 0
    }

    /// An episode ended without a final step for the learner (e-stop, fault, operator): a
    /// marker, so the learner closes it and does not bootstrap across the gap.
    func closeLearnerEpisode(outcome: EpisodeOutcome) {
        guard let learner, !learnerStep.last || learnerStep.episode != firstEpisodeIndex + episode else { return }
        learnerStep.episode = firstEpisodeIndex + episode
        learnerStep.xCount = 0
        learnerStep.uCount = 0
        learnerStep.last = true
        learnerStep.terminal = false
        learnerStep.aborted = !outcome.isVerdict
        learnerStep.reward = 0
        push(learnerStep, to: learner)
    }
}
