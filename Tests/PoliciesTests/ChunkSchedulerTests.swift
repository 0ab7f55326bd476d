import Foundation
import PLDCore
import Policies
import Testing

/// Chunks whose action i, dimension d, is `base + i + d / 10` (or a constant), so every played
/// value says where it came from.
func makeChunk(tick: UInt64, steps: Int = 10, dims: Int = 2, base: Double? = nil, constant: Double? = nil, nanos: UInt64? = nil) -> BaseChunk {
    var chunk = BaseChunk(steps: steps, dimensions: dims, observationTick: tick, observationNanos: nanos ?? tick * 10_000_000)
    for i in 0..<steps {
        for d in 0..<dims { chunk[i, d] = constant ?? ((base ?? Double(tick) * 100) + Double(i) + Double(d) / 10) }
    }
    return chunk
}

/// Tick k happens at k × 10 ms.
func at(_ tick: UInt64) -> UInt64 { tick * 10_000_000 }

@Suite struct ChunkSchedulerTests {
    static func scheduler(
        executeSteps: Int? = nil, threshold: Int = 2, maxAgeMs: UInt64 = 1_000, ensembling: Bool = false,
        decayK: Double = 0.01, timeoutTicks: Int = 20, capacity: Int = 8
    ) -> ChunkScheduler {
        ChunkScheduler(.init(
            actionDimensions: 2, executeSteps: executeSteps, refillThresholdSteps: threshold,
            maxChunkAgeNanos: maxAgeMs * 1_000_000, ensembling: ensembling, decayK: decayK,
            requestTimeoutTicks: timeoutTicks, capacity: capacity))
    }

    @Test func playsActionForItsTickAndDropsLateOnes() {
        let s = Self.scheduler()
        s.reset(now: 0)
        // Observed at tick 0, arrives during tick 3: actions 0, 1, 2 are late.
        #expect(s.accept(makeChunk(tick: 0), tick: 3) == .accepted(lateActions: 3))
        #expect(s.counters.actionsDroppedLate == 3)
        for tick in UInt64(3)..<6 {
            let d = s.next(tick: tick, now: at(tick))
            #expect(d.stall == nil)
            #expect(d.action[0] == Double(tick) && d.action[1] == Double(tick) + 0.1, "tick \(tick) plays action \(tick)")
            #expect(d.remainingSteps == 10 - Int(tick) - 1)
        }
        // A chunk entirely in the past is counted late and not stored.
        #expect(s.accept(makeChunk(tick: 0, steps: 4), tick: 6) == .late)
        #expect(s.counters.chunksLate == 1 && s.counters.actionsDroppedLate == 3 + 4)
        #expect(s.counters.actionsPlayed == 3)
    }

    @Test func refillThresholdTriggersExactlyOneRequest() {
        let s = Self.scheduler(threshold: 3, timeoutTicks: 50)
        s.reset(now: 0)
        s.accept(makeChunk(tick: 0), tick: 0)  // ticks 0…9
        var requestTicks: [UInt64] = []
        for tick in UInt64(0)..<10 {
            if s.next(tick: tick, now: at(tick)).shouldRequest { requestTicks.append(tick) }
        }
        // After tick 6 three actions (7, 8, 9) remain: one request, then none while it is out.
        #expect(requestTicks == [6])
        #expect(s.requestOutstanding && s.requestTick == 6 && s.counters.requests == 1)
        // The reply (observed at tick 6) arrives at tick 9 and answers it.
        s.accept(makeChunk(tick: 6), tick: 9)
        #expect(!s.requestOutstanding)
    }

    @Test func lostReplyTimesOutAndRequestsAgain() {
        let s = Self.scheduler(threshold: 0, timeoutTicks: 5)
        s.reset(now: 0)
        let first = s.next(tick: 0, now: at(0))
        #expect(first.stall == .noChunk && first.shouldRequest)
        var requests: [UInt64] = [0]
        for tick in UInt64(1)..<12 where s.next(tick: tick, now: at(tick)).shouldRequest { requests.append(tick) }
        #expect(requests == [0, 5, 10])
        #expect(s.counters.requestTimeouts == 2)
        // A queue that refused the request: cancel, and the next tick asks again.
        s.cancelRequest()
        #expect(s.next(tick: 12, now: at(12)).shouldRequest)
    }

