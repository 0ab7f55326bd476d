import Glibc

/// Wall-clock time, ns since 1970 (`CLOCK_REALTIME` through the vDSO: no system call, no
/// allocation, so the control thread may call it). For timestamps people read; durations use
/// the monotonic clock.
@inline(__always)
public func wallClockUnixNanos() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
