import Foundation

/// Simulated time for `pld sim`: wall time scaled by a speed factor K (`--speed K`).
///
/// Sim time starts at 0 when the clock is created and runs K times faster than the monotonic
/// wall clock (`ContinuousClock`), so it never jumps backwards. Every rate and timeout of the
/// simulated devices is stated in **sim seconds**, so a speed-up shrinks them all in wall time
/// together and the devices behave exactly as at K = 1, only sooner:
///
/// | device timer | sim seconds |
/// |---|---|
/// | deoxys NUC command poll (`policy_rate_hz`, 20 Hz) | 0.05 |
/// | deoxys arm state publisher (100 Hz) / gripper state (40 Hz) | 0.01 / 0.025 |
/// | deoxys watchdog (20 empty polls) | 1.0 at 20 Hz |
/// | deoxys process restart (`auto_arm.sh`) | 1.0 + configured delay |
/// | PLD arm driver state (100 Hz default), command and hold timeouts, restart | as configured |
/// | fault injection times (`@AT`) and durations | as given |
///
/// Threading: immutable and `Sendable`; read and sleep on it from any thread.
public final class SimClock: Sendable {
    /// How many sim seconds pass per wall second (K). 1 = real time.
    public let speed: Double
    private let origin: ContinuousClock.Instant
    /// CLOCK_REALTIME at creation, ns: the base of ``unixNanoseconds``.
    private let originUnixNanoseconds: Int64

    /// A clock at sim time 0 now, running `speed` times faster than wall time.
    /// - Precondition: `speed` is finite and > 0.
    public init(speed: Double = 1) {
        precondition(speed.isFinite && speed > 0, "sim speed must be a finite number > 0, got \(speed)")
        self.speed = speed
        origin = ContinuousClock.now
        originUnixNanoseconds = Int64(Date().timeIntervalSince1970 * 1e9)
    }

    /// Sim seconds since the clock was created. Monotonic.
    public var now: Double {
        Self.seconds(origin.duration(to: ContinuousClock.now)) * speed
    }

    /// A CLOCK_REALTIME-like timestamp in ns that advances at sim speed: the wall time when the
    /// clock was created plus the sim time elapsed since. What the simulated devices write into
    /// their `*_unix_ns` / sample-time fields (at K = 1 it is the real wall clock).
    public var unixNanoseconds: Int64 {
        originUnixNanoseconds + Int64((now * 1e9).rounded())
    }

    /// Wall seconds that `simSeconds` of sim time take.
    public func wallSeconds(forSimSeconds simSeconds: Double) -> Double { simSeconds / speed }

    /// Sim seconds that pass in `wallSeconds` of wall time.
    public func simSeconds(forWallSeconds wallSeconds: Double) -> Double { wallSeconds * speed }

    /// Blocks the calling thread until sim time reaches `deadline` (returns at once if it has).
    public func sleep(until deadline: Double) {
        let remaining = deadline - now
        if remaining > 0 { Self.sleepWall(seconds: remaining / speed) }
    }

    /// Blocks the calling thread for `simSeconds` of sim time.
    public func sleep(forSimSeconds simSeconds: Double) {
        sleep(until: now + simSeconds)
    }

    /// Sleeps until sim time reaches `deadline`, in wall slices of at most
    /// `maxWallSliceSeconds`, and gives up early as soon as `keepWaiting` returns false.
    /// This is how device loops wait while staying responsive to stop and kill requests.
    /// - Returns: true if the deadline was reached, false if `keepWaiting` ended the wait.
    @discardableResult
    public func sleep(until deadline: Double, maxWallSliceSeconds: Double = 0.005, while keepWaiting: () -> Bool) -> Bool {
        while true {
            guard keepWaiting() else { return false }
            let remainingWall = (deadline - now) / speed
            if remainingWall <= 0 { return true }
            Self.sleepWall(seconds: min(remainingWall, maxWallSliceSeconds))
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    static func sleepWall(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}

/// A fixed-rate schedule in sim time: the deadlines `start + n·period`, without bursts.
///
/// After an overrun (the thread woke later than one whole period past a deadline, e.g. on a
/// loaded machine) the schedule restarts from the late wake-up instead of firing the missed
/// deadlines back to back: like a device loop that sleeps one period after each iteration, it
/// never runs faster than its rate.
public struct SimTicker: Sendable {
    /// Period in sim seconds.
    public let periodSeconds: Double
    /// The next deadline, sim seconds.
    public private(set) var next: Double

    /// A schedule with period `periodSeconds` whose first deadline is `firstDeadline`.
    public init(periodSeconds: Double, firstDeadline: Double) {
        precondition(periodSeconds.isFinite && periodSeconds > 0, "period must be > 0")
        self.periodSeconds = periodSeconds
        next = firstDeadline
    }

    /// A schedule at `hz` starting at `firstDeadline`.
    public init(hz: Double, firstDeadline: Double) {
        self.init(periodSeconds: 1 / hz, firstDeadline: firstDeadline)
    }

    /// Whether the deadline has come at sim time `now`.
    public func isDue(_ now: Double) -> Bool { now >= next }

    /// Moves to the deadline after the one that just fired at sim time `now`.
    public mutating func advance(now: Double) {
        next += periodSeconds
        if next <= now { next = now + periodSeconds }
    }
}
