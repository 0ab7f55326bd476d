#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clocks the policy side reads (the same `CLOCK_MONOTONIC` the control thread stamps
/// `PolicyRequest.takenAtNanos` with). Neither call allocates.
public enum PolicyClock {
    @inline(__always)
    public static func monotonicNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    @inline(__always)
    public static func unixNanos() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }

    /// `seconds` from now as a monotonic deadline (non-finite or negative = now).
    static func deadline(afterSeconds seconds: Double) -> UInt64 {
        let now = monotonicNanos()
        guard seconds.isFinite, seconds > 0 else { return now }
        return now &+ UInt64(min(seconds, 1e6) * 1e9)
    }

    static func milliseconds(since startNanos: UInt64) -> Double {
        Double(monotonicNanos() &- startNanos) / 1e6
    }
}
