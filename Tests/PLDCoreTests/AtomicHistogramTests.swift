import Foundation
import PLDCore
import TestSupport
import Testing

@Suite struct AtomicHistogramTests {
    @Test func percentilesAreWithinOneBucketOfTheExactOnes() {
        let histogram = AtomicHistogram()
        var random = SeededRandom(seed: 9)
        var values: [UInt64] = []
        for _ in 0..<100_000 {
            // Log-uniform from 100 ns to 10 ms, like tick timings.
            let value = UInt64(100 * pow(1e5, Double.random(in: 0...1, using: &random)))
            values.append(value)
            histogram.record(value)
        }
        values.sort()
        #expect(histogram.count == 100_000)
        for q in [0.5, 0.9, 0.99, 0.999] {
            let exact = Double(values[Int(Double(values.count) * q) - 1])
            let reported = Double(histogram.percentile(q))
            #expect(reported >= exact * 0.999 && reported <= exact * 1.13, "q \(q): exact \(exact), reported \(reported)")
        }
        #expect(histogram.max == values.last)
        #expect(histogram.percentile(1) == values.last)
        histogram.reset()
        #expect(histogram.count == 0 && histogram.percentile(0.5) == 0)
    }

    @Test func smallValuesAreExact() {
        let histogram = AtomicHistogram()
        for v: UInt64 in [0, 1, 2, 3, 7, 8, 9, 15] { histogram.record(v) }
        #expect(histogram.percentile(0.5) == 3)  // rank 4 of 8
        #expect(histogram.max == 15)
    }
}