    @Test func stallsWithoutChunkWhenTooOldAndRecovers() {
        let s = Self.scheduler(threshold: 1, maxAgeMs: 50)
        s.reset(now: 0)
        #expect(s.next(tick: 0, now: at(0)).stall == .noChunk)
        #expect(s.next(tick: 1, now: at(1)).stall == .noChunk)
        // A chunk observed at tick 1, arriving at tick 2: fresh (10 ms old).
        s.accept(makeChunk(tick: 1, steps: 8), tick: 2)
        #expect(s.next(tick: 2, now: at(2)).action[0] == 101)
        // Time jumps: the chunk is 60 ms old at tick 7 (> 50 ms): stall, even though it covers tick 7.
        let stale = s.next(tick: 7, now: at(7))
        #expect(stale.stall == .tooOld)
        #expect(stale.shouldRequest, "nothing fresh left: ask for a new chunk (the tick-0 request was answered at tick 2)")
        // Past its window (ticks 1…8): exhausted.
        #expect(s.next(tick: 9, now: at(9)).stall == .exhausted)
        // Recovery: a fresh chunk.
        s.accept(makeChunk(tick: 9), tick: 10)
        let recovered = s.next(tick: 10, now: at(10))
        #expect(recovered.stall == nil && recovered.action[0] == 901)
        #expect(s.counters.stallsNoChunk == 2 && s.counters.stallsTooOld == 1 && s.counters.stallsExhausted == 1)
        #expect(s.counters[.tooOld] == 1 && s.counters.stalls == 4)
    }

    /// execute_steps = 4: only actions 0…3 of a chunk play; a newer chunk takes over as soon as
    /// it arrives; without one the tick stalls although the chunk holds 10 actions.
    @Test func executeStepsLimitsEachChunkAndSwitchesToTheNewest() {
        let s = Self.scheduler(executeSteps: 4, threshold: 1)
        s.reset(now: 0)
        s.accept(makeChunk(tick: 0), tick: 0)
        var played: [Double] = []
        var requestedAt: UInt64?
        for tick in UInt64(0)..<3 {
            let d = s.next(tick: tick, now: at(tick))
            played.append(d.action[0])
            if d.shouldRequest { requestedAt = tick }
        }
        #expect(played == [0, 1, 2])
        #expect(requestedAt == 2, "remaining after tick 2 is 1 (tick 3) ≤ threshold 1")
        // The reply, observed at tick 2, arrives during tick 3: its action 0 is late, action 1 plays.
        s.accept(makeChunk(tick: 2), tick: 3)
        for tick in UInt64(3)..<6 { played.append(s.next(tick: tick, now: at(tick)).action[0]) }
        #expect(played == [0, 1, 2, 201, 202, 203])
        // Chunk 2's window is ticks 2…5: tick 6 stalls (chunk 0 holds actions up to 9, unplayed).
        #expect(s.next(tick: 6, now: at(6)).stall == .exhausted)

        // Without execute_steps the same first chunk plays to its end.
        let whole = Self.scheduler(threshold: 0)
        whole.reset(now: 0)
        whole.accept(makeChunk(tick: 0), tick: 0)
        #expect((UInt64(0)..<10).map { whole.next(tick: $0, now: at($0)).action[0] } == (0..<10).map(Double.init))
    }

