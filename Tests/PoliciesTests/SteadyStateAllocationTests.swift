import Foundation
import TestSupport
import Testing

/// The control-thread calls allocate nothing in steady state. Counting mallocs needs the
/// interposer, which only `pld-bench` links, so this runs `pld-bench residual` (built next to
/// the tests) with few iterations and reads its per-call allocation counts: residual `act` on
/// every backend in both modes, `ChunkScheduler.next` (with and without ensembling, chunks
/// arriving) and `accept`. By design none of them creates an Array, String or class instance
/// per call: parameters and scratch live in buffers allocated at load, inputs arrive as `Span`,
/// outputs go into `ActionVector` (inline storage).
@Suite struct SteadyStateAllocationTests {
    @Test func actAndSchedulerAllocateNothingPerCall() throws {
        let bench = BuiltProducts.executable("pld-bench")
        try #require(FileManager.default.isExecutableFile(atPath: bench.path), "pld-bench not built at \(bench.path)")
        let result = try PythonPeer.run(
            bench, ["residual", "--iterations", "20", "--warmup", "20", "--allocation-iterations", "200", "--cold-iterations", "1"],
            timeoutSeconds: 600)
        try #require(result.status == 0, "pld-bench residual failed: \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let residual = try #require(json["residual"] as? [String: Any])
        for name in ["blasMean", "simdMean", "blasFloat32Mean", "blasSample", "simdSample", "blasFloat32Sample"] {
            let entry = try #require(residual[name] as? [String: Any], "no \(name) in the report")
            #expect(entry["allocationsPerCall"] as? Double == 0, "\(name): \(entry["allocationsPerCall"] ?? "missing") allocations per act")
        }
        #expect((residual["maxBlasSimdDifference"] as? Double ?? 1) < 1e-9)
        let scheduler = try #require(json["scheduler"] as? [String: Any])
        for name in ["nextAllocationsPerCall", "acceptAllocationsPerCall", "nextEnsembledAllocationsPerCall"] {
            #expect(scheduler[name] as? Double == 0, "scheduler \(name): \(scheduler[name] ?? "missing")")
        }
    }
}
