import COpenBLAS

/// Row-major float32 matrix products through OpenBLAS `cblas_sgemm`, the only BLAS routine the
/// learner uses. Every matrix is a dense [rows, columns] block with its row stride equal to its
/// column count (the layers never work on sub-blocks), so leading dimensions follow from shapes.
///
/// Thread: any thread, but OpenBLAS's thread count is process-wide; the learner sets it to 1
/// (`Matrix.useOneThread()`), which is also what the control thread's residual needs (it must
/// never wake OpenBLAS's pool). Large `sgemm` calls take OpenBLAS's internal buffer from
/// `blas_memory_alloc` (a pool filled once, then reused: no malloc per call after warm-up).
enum Matrix {
    /// C[m, n] = α · op(A) · op(B) + β · C, where op(A) is [m, k] and op(B) is [k, n].
    /// `transposeA`: A is stored [k, m]; `transposeB`: B is stored [n, k].
    @inline(__always)
    static func multiply(
        _ a: UnsafePointer<Float>, transposeA: Bool = false, _ b: UnsafePointer<Float>, transposeB: Bool = false,
        into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c, Int32(max(n, 1)))
    }

    /// Sets OpenBLAS to one thread for the whole process (see the type's comment).
    static func useOneThread() {
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
    }
}
