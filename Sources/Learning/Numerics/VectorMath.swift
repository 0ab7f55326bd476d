import Foundation

/// Float32 loops the layers and the optimiser run over whole buffers: reductions with eight
/// lanes and four accumulators (a scalar float sum is latency-bound and would not be
/// vectorised by the compiler, which may not reassociate), and a vectorised tanh.
///
/// Raw pointers in, no allocation, no state: callable from any thread on memory that thread owns.
enum VectorMath {
    typealias Lanes = SIMD8<Float>

    /// Σ x[i].
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var a0 = Lanes(), a1 = Lanes()
        var i = 0
        while i + 16 <= count {
            a0 += raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
            a1 += raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: Lanes.self)
            i += 16
        }
        var total = (a0 + a1).sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    /// Σ x[i] · y[i].
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        var a0 = Lanes(), a1 = Lanes()
        var i = 0
        while i + 16 <= count {
            a0 += rx.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self) * ry.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
            a1 += rx.loadUnaligned(fromByteOffset: i * 4 + 32, as: Lanes.self) * ry.loadUnaligned(fromByteOffset: i * 4 + 32, as: Lanes.self)
            i += 16
        }
        var total = (a0 + a1).sum()
        while i < count {
            total += x[i] * y[i]
            i += 1
        }
        return total
    }

    /// Σ x[i]², accumulated in double (the gradient norm over a whole network).
    static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let n = min(4096, count - start)
            total += Double(dot(x + start, x + start, count: n))
            start += n
        }
        return total
    }

    /// Σ (x[i] − center)².
    @inline(__always)
    static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, center: Float) -> Float {
        let raw = UnsafeRawPointer(x)
        let c = Lanes(repeating: center)
        var a0 = Lanes(), a1 = Lanes()
        var i = 0
        while i + 16 <= count {
            let d0 = raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self) - c
            let d1 = raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: Lanes.self) - c
            a0 += d0 * d0
            a1 += d1 * d1
            i += 16
        }
        var total = (a0 + a1).sum()
        while i < count {
            let d = x[i] - center
            total += d * d
            i += 1
        }
        return total
    }

    /// y[i] = tanh(x[i]) (in place allowed), vectorised; see `tanh8`.
    @inline(__always)
    static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 8 <= count {
            ry.storeBytes(of: tanh8(rx.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)), toByteOffset: i * 4, as: Lanes.self)
            i += 8
        }
        if i < count {
            var tail = Lanes()
            for lane in 0..<(count - i) { tail[lane] = x[i + lane] }
            let out = tanh8(tail)
            for lane in 0..<(count - i) { y[i + lane] = out[lane] }
        }
    }

    /// tanh of eight floats: sign(x) · (1 − 2 / (e^{2|x|} + 1)), e^y by Cody–Waite reduction
    /// (y = k ln 2 + r, |r| ≤ ln 2 / 2), a degree-7 Taylor polynomial and 2^k built in the
    /// exponent bits; |x| is capped at 9 (tanh(9) rounds to 1 in float). Absolute error below
    /// 2e-7 against double tanh (checked in the tests); NaN stays NaN. glibc's `tanhf` costs
    /// about 10 ns a value here; the learner takes a few million tanh per update.
    @inline(__always)
    static func tanh8(_ x: Lanes) -> Lanes {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let signBits = bits & 0x8000_0000
        let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: Lanes.self)
        let y = 2 * a.replacing(with: 9, where: a .> 9)
        let k = ((y * 1.44269504088896341) + 0x1.8p23) - 0x1.8p23
        let r = (y - k * 0.693145751953125) - k * 1.428606765330187045e-06
        let r2 = r * r
        let p01 = 1 + r
        let p23 = 0.5 + r * (1.0 / 6)
        let p45 = 1.0 / 24 + r * (1.0 / 120)
        let p67 = 1.0 / 720 + r * (1.0 / 5040)
        let e = (p01 + r2 * p23) + (r2 * r2) * (p45 + r2 * p67)
        let kBits = unsafeBitCast(k + 0x1.8p23, to: SIMD8<UInt32>.self)
        let twoToK = unsafeBitCast((kBits &+ 127) &<< 23, to: Lanes.self)
        let t = 1 - 2 / (e * twoToK + 1)
        // NaN: the comparison above is false for NaN, so y and t are NaN; restore the sign bit.
        return unsafeBitCast(unsafeBitCast(t, to: SIMD8<UInt32>.self) | signBits, to: Lanes.self)
    }
}
