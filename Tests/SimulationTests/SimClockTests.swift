import Foundation
import Simulation
import Testing

@Suite("SimClock", .timeLimit(.minutes(1)))
struct SimClockTests {
    /// Wall seconds `body` takes.
    func wallSeconds(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let (seconds, attoseconds) = start.duration(to: .now).components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    @Test func sleepsAtSpeedTenTakeATenthOfTheWallTime() {
        let clock = SimClock(speed: 10)
        let wall = wallSeconds { clock.sleep(forSimSeconds: 1.0) }
        #expect(wall >= 0.095 && wall < 0.4, "1 s of sim time took \(wall) s of wall time")
        #expect(clock.now >= 1.0)
    }

    @Test func tickerTimersFireTenTimesSoonerInWallTime() {
        let clock = SimClock(speed: 10)
        var ticker = SimTicker(hz: 20, firstDeadline: clock.now + 0.05)
        var fired = 0
        let wall = wallSeconds {
            while fired < 20 {
                clock.sleep(until: ticker.next)
                fired += 1
                ticker.advance(now: clock.now)
            }
        }
        // 20 ticks at 20 Hz = 1 s of sim time = 0.1 s of wall time.
        #expect(wall >= 0.095 && wall < 0.4, "20 ticks at 20 Hz (sim) took \(wall) s of wall time")
    }

    @Test func simTimeRunsSpeedTimesFasterThanWallTimeAndIsMonotonic() {
        let clock = SimClock(speed: 20)
        let wallStart = ContinuousClock.now
        var previous = clock.now
        for _ in 0..<1_000 {
            let now = clock.now
            #expect(now >= previous)
            previous = now
        }
        usleep(50_000)
        let (seconds, attoseconds) = wallStart.duration(to: .now).components
        let wall = Double(seconds) + Double(attoseconds) * 1e-18
        let sim = clock.now
        #expect(abs(sim - 20 * wall) < 0.05, "sim \(sim) s vs 20 × wall \(wall) s")
        #expect(clock.wallSeconds(forSimSeconds: 1) == 0.05)
        #expect(clock.simSeconds(forWallSeconds: 1) == 20)
    }

    @Test func interruptibleSleepGivesUpWhenAskedTo() {
        let clock = SimClock(speed: 1)
        var checks = 0
        let reached = clock.sleep(until: 10, while: {
            checks += 1
            return checks < 3
        })
        #expect(!reached)
        #expect(clock.now < 1)
    }

    @Test func tickerSkipsMissedDeadlinesInsteadOfBursting() {
        var ticker = SimTicker(periodSeconds: 0.1, firstDeadline: 1.0)
        ticker.advance(now: 1.05)
        #expect(abs(ticker.next - 1.1) < 1e-12)
        ticker.advance(now: 1.75)  // woke 0.65 s late
        #expect(abs(ticker.next - 1.85) < 1e-12)
    }

    @Test func unixTimeAdvancesAtSimSpeed() {
        let clock = SimClock(speed: 10)
        let a = clock.unixNanoseconds
        clock.sleep(forSimSeconds: 0.5)
        let b = clock.unixNanoseconds
        #expect(b - a >= 500_000_000)
        #expect(abs(Double(a) / 1e9 - Date().timeIntervalSince1970) < 5)
    }
}
