/// Dense row-major linear algebra for the few small matrices the sim's controllers need
/// (6×6 and 7×7). Buffers are preallocated by the caller; nothing here allocates.
enum SmallMatrix {
    /// Inverts the n×n row-major `a` in place (Gauss-Jordan with partial pivoting), using
    /// `work` (n×n) as scratch. Returns false when `a` is singular to working precision;
    /// then `a` holds garbage and the caller must not use it.
    static func invert(_ a: inout [Double], n: Int, work: inout [Double]) -> Bool {
        // work starts as the identity and ends as the inverse.
        for i in 0..<(n * n) { work[i] = 0 }
        for i in 0..<n { work[i * n + i] = 1 }
        for column in 0..<n {
            var pivot = column
            var best = abs(a[column * n + column])
            for row in (column + 1)..<n where abs(a[row * n + column]) > best {
                best = abs(a[row * n + column])
                pivot = row
            }
            guard best > 1e-12 else { return false }
            if pivot != column {
                for k in 0..<n {
                    a.swapAt(pivot * n + k, column * n + k)
                    work.swapAt(pivot * n + k, column * n + k)
                }
            }
            let scale = 1 / a[column * n + column]
            for k in 0..<n {
                a[column * n + k] *= scale
                work[column * n + k] *= scale
            }
            for row in 0..<n where row != column {
                let factor = a[row * n + column]
                if factor == 0 { continue }
                for k in 0..<n {
                    a[row * n + k] -= factor * a[column * n + k]
                    work[row * n + k] -= factor * work[column * n + k]
                }
            }
        }
        for i in 0..<(n * n) { a[i] = work[i] }
        return true
    }
}
