import Foundation
import Learning
import PLDCore
import Policies
import Synchronization

/// What the learner did, for status, the run summary and the report (any thread reads it).
public struct LearnerStatus: Sendable {
    public var phase = "warm-up"
    public var warmupEpisodes = 0
    public var learningEpisodes = 0
    public var offlineTransitions = 0
    public var onlineTransitions = 0
    public var updates = 0
    public var warmStartUpdates = 0
    /// Weights versions published (0: none yet).
    public var version = 0
    public var lastCriticLoss: Float = 0
    public var lastActorLoss: Float = 0
    public var temperature: Float = 0
    public var failure: String?
}

/// PLD's Probe stage inside `pld run`: SAC on the run's own episodes, on its own thread.
///
/// 1. Warm-up: `learner.warmup_episodes` base-only episodes (it asks the tick for handoff
///    `never`); all their transitions go to the online buffer, the successful episodes' also to
///    the offline buffer. The observation normaliser is estimated from them.
/// 2. Cal-QL warm start on the offline buffer (`warm_start_updates`), version 1 published.
/// 3. Online: episodes with the PLD handoff; transitions from the handoff step on (the steps
///    the residual acted in) go to the online buffer — the base-only prefix never enters replay;
///    `updates_per_step` SAC updates per new transition, sampling half offline, half online; a
///    new version every `publish_every_episodes` episodes, swapped in by the tick between
///    episodes.
///
/// Rewards are sparse: 1 on the step the task succeeded (terminal), else 0. Transitions next to
/// a stall tick (the arm held, the executed action was not base + residual) are left out.
/// Weights go to `RUN/learner/residual_latest.safetensors` (every 10th version also kept by
/// number), the learner checkpoint to `RUN/learner/checkpoint.safetensors` at the end, and one
/// JSON line per episode to `RUN/learner/learning.jsonl`.
///
/// Threading: its own thread ("pld learner"); talks to the control thread only through the
/// step queue and the `ResidualExchange`.
final class ResidualLearner: @unchecked Sendable {
    // @unchecked: everything but `statusBox` and `running` belongs to the learner thread.
    let link: LearnerLink
    private let config: LearnerConfig
    private let residualConfig: ResidualConfig
    private let inputDimensions: Int
    private let actionDimensions: Int
    private let directory: String?
    private let log: @Sendable (String) -> Void
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let statusBox = Mutex(LearnerStatus())

    private var sac: SACLearner?
    private var warmupOnline: ReplayBuffer
    private var warmupOffline: ReplayBuffer
    private var episodeSteps: [LearnerStep] = []
    private var currentEpisode: UInt64?
    private var budget = 0.0
    /// Cal-QL warm-start updates still to do (done in slices, so the queue keeps draining and
    /// `stop` stays prompt).
    private var warmStartRemaining = 0
    private var warmStartBegan: UInt64 = 0
    private var episodesSincePublish = 0
    private var version = 0
    private var journal: FileHandle?
    private var lastStatistics: SACUpdateStatistics?

    /// Floor of the input normalisation's standard deviations (m, rad, normalised units alike).
    /// An input that barely moves while the base runs alone (a resting cube's orientation, std
    /// ~1e-3) would otherwise be scaled up a thousandfold, and the first knocked cube would feed
    /// the networks values hundreds of deviations out.
    static let minimumInputStd: Float = 0.05

    init(link: LearnerLink, config: LearnerConfig, residual: ResidualConfig, inputDimensions: Int, actionDimensions: Int,
         runDirectory: String?, log: @escaping @Sendable (String) -> Void) {
        self.link = link
        self.config = config
        residualConfig = residual
        self.inputDimensions = inputDimensions
        self.actionDimensions = actionDimensions
        directory = runDirectory.map { ($0 as NSString).appendingPathComponent("learner") }
        self.log = log
        let capacity = min(config.bufferCapacity, 1_000_000)
        warmupOnline = ReplayBuffer(capacity: capacity, inputDimensions: inputDimensions, actionDimensions: actionDimensions)
        warmupOffline = ReplayBuffer(capacity: capacity, inputDimensions: inputDimensions, actionDimensions: actionDimensions)
        link.exchange.warmup.store(config.warmupEpisodes > 0, ordering: .relaxed)
    }

