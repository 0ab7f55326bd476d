import Foundation
import PLDCore
import Runtime
import Synchronization
import Testing

@Suite(.serialized) struct ControlLoopTests {
    @Test func runsAtItsRateAndMeasuresJitterAndCompute() {
        let loop = ControlLoop(periodNanos: 1_000_000)
        let indices = Mutex<[UInt64]>([])
        loop.start { timing in
            indices.withLock { $0.append(timing.index) }  // test only: the real tick never locks
            return timing.index < 499
        }
        loop.join()
        let seen = indices.withLock { $0 }
        #expect(seen.count + Int(loop.misses) >= 400)
        #expect(seen.first == 0)
        #expect(loop.jitter.count == loop.ticks)
        #expect(loop.jitter.percentile(0.5) < 2_000_000, "median wake-up jitter \(loop.jitter.percentile(0.5)) ns")
        #expect(loop.compute.count == loop.ticks)
    }

    @Test func aLateTickIsOneMissAndTheScheduleSkipsAheadInsteadOfBursting() {
        let loop = ControlLoop(periodNanos: 2_000_000)
        let wakes = Mutex<[UInt64]>([])
        loop.start { timing in
            wakes.withLock { $0.append(timing.wakeNanos) }
            if timing.index == 5 { usleep(7_000) }  // 3.5 periods late
            return wakes.withLock { $0.count } < 12
        }
        loop.join()
        #expect(loop.misses >= 1)
        let w = wakes.withLock { $0 }
        // After the late tick the next wake-ups are a period apart again, not back-to-back.
        let gaps = zip(w.dropFirst(7), w.dropFirst(8)).map { Double($1 - $0) / 1e6 }
        #expect(gaps.allSatisfy { $0 > 1.0 }, "gaps after the miss: \(gaps) ms")
    }

    @Test func refusedRealtimeRequestsBecomeWarningsNotFailures() {
        var options = RealtimeOptions()
        options.schedFIFO = true
        options.priority = 99
        options.cpuAffinity = [0]
        let loop = ControlLoop(periodNanos: 1_000_000, options: options)
        loop.start { $0.index < 10 }
        loop.join()
        // Ten periods passed: as ticks, or as deadlines missed and skipped (a loaded machine).
        #expect(loop.ticks + loop.misses >= 10)
        // Granted or refused depends on the machine; a refusal must say what to do.
        for warning in loop.warnings { #expect(warning.contains("refused") || warning.contains("failed")) }
    }

    @Test func stopEndsTheLoopFromAnotherThread() {
        let loop = ControlLoop(periodNanos: 1_000_000)
        loop.start { _ in true }
        usleep(20_000)
        loop.stop()
        #expect(!loop.isRunning)
        #expect(loop.ticks > 5)
    }
}
