import ArgumentParser
import Foundation
import PLDCore
import Policies

/// `pld bench residual`: the residual MLP and the chunk scheduler on the control thread's path.
struct Residual: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Residual MLP inference (BLAS vs SIMD) and chunk-scheduler costs; microseconds and allocations per call.",
        discussion: """
            The PLD actor: [32 state features, 7-D base action] → 3 × 256 (Linear → LayerNorm → \
            tanh) → μ, a_δ = ξ·tanh(μ [+ σε]), weights exactly representable in float32 as from \
            an F32 file. Each backend (BLAS double, SIMD double, BLAS float32) in mean mode (evaluation) and sample mode (σ from a log-std \
            head), with hot caches, and the default backend once more after a 48 MB sweep \
            evicts the weights from L2 and L3 (a control tick at 10–100 Hz rarely finds them hot). \
            Then ChunkScheduler.next and .accept with 50-step chunks. The target is p99 ≤ 20 µs \
            for the default backend, hot, in a release build.
            """)

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Timed calls per hot case.") var iterations = 20_000
    @Option(help: "Untimed calls before each hot case.") var warmup = 2_000
    @Option(help: "Calls per allocation count.") var allocationIterations = 2_000
    @Option(help: "Timed calls after a cache sweep.") var coldIterations = 300

    struct Results: Encodable {
        var openblas: String
        var openblasThreads: Int
        var residual: ResidualResults
        var scheduler: SchedulerResults
    }

    func run() throws {
        guard allocationCountingWorks() else {
            throw ValidationError("allocation counting is not active (malloc interposer not linked ahead of libc)")
        }
        BLASLibrary.setThreadCount(1)
        let counts = BenchCounts(iterations: iterations, warmup: warmup, allocationIterations: allocationIterations)
        let residual = benchResidual(counts, coldIterations: coldIterations)
        let scheduler = benchScheduler(counts)
        let results = Results(
            openblas: BLASLibrary.configuration, openblasThreads: BLASLibrary.threadCount, residual: residual, scheduler: scheduler)
        try printReport("residual", results, json: json)
    }
}

struct BenchCounts {
    var iterations: Int
    var warmup: Int
    var allocationIterations: Int
}

struct ResidualResults: Codable {
    struct Case: Codable {
        var micros: Percentiles
        var allocationsPerCall: Double
    }
    var architecture: String
    var parameters: Int
    var defaultBackend: String
    var targetP99Micros: Double
    var defaultMeetsTarget: Bool
    var blasMean: Case
    var simdMean: Case
    var blasFloat32Mean: Case
    var blasSample: Case
    var simdSample: Case
    var blasFloat32Sample: Case
    var defaultMeanAfterCacheSweep: Case
    /// Largest |a_δ(BLAS) − a_δ(SIMD)| over 64 inputs (they must agree within 1e-9).
    var maxBlasSimdDifference: Double
    /// Largest |a_δ(BLAS float32) − a_δ(BLAS)| over the same inputs.
    var maxFloat32Difference: Double
}

struct SchedulerResults: Codable {
    var nextMicros: Percentiles
    var nextAllocationsPerCall: Double
    var acceptMicros: Percentiles
    var acceptAllocationsPerCall: Double
    var nextEnsembledMicros: Percentiles
    var nextEnsembledAllocationsPerCall: Double
}

