import COpenBLAS

/// The residual's inner loops, on raw pointers into storage the policy allocated at load time.
/// Nothing here allocates, locks or calls into anything but OpenBLAS — single-threaded (the
/// policy checks) and on its stack buffer (the blocking below) — and the CPU. Control thread.
///
/// Storage invariant shared with `ResidualPolicy`: matrices are row-major with a row stride
/// padded to a multiple of 8 doubles and their row count padded to a multiple of 4 with zero
/// rows; vectors are padded the same way and the padding is never written, so it stays 0.
enum ResidualKernels {
    typealias Vector4 = SIMD4<Double>

    /// y[0..<rows] = W x + b, hand-vectorised: four rows at a time, four columns per step, so
    /// every loaded x vector feeds four accumulators. Reads `columnsPadded` columns (the zero
    /// padding of W and x adds nothing) and writes only `rows` outputs.
    @inline(__always)
    static func gemvSIMD(
        _ w: UnsafePointer<Double>, rows: Int, rowsPadded: Int, columnsPadded: Int, stride: Int,
        _ x: UnsafePointer<Double>, bias: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>
    ) {
        let xRaw = UnsafeRawPointer(x)
        var row = 0
        while row < rowsPadded {
            let r0 = UnsafeRawPointer(w + row * stride)
            let r1 = r0 + stride * 8, r2 = r1 + stride * 8, r3 = r2 + stride * 8
            var a0 = Vector4(), a1 = Vector4(), a2 = Vector4(), a3 = Vector4()
            var offset = 0
            let end = columnsPadded * 8
            while offset < end {
                let xv = xRaw.loadUnaligned(fromByteOffset: offset, as: Vector4.self)
                a0 += r0.loadUnaligned(fromByteOffset: offset, as: Vector4.self) * xv
                a1 += r1.loadUnaligned(fromByteOffset: offset, as: Vector4.self) * xv
                a2 += r2.loadUnaligned(fromByteOffset: offset, as: Vector4.self) * xv
                a3 += r3.loadUnaligned(fromByteOffset: offset, as: Vector4.self) * xv
                offset += 32
            }
            if row < rows { y[row] = a0.sum() + bias[row] }
            if row + 1 < rows { y[row + 1] = a1.sum() + bias[row + 1] }
            if row + 2 < rows { y[row + 2] = a2.sum() + bias[row + 2] }
            if row + 3 < rows { y[row + 3] = a3.sum() + bias[row + 3] }
            row += 4
        }
    }

    /// Blocks `gemvBLAS` and `gemvBLASFloat` hand OpenBLAS: m + n ≤ 240 doubles (480 floats).
    ///
    /// Why: `cblas_?gemv` needs a work buffer of m + n + 128 bytes. OpenBLAS (Debian's 0.3.21,
    /// MAX_STACK_ALLOC = 2048 bytes) takes it from the stack only up to 2048 bytes; beyond that
    /// it calls `blas_memory_alloc`, which locks a process-wide pthread mutex that any other
    /// thread's BLAS calls (the learner's) contend for — a priority inversion on the control
    /// thread. Checked with gdb: a 256 × 256 `cblas_dgemv` reaches `blas_memory_alloc`, a
    /// 112 × 128 one does not. Cost of the blocking: about 1 µs per 3 × 256 forward pass.
    static let blasDoubleBlockColumns = 128
    static let blasDoubleBlockSum = 240
    static let blasFloatBlockColumns = 256
    static let blasFloatBlockSum = 480