    var status: LearnerStatus { statusBox.withLock { $0 } }

    func start() {
        if let directory {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = (directory as NSString).appendingPathComponent("learning.jsonl")
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            journal = FileHandle(forWritingAtPath: path)
            _ = try? journal?.seekToEnd()
        }
        if config.warmupEpisodes == 0 { beginLearning() }
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "pld learner"
        thread.start()
    }

    /// Stops the thread and writes the checkpoint.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
        if let sac, let directory {
            // The final actor, and the learner state it came from (the two agree: a test loads
            // both and compares actions).
            let latest = (directory as NSString).appendingPathComponent("residual_latest.safetensors")
            let path = (directory as NSString).appendingPathComponent("checkpoint.safetensors")
            do {
                let network = sac.residualNetwork(extraMetadata: ["learner.version": String(version), "learner.final": "true"])
                try network.write(toFile: latest, dtype: .f32, extraMetadata: network.metadata)
                try sac.saveCheckpoint(toFile: path)
            } catch {
                log("learner: cannot write \(directory): \(error)")
            }
        }
        try? journal?.close()
        link.exchange.collectRetired()
    }

    private func run() {
        while running.load(ordering: .relaxed) {
            var took = 0
            while took < 512, let step = link.steps.pop() {
                took += 1
                take(step)
            }
            link.exchange.collectRetired()
            link.exchange.pendingUpdates.store(Int(budget.rounded(.down)) + warmStartRemaining, ordering: .relaxed)
            if let sac, warmStartRemaining > 0 {
                let slice = min(warmStartRemaining, 16)
                let statistics = sac.warmStart(steps: slice)
                warmStartRemaining -= slice
                statusBox.withLock {
                    $0.warmStartUpdates = sac.warmStartStepCount
                    if let statistics { $0.lastCriticLoss = statistics.criticLoss }
                }
                if warmStartRemaining == 0 || sac.offline.count == 0 {
                    warmStartRemaining = 0
                    finishWarmStart()
                }
            } else if let sac, budget >= 1 {
                let slice = min(Int(budget), 16)
                if let statistics = sac.update(count: slice) {
                    lastStatistics = statistics
                    statusBox.withLock {
                        $0.updates = sac.updateCount
                        $0.lastCriticLoss = statistics.criticLoss
                        $0.lastActorLoss = statistics.actorLoss
                        $0.temperature = statistics.temperature
                    }
                }
                budget -= Double(slice)
            } else if took == 0 {
                usleep(2_000)
            }
        }
    }

    // MARK: Episodes

    private func take(_ step: LearnerStep) {
        if currentEpisode != step.episode {
            episodeSteps.removeAll(keepingCapacity: true)
            currentEpisode = step.episode
        }
        if step.xCount > 0 { episodeSteps.append(step) }
        guard step.last else { return }
        link.exchange.episodesInFlight.subtract(1, ordering: .relaxed)
        if !step.aborted { finishEpisode(episodeSteps, terminal: step.terminal, warmup: step.warmup || episodeSteps.first?.warmup == true) }
        episodeSteps.removeAll(keepingCapacity: true)
        currentEpisode = nil
    }

    /// Splits an episode into runs of consecutive usable steps and appends their transitions.
    /// `fromResidual`: only steps where the residual acted (online learning); else every step.
    private func segments(_ steps: [LearnerStep], terminal: Bool, fromResidual: Bool)
        -> [(xs: [[Float]], us: [[Float]], rs: [Float], terminated: Bool)]
    {
        var out: [(xs: [[Float]], us: [[Float]], rs: [Float], terminated: Bool)] = []
        var xs: [[Float]] = [], us: [[Float]] = [], rs: [Float] = []
        func x(_ s: LearnerStep) -> [Float] { (0..<min(s.xCount, inputDimensions)).map { s.x[$0] } }
        func u(_ s: LearnerStep) -> [Float] { (0..<min(s.uCount, actionDimensions)).map { s.u[$0] } }
        func flush(next: [Float]?, terminated: Bool) {
            if !us.isEmpty, let next {
                out.append((xs + [next], us, rs, terminated))
            } else if us.count > 1 {
                // No x′ for the last one: drop it.
                out.append((xs, Array(us.dropLast()), Array(rs.dropLast()), false))
            }
            xs = []; us = []; rs = []
        }
        for (i, s) in steps.enumerated() {
            let usable = !s.stall && s.xCount == inputDimensions && (!fromResidual || s.residualActive)
            guard usable else {
                flush(next: s.stall || s.xCount != inputDimensions ? nil : x(s), terminated: false)
                continue
            }
            xs.append(x(s))
            us.append(u(s))
            rs.append(s.reward)
            if i == steps.count - 1 {
                // The episode's last step: terminal on success (x′ is not used), else cut.
                if terminal { flush(next: x(s), terminated: true) } else { flush(next: nil, terminated: false) }
            }
        }
        flush(next: nil, terminated: false)
        return out
    }

    private func finishEpisode(_ steps: [LearnerStep], terminal: Bool, warmup: Bool) {
        guard !steps.isEmpty else { return }
        let discount = Float(config.discount)
        var added = 0
        if warmup && sac == nil {
            for s in segments(steps, terminal: terminal, fromResidual: false) {
                added += warmupOnline.appendEpisode(inputs: s.xs, actions: s.us, rewards: s.rs, terminated: s.terminated, discount: discount, nStep: config.nStep)
                if terminal {
                    warmupOffline.appendEpisode(inputs: s.xs, actions: s.us, rewards: s.rs, terminated: s.terminated, discount: discount, nStep: config.nStep)
                }
            }
            let count = statusBox.withLock {
                $0.warmupEpisodes += 1
                $0.onlineTransitions = warmupOnline.count
                $0.offlineTransitions = warmupOffline.count
                return $0.warmupEpisodes
            }
            journalLine(["episode": Int(steps[0].episode), "warmup": true, "success": terminal, "transitions": added])
            if count >= config.warmupEpisodes { beginLearning() }
            return
        }
        guard let sac else { return }
        // A base-only episode that ended during the warm start: all of it is data (u = 0), and
        // a success is a base rollout for the offline buffer.
        for s in segments(steps, terminal: terminal, fromResidual: !warmup) {
            added += sac.online.appendEpisode(inputs: s.xs, actions: s.us, rewards: s.rs, terminated: s.terminated, discount: discount, nStep: config.nStep)
            if warmup && terminal {
                sac.offline.appendEpisode(inputs: s.xs, actions: s.us, rewards: s.rs, terminated: s.terminated, discount: discount, nStep: config.nStep)
            }
        }
        budget += Double(added) * config.updatesPerStep
        episodesSincePublish += 1
        statusBox.withLock {
            $0.learningEpisodes += 1
            $0.onlineTransitions = sac.online.count
        }
        var line: [String: Any] = [
            "episode": Int(steps[0].episode), "warmup": false, "success": terminal, "transitions": added,
            "version": steps[0].residualVersion, "updates": sac.updateCount,
        ]
        if let s = lastStatistics {
            line["critic_loss"] = Double(s.criticLoss)
            line["actor_loss"] = Double(s.actorLoss)
            line["mean_q"] = Double(s.meanQ)
            line["temperature"] = Double(s.temperature)
            line["entropy"] = Double(s.entropy)
        }
        journalLine(line)
        if episodesSincePublish >= config.publishEveryEpisodes { publish() }
    }

    // MARK: Learning

    private func beginLearning() {
        var configuration = SACConfiguration(inputDimensions: inputDimensions, actionDimensions: actionDimensions)
        configuration.hidden = [Int](repeating: residualConfig.hiddenUnits, count: residualConfig.hiddenLayers)
        configuration.batchSize = config.batchSize
        configuration.discount = config.discount
        configuration.nStep = config.nStep
        configuration.targetUpdateRate = config.targetUpdateRate
        configuration.actorOptimizer = .adamW(learningRate: config.learningRate)
        configuration.criticOptimizer = .adamW(learningRate: config.learningRate)
        configuration.temperatureOptimizer = .adam(learningRate: config.learningRate)
        configuration.criticActorRatio = config.criticActorRatio
        configuration.cql.weight = config.cqlWeight
        configuration.cql.actionSamples = config.cqlActionSamples
        configuration.initialTemperature = config.initialTemperature
        configuration.initialLogStdBias = config.initialLogStd
        configuration.targetEntropy = config.targetEntropy
        configuration.offlineCapacity = config.bufferCapacity
        configuration.onlineCapacity = config.bufferCapacity
        configuration.seed = config.seed
        let normalizer = warmupOnline.count > 0
            ? ObservationNormalizer.estimate(from: warmupOnline, minimumStd: Self.minimumInputStd)
            : ObservationNormalizer.identity(dimensions: inputDimensions)
        do {
            let sac = try SACLearner(configuration: configuration, normalizer: normalizer)
            for i in 0..<warmupOffline.count { _ = sac.offline.append(warmupOffline.transition(at: i)) }
            for i in 0..<warmupOnline.count { _ = sac.online.append(warmupOnline.transition(at: i)) }
            self.sac = sac
            log("learner: warm-up done (\(warmupOnline.count) transitions, \(warmupOffline.count) from successful episodes); Cal-QL warm start of \(config.warmStartUpdates) updates")
            warmupOnline = ReplayBuffer(capacity: 1, inputDimensions: inputDimensions, actionDimensions: actionDimensions)
            warmupOffline = warmupOnline
            statusBox.withLock {
                $0.phase = "warm start"
                $0.offlineTransitions = sac.offline.count
                $0.onlineTransitions = sac.online.count
            }
            warmStartRemaining = sac.offline.count > 0 ? config.warmStartUpdates : 0
            warmStartBegan = monotonicNanos()
            if warmStartRemaining == 0 { finishWarmStart() }
        } catch {
            statusBox.withLock { $0.failure = "\(error)"; $0.phase = "failed" }
            log("learner: cannot start: \(error); the run goes on with its current residual")
            link.exchange.warmup.store(false, ordering: .relaxed)
        }
    }

    private func finishWarmStart() {
        guard let sac else { return }
        let seconds = Double(monotonicNanos() &- warmStartBegan) / 1e9
        statusBox.withLock { $0.phase = "learning" }
        log(String(format: "learner: warm start done (%d updates in %.1f s); learning online", sac.warmStartStepCount, seconds))
        publish()
        link.exchange.warmup.store(false, ordering: .relaxed)
    }

    /// Exports the actor, writes it, and offers it to the control thread.
    private func publish() {
        guard let sac else { return }
        episodesSincePublish = 0
        version += 1
        let network = sac.residualNetwork(extraMetadata: ["learner.version": String(version)])
        let policy = ResidualPolicy(network: network, xi: residualConfig.xi, mode: residualConfig.mode, seed: residualConfig.seed)
        link.exchange.offer(policy, version: version)
        statusBox.withLock { $0.version = version }
        guard let directory else { return }
        let latest = (directory as NSString).appendingPathComponent("residual_latest.safetensors")
        do {
            try network.write(toFile: latest, dtype: .f32, extraMetadata: network.metadata)
            if version == 1 || version % 10 == 0 {
                let numbered = (directory as NSString).appendingPathComponent(String(format: "residual_v%04d.safetensors", version))
                try network.write(toFile: numbered, dtype: .f32, extraMetadata: network.metadata)
            }
        } catch {
            log("learner: cannot write weights: \(error)")
        }
    }

    private func journalLine(_ object: [String: Any]) {
        guard let journal, let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        journal.write(data + Data("\n".utf8))
    }
}