    /// Three chunks cover tick 5 (observed at 0, 2, 4; constant actions 1, 2, 4), k = 0.5:
    /// a = (1·1 + e^−0.5·2 + e^−1·4) / (1 + e^−0.5 + e^−1) = 1.8661670553960412 (oldest weighs most).
    @Test func ensemblingAveragesOverlappingChunksWithExponentialWeights() {
        let s = Self.scheduler(threshold: 0, ensembling: true, decayK: 0.5)
        s.reset(now: 0)
        s.accept(makeChunk(tick: 4, constant: 4), tick: 5)  // arrival order differs from age order
        s.accept(makeChunk(tick: 0, constant: 1), tick: 5)
        s.accept(makeChunk(tick: 2, constant: 2), tick: 5)
        let d = s.next(tick: 5, now: at(5))
        #expect(d.contributingChunks == 3 && d.chunkObservationTick == 4)
        #expect(abs(d.action[0] - 1.8661670553960412) < 1e-12 && abs(d.action[1] - 1.8661670553960412) < 1e-12)
        #expect(s.counters.ensembledTicks == 1)
        // At tick 10 only chunks 2 and 4 remain (chunk 0 covers 0…9): (2 + e^−0.5·4) / (1 + e^−0.5).
        let later = s.next(tick: 10, now: at(10))
        #expect(later.contributingChunks == 2)
        let w: Double = exp(-0.5)
        let expected: Double = (2 + w * 4) / (1 + w)
        #expect(abs(later.action[0] - expected) < 1e-12)
        // Without ensembling the newest chunk alone plays.
        let plain = Self.scheduler(threshold: 0)
        plain.reset(now: 0)
        plain.accept(makeChunk(tick: 0, constant: 1), tick: 5)
        plain.accept(makeChunk(tick: 4, constant: 4), tick: 5)
        plain.accept(makeChunk(tick: 2, constant: 2), tick: 5)
        #expect(plain.next(tick: 5, now: at(5)).action[0] == 4)
    }

    @Test func resetForgetsChunksAndRefusesRepliesFromBeforeIt() {
        let s = Self.scheduler(threshold: 2)
        s.reset(now: 0)
        s.accept(makeChunk(tick: 0), tick: 0)
        _ = s.next(tick: 0, now: at(0))
        s.accept(makeChunk(tick: 0, base: 50), tick: 1)  // a second chunk, never played before reset
        s.reset(now: at(100))
        #expect(s.chunkCount == 0 && !s.requestOutstanding)
        #expect(s.counters.chunksDroppedUnplayed == 1, "the second chunk never played")
        #expect(s.next(tick: 100, now: at(100)).stall == .noChunk)
        // A reply to an old request (observed before the reset) is refused.
        #expect(s.accept(makeChunk(tick: 50), tick: 101) == .rejectedBeforeReset)
        // Fresh chunks after the reset play.
        s.accept(makeChunk(tick: 101), tick: 101)
        #expect(s.next(tick: 101, now: at(101)).action[0] == 10_100)
    }

    @Test func refusesWrongWidthAndFutureChunksAndEvictsOldestWhenFull() {
        let s = Self.scheduler(threshold: 0, capacity: 2)
        s.reset(now: 0)
        #expect(s.accept(makeChunk(tick: 0, dims: 3), tick: 0) == .rejectedDimensions)
        #expect(s.accept(makeChunk(tick: 5), tick: 4) == .rejectedFutureTick)
        s.accept(makeChunk(tick: 0), tick: 1)
        s.accept(makeChunk(tick: 1), tick: 1)
        s.accept(makeChunk(tick: 2), tick: 2)  // evicts tick 0's chunk, never played
        #expect(s.counters.chunksRejected == 2 && s.counters.chunksDroppedUnplayed == 1 && s.chunkCount == 2)
        #expect(s.next(tick: 2, now: at(2)).action[0] == 200)
    }

    @Test func settingsFromChunkConfig() {
        var config = ChunkConfig()
        config.executeSteps = 8
        config.refillThresholdSteps = 3
        config.maxChunkAgeS = 0.25
        config.ensembling.enabled = true
        config.ensembling.decayK = 0.1
        let settings = ChunkScheduler.Settings(config: config, actionDimensions: 7, requestTimeoutTicks: 30)
        #expect(settings == ChunkScheduler.Settings(
            actionDimensions: 7, executeSteps: 8, refillThresholdSteps: 3, maxChunkAgeNanos: 250_000_000,
            ensembling: true, decayK: 0.1, requestTimeoutTicks: 30, capacity: 8))
    }
}
