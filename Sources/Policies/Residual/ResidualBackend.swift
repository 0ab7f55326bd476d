/// How the residual's matrix-vector products run. LayerNorm, activations and the output squash
/// run in double on every backend.
public enum ResidualBackend: String, Sendable, CaseIterable {
    /// OpenBLAS `cblas_dgemv`, double.
    case blas
    /// Hand-vectorised Swift (`SIMD4<Double>`, four rows per pass), double. Agrees with `blas`
    /// within 1e-9.
    case simd
    /// OpenBLAS `cblas_sgemv`: weights and layer inputs in float32 (the precision a PyTorch
    /// actor is trained and run in), accumulation in float32, everything else in double.
    /// Within 1e-5 of the double paths (and of numpy).
    case blasFloat32 = "blas_float32"

    /// `blasFloat32`, the fastest. Measured with `pld bench residual` at 3 × 256 with
    /// LayerNorm (AMD EPYC Zen 4, 2 cores, release build, hot caches), p50 / p99:
    /// `blasFloat32` ≈ 12 / 17 µs, `blas` ≈ 19 / 26 µs, `simd` ≈ 24 / 38 µs.
    /// All three are bound by moving the weights (1.1 MB in double, half in float) through
    /// L2/L3; OpenBLAS picks AVX-512 kernels for the CPU at run time, while Swift compiles for
    /// baseline x86-64 (SSE2: two doubles per instruction, no FMA) and the package may not
    /// raise the target CPU, so the SIMD path loses. Only float32 meets the 20 µs p99 budget
    /// here, and float32 is the precision the actor was trained in; it stays within 2e-7 of
    /// the double paths on the bench network. Use `blas` (or `simd`) where agreement with a
    /// double reference beyond 1e-5 matters.
    public static let `default` = ResidualBackend.blasFloat32

    var usesBLAS: Bool { self != .simd }
}
