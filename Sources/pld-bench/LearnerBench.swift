import ArgumentParser
import Foundation
import Learning
import Policies

/// `pld bench learner`: SAC updates per second and heap allocations per update.
struct Learner: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "SAC learner throughput: updates per second at batch 256 with 3 × 256 LayerNorm networks, and allocations per update.",
        discussion: """
            The PLD residual learner: input [23 state features, 7-D base action] (30 values), 7-D \
            residual action, actor and two critics of 3 × 256 (Linear → LayerNorm → tanh), batch \
            256, two critic steps (each on a fresh minibatch, Polyak after each) and one actor and \
            temperature step per update, AdamW, gradient clipping; replay half offline, half online. \
            OpenBLAS on one thread, so one core. Measured for online updates (no CQL) and for \
            Cal-QL warm-start steps (10 uniform and 10 policy actions per state). Allocations are \
            counted by the malloc interposer over --allocation-updates updates after the timed ones.
            """)

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Timed online updates.") var updates = 40
    @Option(help: "Timed warm-start (CQL) steps.") var warmStartSteps = 8
    @Option(help: "Untimed updates first.") var warmup = 3
    @Option(help: "Updates over which allocations are counted.") var allocationUpdates = 10

    struct Results: Encodable {
        var openblas: String
        var openblasThreads: Int
        var learner: LearnerResults
    }

    func validate() throws {
        guard updates >= 1, warmStartSteps >= 1, warmup >= 0, allocationUpdates >= 1 else {
            throw ValidationError("--updates, --warm-start-steps and --allocation-updates must be ≥ 1, --warmup ≥ 0")
        }
    }

    func run() throws {
        guard allocationCountingWorks() else {
            throw ValidationError("allocation counting is not active (malloc interposer not linked ahead of libc)")
        }
        let learner = try benchLearner(
            updates: updates, warmStartSteps: warmStartSteps, warmup: warmup, allocationUpdates: allocationUpdates)
        try printReport("learner", Results(openblas: BLASLibrary.configuration, openblasThreads: BLASLibrary.threadCount, learner: learner), json: json)
    }
}

struct LearnerResults: Codable {
    struct Case: Codable {
        /// Milliseconds per update (each: 2 critic steps + 1 actor step).
        var millis: Percentiles
        var updatesPerSecond: Double
        var criticStepsPerSecond: Double
        var allocationsPerUpdate: Double
    }
    var architecture: String
    var parameters: Int
    var batchSize: Int
    var criticActorRatio: Int
    var online: Case
    var warmStartCQL: Case
    /// Losses of the last measured update (a sanity check that the numbers are finite).
    var finalCriticLoss: Float
    var finalActorLoss: Float
}

func benchLearner(updates: Int, warmStartSteps: Int, warmup: Int, allocationUpdates: Int) throws -> LearnerResults {
    let state = 23, action = 7
    var configuration = SACConfiguration(inputDimensions: state + action, actionDimensions: action)
    configuration.offlineCapacity = 20_000
    configuration.onlineCapacity = 20_000
    configuration.seed = 1
    let learner = try SACLearner(configuration: configuration, normalizer: .identity(dimensions: state + action))
    var random = LearnerRandom(seed: 2)
    func values(_ n: Int, _ scale: Double) -> [Float] { (0..<n).map { _ in Float((2 * random.nextUnit() - 1) * scale) } }
    for buffer in [learner.offline, learner.online] {
        for _ in 0..<10_000 {
            buffer.append(input: values(state + action, 1), action: values(action, 0.99), reward: values(1, 1)[0],
                          nextInput: values(state + action, 1), done: random.nextUnit() < 0.02, monteCarloReturn: values(1, 5)[0])
        }
    }

    func measure(count: Int, _ body: () -> Void) -> LearnerResults.Case {
        for _ in 0..<warmup { body() }
        let timing = timeEach(iterations: count, warmup: 0, body)
        let allocations = allocationsPerCall(iterations: allocationUpdates, body)
        let perSecond = 1e9 / timing.mean
        return .init(millis: timing.scaled(by: 1e-6), updatesPerSecond: perSecond,
                     criticStepsPerSecond: perSecond * Double(configuration.criticActorRatio), allocationsPerUpdate: allocations)
    }
    var last: SACUpdateStatistics?
    let warm = measure(count: warmStartSteps) { last = learner.warmStart(steps: 1) }
    let online = measure(count: updates) { last = learner.update() }
    let hidden = configuration.hidden
    func mlpParameters(_ inputs: Int, _ outputs: Int) -> Int {
        var total = 0, width = inputs
        for units in hidden { total += width * units + units + 2 * units; width = units }
        return total + width * outputs + outputs
    }
    return LearnerResults(
        architecture: "input 30 (23 state + 7 base action) → 3 × 256 Linear/LayerNorm/tanh; actor head μ, log σ (7 + 7); two critics on [x, u] (37) → 1, with targets",
        parameters: mlpParameters(state + action, 2 * action) + 2 * mlpParameters(state + 2 * action, 1),
        batchSize: configuration.batchSize, criticActorRatio: configuration.criticActorRatio,
        online: online, warmStartCQL: warm, finalCriticLoss: last?.criticLoss ?? .nan, finalActorLoss: last?.actorLoss ?? .nan)
}