    /// y[0..<rows] = W x + b through OpenBLAS `cblas_dgemv` (b copied into y, β = 1), in blocks
    /// that keep OpenBLAS on its stack buffer (see `blasDoubleBlockSum`).
    @inline(__always)
    static func gemvBLAS(
        _ w: UnsafePointer<Double>, rows: Int, columns: Int, stride: Int,
        _ x: UnsafePointer<Double>, bias: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>
    ) {
        y.update(from: bias, count: rows)
        let blockColumns = min(columns, blasDoubleBlockColumns)
        let blockRows = blasDoubleBlockSum - blockColumns
        var column = 0
        while column < columns {
            let n = min(blockColumns, columns - column)
            var row = 0
            while row < rows {
                let m = min(blockRows, rows - row)
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, w + row * stride + column, Int32(stride),
                            x + column, 1, 1, y + row, 1)
                row += m
            }
            column += n
        }
    }

    /// y[0..<rows] = W x + b with W and x in float32 through `cblas_sgemv` (half the memory
    /// traffic of double), blocked like `gemvBLAS`; x is rounded to float into `xFloat`, the
    /// product widened back to double and b added in double.
    @inline(__always)
    static func gemvBLASFloat(
        _ w: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int,
        _ x: UnsafePointer<Double>, xFloat: UnsafeMutablePointer<Float>, yFloat: UnsafeMutablePointer<Float>,
        bias: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>
    ) {
        for i in 0..<columns { xFloat[i] = Float(x[i]) }
        yFloat.update(repeating: 0, count: rows)
        let blockColumns = min(columns, blasFloatBlockColumns)
        let blockRows = blasFloatBlockSum - blockColumns
        var column = 0
        while column < columns {
            let n = min(blockColumns, columns - column)
            var row = 0
            while row < rows {
                let m = min(blockRows, rows - row)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, w + row * stride + column, Int32(stride),
                            xFloat + column, 1, 1, yFloat + row, 1)
                row += m
            }
            column += n
        }
        for i in 0..<rows { y[i] = Double(yFloat[i]) + bias[i] }
    }

    /// In-place LayerNorm over `count` values: (z − mean) / √(var + ε) · γ + β, biased variance
    /// (PyTorch's), two passes for accuracy.
    @inline(__always)
    static func layerNorm(
        _ z: UnsafeMutablePointer<Double>, count: Int, epsilon: Double,
        gamma: UnsafePointer<Double>, beta: UnsafePointer<Double>
    ) {
        var sum = 0.0
        for i in 0..<count { sum += z[i] }
        let mean = sum / Double(count)
        var squares = 0.0
        for i in 0..<count {
            let d = z[i] - mean
            squares += d * d
        }
        let scale = 1 / (squares / Double(count) + epsilon).squareRoot()
        for i in 0..<count { z[i] = (z[i] - mean) * scale * gamma[i] + beta[i] }
    }

    @inline(__always)
    static func relu(_ z: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count where !(z[i] > 0) { z[i] = z[i].isNaN ? z[i] : 0 }
    }

    /// In-place tanh over `count` values, four at a time with `tanh4`.
    @inline(__always)
    static func tanh(_ z: UnsafeMutablePointer<Double>, count: Int) {
        let raw = UnsafeMutableRawPointer(z)
        var i = 0
        while i + 4 <= count {
            raw.storeBytes(of: tanh4(raw.loadUnaligned(fromByteOffset: i * 8, as: Vector4.self)), toByteOffset: i * 8, as: Vector4.self)
            i += 4
        }
        if i < count {
            var tail = Vector4()
            for lane in 0..<(count - i) { tail[lane] = z[i + lane] }
            let out = tanh4(tail)
            for lane in 0..<(count - i) { z[i + lane] = out[lane] }
        }
    }

    /// tanh of four doubles: sign(x) · (1 − 2 / (e^{2|x|} + 1)), with e^y from Cody–Waite range
    /// reduction (y = k ln 2 + r, |r| ≤ ln 2 / 2), a degree-13 Taylor polynomial in Estrin form
    /// and 2^k assembled in the exponent bits. |x| is capped at 20 (tanh(20) rounds to 1).
    /// Absolute error ≤ 3e-16 against glibc's tanh (checked in the tests); NaN stays NaN.
    ///
    /// Why not `Foundation.tanh`: a glibc call costs about 35 ns here, 27 µs for the 768 hidden
    /// units of a 3 × 256 network; this costs about 6 ns per value in baseline-x86-64 vectors.
    @inline(__always)
    static func tanh4(_ x: Vector4) -> Vector4 {
        let magnitudeBits = unsafeBitCast(x, to: SIMD4<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF
        let signBits = unsafeBitCast(x, to: SIMD4<UInt64>.self) & 0x8000_0000_0000_0000
        let a = unsafeBitCast(magnitudeBits, to: Vector4.self)
        let y = 2 * a.replacing(with: 20, where: a .> 20)
        let k = ((y * 1.4426950408889634) + 0x1.8p52) - 0x1.8p52
        let r = (y - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
        let r2 = r * r
        let r4 = r2 * r2
        let p01 = 1 + r
        let p23 = 0.5 + r * (1.0 / 6)
        let p45 = 1.0 / 24 + r * (1.0 / 120)
        let p67 = 1.0 / 720 + r * (1.0 / 5040)
        let p89 = 1.0 / 40320 + r * (1.0 / 362880)
        let pab = 1.0 / 3628800 + r * (1.0 / 39916800)
        let pcd = 1.0 / 479001600 + r * (1.0 / 6227020800)
        let e = (p01 + r2 * p23) + r4 * ((p45 + r2 * p67) + r4 * ((p89 + r2 * pab) + r4 * pcd))
        let kBits = unsafeBitCast(k + 0x1.8p52, to: SIMD4<UInt64>.self)
        let twoToK = unsafeBitCast((kBits &+ 1023) &<< 52, to: Vector4.self)
        let t = 1 - 2 / (e * twoToK + 1)
        return unsafeBitCast(unsafeBitCast(t, to: SIMD4<UInt64>.self) | signBits, to: Vector4.self)
    }
}
