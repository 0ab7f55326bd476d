#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clocks the drivers read. Neither call allocates.
public enum DriverClock {
    /// `CLOCK_MONOTONIC` in nanoseconds: the `now` every link and feed method takes. Never
    /// jumps; unrelated to wall time.
    @inline(__always)
    public static func monotonicNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// `CLOCK_REALTIME` in nanoseconds since the Unix epoch: the `*_unix_ns` stamps of the PLD
    /// protocols (`ArmCommand.sent_unix_ns`). Never used to measure an age across machines.
    @inline(__always)
    public static func unixNanos() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }
}

/// A configured duration in seconds, scaled by `timeScale` (1/K for a `--speed K` simulation),
/// as monotonic nanoseconds. Non-finite or negative inputs give 0.
@inline(__always)
func scaledNanos(_ seconds: Double, timeScale: Double) -> UInt64 {
    let nanos = seconds * timeScale * 1e9
    guard nanos.isFinite, nanos > 0 else { return 0 }
    return nanos >= 1.8e19 ? UInt64.max : UInt64(nanos)
}

/// `later − earlier`, or 0 when the clock handed in went backwards.
@inline(__always)
func elapsedNanos(since earlier: UInt64, to later: UInt64) -> UInt64 {
    later >= earlier ? later - earlier : 0
}

/// Milliseconds for a ZeroMQ poll timeout, rounded up, at least 1.
func pollMilliseconds(_ nanos: UInt64) -> Int {
    Int(min(nanos / 1_000_000 + 1, UInt64(Int32.max)))
}
