import Foundation
import PLDCore
import Safety
import Testing
import TestSupport

/// `SafetyChain.apply` runs on the control thread: in steady state it must not allocate.
///
/// By design it cannot: the action, the commands and the events live in inline storage
/// (`ActionVector`, `InlineArray`, `SafetyEventBuffer`); the chain's arrays (`arms`) are built
/// in `init` and only read; no stage creates an array, string, closure or existential.
///
/// `steadyStateApplyAllocatesNothing` checks it: it runs `AllocationProbe` alone in a second
/// copy of this test process (see `AllocationCounter` for why it must be alone), which counts
/// the Swift heap allocations of 2,000 ticks that drive every stage.
@Suite struct AllocationTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/exe"), "re-runs this test binary through /proc/self/exe"))
    func steadyStateApplyAllocatesNothing() throws {
        let me = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let probe = try ChildProcess(me, ["--testing-library", "swift-testing", "--filter", "AllocationProbe"],
                                     environment: [AllocationProbe.environmentKey: "1"])
        defer { probe.stop(graceMilliseconds: 10_000) }
        let line = try probe.waitForLine(prefix: "ALLOCATIONS ", timeoutMilliseconds: 120_000)
        var fields: [String: Int] = [:]
        for pair in line.dropFirst("ALLOCATIONS ".count).split(separator: " ") {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { fields[String(parts[0])] = Int(parts[1]) }
        }
        #expect(fields["control"].map { $0 >= 1 } == true, "the counter sees an array being created: \(line)")
        #expect(fields["apply"] == 0, "SafetyChain.apply allocated: \(line)")
        #expect(fields["events"].map { $0 > 10_000 } == true, "the measured ticks intervened: \(line)")
    }
}

/// The measurement itself; runs only in the process `steadyStateApplyAllocatesNothing` starts.
@Suite struct AllocationProbe {
    static let environmentKey = "PLD_SAFETY_ALLOCATION_PROBE"

    @Test(.enabled(if: ProcessInfo.processInfo.environment[environmentKey] != nil, "runs in its own process"))
    func countAllocationsOfSteadyStateApply() throws {
        try #require(AllocationCounter.isAvailable)
        let control = AllocationCounter.measure {
            let array = [Double](repeating: 1, count: Int.random(in: 64...128))
            precondition(array.count >= 64)
        }

        let chain = try SafetyPropertyTests.chain()
        let states = [armState(Array(repeating: 0, count: 7), ee: SIMD3(0.79, 0.29, 0.3), link: .franka),
                      armState([0, 0.5]), armState([0, 1, 1, 0, 0, 0])]
        // Every stage intervenes on some tick: huge ee deltas at the box's corner, planar
        // targets leaving the box (FK and bisection), YAM joints far away and past a limit,
        // grippers out of range, and a NaN tick.
        var actions: [ActionVector] = []
        for i in 0..<8 {
            var a = ActionVector(count: chain.actionDimension)
            a[0] = 50
            a[1] = Double(i) - 3
            a[5] = 0.3
            a[6] = -2
            a[7] = 0.1 * Double(i)
            a[8] = 0.5
            a[9] = 1.5
            a[10] = 9
            a[11] = -1
            a[16] = -0.5
            if i == 5 { a[3] = .nan }
            actions.append(a)
        }
        var previous = chain.apply(actions[0], states: states, previous: chain.holding, periodS: 0.05)  // warm-up
        var events = 0
        let apply = AllocationCounter.measure {
            for tick in 0..<2_000 {
                previous = chain.apply(actions[tick % actions.count], states: states, previous: previous, periodS: 0.05)
                events += previous.events.totalCount
            }
        }
        print("ALLOCATIONS control=\(control) apply=\(apply) events=\(events)")
    }
}
