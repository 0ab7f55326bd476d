#if canImport(Glibc)
import Glibc
#endif
import MallocInterposerSwift

/// Monotonic nanoseconds (CLOCK_MONOTONIC).
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Percentiles of per-operation samples, in the unit the samples were taken in.
struct Percentiles: Codable {
    var count: Int
    var p50: Double
    var p99: Double
    var p999: Double
    var max: Double
    var mean: Double

    /// The same percentiles in another unit (e.g. 1e-3 for ns → µs).
    func scaled(by factor: Double) -> Percentiles {
        var copy = self
        copy.p50 *= factor
        copy.p99 *= factor
        copy.p999 *= factor
        copy.max *= factor
        copy.mean *= factor
        return copy
    }

    init(_ samples: [Double]) {
        precondition(!samples.isEmpty, "no samples")
        let sorted = samples.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.down)))] }
        count = sorted.count
        p50 = at(0.50)
        p99 = at(0.99)
        p999 = at(0.999)
        max = sorted.last!
        mean = sorted.reduce(0, +) / Double(sorted.count)
    }
}

/// Times `body` `iterations` times after `warmup` runs; returns per-call nanoseconds.
/// Each sample is one call, so percentiles show outliers rather than averaging them away.
func timeEach(iterations: Int, warmup: Int = 1000, _ body: () throws -> Void) rethrows -> Percentiles {
    for _ in 0..<warmup { try body() }
    var samples = [Double](repeating: 0, count: iterations)
    for i in 0..<iterations {
        let start = monotonicNanos()
        try body()
        samples[i] = Double(monotonicNanos() &- start)
    }
    return Percentiles(samples)
}

/// Heap allocations (malloc/calloc/realloc/posix_memalign calls) per call of `body`, measured
/// with ordo-one's malloc interposer over `iterations` calls after one warm-up call.
func allocationsPerCall(iterations: Int = 1000, _ body: () throws -> Void) rethrows -> Double {
    try body()
    MallocInterposerSwift.initialize()
    MallocInterposerSwift.hook()
    for _ in 0..<iterations { try body() }
    MallocInterposerSwift.unhook()
    return Double(MallocInterposerSwift.getStatistics().mallocCount) / Double(iterations)
}

/// Whether the interposer is really counting (it must be linked ahead of libc).
func allocationCountingWorks() -> Bool {
    let perCall = allocationsPerCall(iterations: 10) {
        let array = [Int](repeating: 1, count: Int.random(in: 100...200))
        precondition(array.count >= 100)
    }
    return perCall >= 1
}