/// The PLD actor with random weights (float32-exact, like an F32 export).
func benchNetwork(state: Int, action: Int) -> ResidualNetwork {
    let arch = ResidualArchitecture(stateDimensions: state, actionDimensions: action, hidden: [256, 256, 256], logStd: .head)
    var network = ResidualNetwork.zeroInitialized(arch, seed: 1)
    var random = SeededGenerator(seed: 2)
    func uniform(_ n: Int, _ bound: Double) -> [Double] {
        (0..<n).map { _ in Double(Float((2 * random.nextUnitInterval() - 1) * bound)) }
    }
    network.architecture.logStd = .head
    network.muWeight = uniform(action * 256, 0.1)
    network.muBias = uniform(action, 0.1)
    network.logStdHeadWeight = uniform(action * 256, 0.05)
    network.logStdHeadBias = uniform(action, 0.2).map { $0 - 1 }
    for i in network.layers.indices {
        network.layers[i].weight = network.layers[i].weight.map { Double(Float($0)) }
        network.layers[i].bias = network.layers[i].bias.map { Double(Float($0)) }
        network.layers[i].normWeight = uniform(256, 0.3).map { $0 + 1 }
        network.layers[i].normBias = uniform(256, 0.1)
    }
    network.observationStd = uniform(state + action, 0.5).map { $0 + 1 }
    return network
}

func benchResidual(_ counts: BenchCounts, coldIterations: Int) -> ResidualResults {
    let state = 32, action = 7
    let network = benchNetwork(state: state, action: action)
    var random = SeededGenerator(seed: 3)
    let inputs = (0..<64).map { _ in (0..<state).map { _ in 2 * random.nextUnitInterval() - 1 } }
    var bases = [ActionVector]()
    for _ in 0..<64 {
        var base = ActionVector(count: action)
        for d in 0..<action { base[d] = 2 * random.nextUnitInterval() - 1 }
        bases.append(base)
    }
    var out = ActionVector(count: 0)
    var sink = 0.0
    var k = 0

    func measure(_ policy: ResidualPolicy) -> ResidualResults.Case {
        let body = {
            let features = inputs[k & 63]
            policy.act(features: features.span, baseAction: bases[k & 63], into: &out)
            sink += out[0]
            k &+= 1
        }
        let timing = timeEach(iterations: counts.iterations, warmup: counts.warmup, body)
        return .init(micros: timing.scaled(by: 1e-3), allocationsPerCall: allocationsPerCall(iterations: counts.allocationIterations, body))
    }

    let blasMean = ResidualPolicy(network: network, xi: 0.5, mode: .mean, backend: .blas)
    let simdMean = ResidualPolicy(network: network, xi: 0.5, mode: .mean, backend: .simd)
    let floatMean = ResidualPolicy(network: network, xi: 0.5, mode: .mean, backend: .blasFloat32)
    let blasSample = ResidualPolicy(network: network, xi: 0.5, mode: .sample, seed: 1, backend: .blas)
    let simdSample = ResidualPolicy(network: network, xi: 0.5, mode: .sample, seed: 1, backend: .simd)
    let floatSample = ResidualPolicy(network: network, xi: 0.5, mode: .sample, seed: 1, backend: .blasFloat32)
    let defaultMean = ResidualPolicy(network: network, xi: 0.5, mode: .mean)

    var maxDifference = 0.0, maxFloatDifference = 0.0
    var other = ActionVector(count: 0), third = ActionVector(count: 0)
    for i in 0..<64 {
        let features = inputs[i]
        blasMean.act(features: features.span, baseAction: bases[i], into: &out)
        simdMean.act(features: features.span, baseAction: bases[i], into: &other)
        floatMean.act(features: features.span, baseAction: bases[i], into: &third)
        for d in 0..<action {
            maxDifference = max(maxDifference, abs(out[d] - other[d]))
            maxFloatDifference = max(maxFloatDifference, abs(out[d] - third[d]))
        }
    }

    let hot = [blasMean, simdMean, floatMean, blasSample, simdSample, floatSample].map(measure)

    // After a sweep through 48 MB (more than L2 + L3), as a tick at 10–100 Hz finds memory.
    let sweep = UnsafeMutablePointer<UInt64>.allocate(capacity: 6 << 20)
    sweep.initialize(repeating: 1, count: 6 << 20)
    var samples = [Double](repeating: 0, count: coldIterations)
    var sweepSink: UInt64 = 0
    for i in 0..<coldIterations {
        for j in Swift.stride(from: 0, to: 6 << 20, by: 8) { sweepSink &+= sweep[j]; sweep[j] = sweepSink }
        let features = inputs[i & 63]
        let start = monotonicNanos()
        defaultMean.act(features: features.span, baseAction: bases[i & 63], into: &out)
        samples[i] = Double(monotonicNanos() &- start)
        sink += out[0]
    }
    sweep.deallocate()
    let cold = ResidualResults.Case(micros: Percentiles(samples).scaled(by: 1e-3), allocationsPerCall: 0)
    precondition(sink.isFinite && sweepSink != 42)

    let defaultHot = hot[ResidualBackend.allCases.firstIndex(of: .default)!]
    precondition(ResidualBackend.allCases == [.blas, .simd, .blasFloat32])
    return ResidualResults(
        architecture: "[32 state + 7 action] → 3 × 256 Linear/LayerNorm/tanh → μ (7) + log σ head",
        parameters: (39 * 256 + 256 * 3) + 2 * (256 * 256 + 256 * 3) + 2 * (7 * 256 + 7),
        defaultBackend: ResidualBackend.default.rawValue, targetP99Micros: 20,
        defaultMeetsTarget: defaultHot.micros.p99 <= 20,
        blasMean: hot[0], simdMean: hot[1], blasFloat32Mean: hot[2], blasSample: hot[3], simdSample: hot[4],
        blasFloat32Sample: hot[5], defaultMeanAfterCacheSweep: cold, maxBlasSimdDifference: maxDifference,
        maxFloat32Difference: maxFloatDifference)
}

