import Synchronization

/// A latency histogram the control thread records into and any other thread reads, without
/// locks or allocation: log-linear buckets (8 per power of two, ≈ 9 % resolution) from 1 ns to
/// ~68 s, each an atomic counter.
///
/// Contract: `record` is wait-free (two relaxed atomic adds and one compare-exchange loop for the
/// maximum); readers see counts that may lag by a few samples. Percentiles are bucket upper
/// bounds, so a reported p99 is never below the true one by more than one bucket.
public final class AtomicHistogram: @unchecked Sendable {
    // @unchecked: all mutable state is atomic.
    static let subBuckets = 8
    static let powers = 36
    static let bucketCount = powers * subBuckets
    private let buckets: UnsafeMutablePointer<Atomic<UInt64>>
    private let total = Atomic<UInt64>(0)
    private let sum = Atomic<UInt64>(0)
    private let maximum = Atomic<UInt64>(0)

    public init() {
        buckets = .allocate(capacity: Self.bucketCount)
        for i in 0..<Self.bucketCount { (buckets + i).initialize(to: Atomic(0)) }
    }

    deinit {
        buckets.deinitialize(count: Self.bucketCount)
        buckets.deallocate()
    }

    /// Records one value (nanoseconds, or any unit the caller keeps consistent).
    @inline(__always)
    public func record(_ value: UInt64) {
        buckets[Self.bucket(of: value)].add(1, ordering: .relaxed)
        total.add(1, ordering: .relaxed)
        sum.add(value, ordering: .relaxed)
        var current = maximum.load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = maximum.compareExchange(expected: current, desired: value, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }

    @inline(__always)
    static func bucket(of value: UInt64) -> Int {
        guard value >= UInt64(subBuckets) else { return Int(value) }
        let power = 63 - value.leadingZeroBitCount  // ≥ 3
        let sub = Int((value >> UInt64(power - 3)) & 7)
        return min(bucketCount - 1, (power - 2) * subBuckets + sub)
    }

    /// The largest value that falls into `bucket`.
    static func upperBound(of bucket: Int) -> UInt64 {
        guard bucket >= subBuckets else { return UInt64(bucket) }
        let power = bucket / subBuckets + 2
        let sub = UInt64(bucket % subBuckets)
        return ((8 + sub + 1) << UInt64(power - 3)) - 1
    }

    public var count: UInt64 { total.load(ordering: .relaxed) }
    public var max: UInt64 { maximum.load(ordering: .relaxed) }
    public var mean: Double {
        let n = count
        return n == 0 ? 0 : Double(sum.load(ordering: .relaxed)) / Double(n)
    }

    /// The value at quantile `q` (0…1): the upper bound of the bucket holding it, capped at the
    /// maximum seen. 0 when empty.
    public func percentile(_ q: Double) -> UInt64 {
        let n = count
        guard n > 0 else { return 0 }
        let rank = UInt64((Double(n) * q).rounded(.up))
        var seen: UInt64 = 0
        for i in 0..<Self.bucketCount {
            seen += buckets[i].load(ordering: .relaxed)
            if seen >= Swift.max(rank, 1) { return Swift.min(Self.upperBound(of: i), max) }
        }
        return max
    }

    /// Every non-empty bucket as (upper bound, count), ascending (for reports; allocates).
    public func nonEmptyBuckets() -> [(upperBound: UInt64, count: UInt64)] {
        var result: [(upperBound: UInt64, count: UInt64)] = []
        for i in 0..<Self.bucketCount {
            let n = buckets[i].load(ordering: .relaxed)
            if n > 0 { result.append((Self.upperBound(of: i), n)) }
        }
        return result
    }

    /// Clears all counts (not atomic with concurrent records; call between runs).
    public func reset() {
        for i in 0..<Self.bucketCount { buckets[i].store(0, ordering: .relaxed) }
        total.store(0, ordering: .relaxed)
        sum.store(0, ordering: .relaxed)
        maximum.store(0, ordering: .relaxed)
    }
}