func benchScheduler(_ counts: BenchCounts) -> SchedulerResults {
    func chunk(_ tick: UInt64) -> BaseChunk {
        var c = BaseChunk(steps: 50, dimensions: 7, observationTick: tick, observationNanos: tick * 20_000_000)
        for i in 0..<50 { for d in 0..<7 { c[i, d] = Double(i) * 0.01 + Double(d) } }
        return c
    }
    func run(ensembling: Bool) -> (Percentiles, Double, Percentiles, Double) {
        let scheduler = ChunkScheduler(.init(
            actionDimensions: 7, executeSteps: 25, refillThresholdSteps: 10, maxChunkAgeNanos: 1_000_000_000,
            ensembling: ensembling, decayK: 0.01, requestTimeoutTicks: 100, capacity: 8))
        scheduler.reset(now: 0)
        var tick: UInt64 = 1
        var sink = 0.0
        let template = chunk(0)
        var pending = template
        // One tick: every 5th tick a chunk observed 3 ticks ago arrives (overlapping windows).
        let step = {
            if tick % 5 == 0 {
                pending.observationTick = tick - 3
                pending.observationNanos = (tick - 3) * 20_000_000
                scheduler.accept(pending, tick: tick)
            }
            let decision = scheduler.next(tick: tick, now: tick * 20_000_000)
            sink += decision.action[0]
            tick += 1
        }
        let next = timeEach(iterations: counts.iterations, warmup: counts.warmup, step)
        let nextAllocations = allocationsPerCall(iterations: counts.allocationIterations, step)
        let accept = timeEach(iterations: counts.iterations, warmup: counts.warmup) {
            pending.observationTick = tick
            pending.observationNanos = tick * 20_000_000
            scheduler.accept(pending, tick: tick)
            tick += 1
        }
        let acceptAllocations = allocationsPerCall(iterations: counts.allocationIterations) {
            pending.observationTick = tick
            scheduler.accept(pending, tick: tick)
            tick += 1
        }
        precondition(sink.isFinite)
        return (next.scaled(by: 1e-3), nextAllocations, accept.scaled(by: 1e-3), acceptAllocations)
    }
    let plain = run(ensembling: false)
    let ensembled = run(ensembling: true)
    return SchedulerResults(
        nextMicros: plain.0, nextAllocationsPerCall: plain.1, acceptMicros: plain.2, acceptAllocationsPerCall: plain.3,
        nextEnsembledMicros: ensembled.0, nextEnsembledAllocationsPerCall: ensembled.1)
}
