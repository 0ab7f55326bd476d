// Policies: base-policy clients (openpi websocket, OpenVLA REST), the chunk scheduler, the
// residual MLP and the handoff sampler. They arrive with the tick issue; this file reports and
// configures the BLAS the residual runs on.
import COpenBLAS

/// The OpenBLAS library this binary is linked against.
public enum BLASLibrary {
    /// Build configuration string of the loaded OpenBLAS (`openblas_get_config`).
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// Threads OpenBLAS will use for one call (`openblas_get_num_threads`).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's thread count (`openblas_set_num_threads`). The residual's matrices are
    /// small (256 wide); one thread avoids waking a pool on the control thread's path.
    public static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// Dot product through CBLAS (`cblas_ddot`); used by the self-check in `pld version`.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: vectors differ in length")
        return cblas_ddot(Int32(x.count), x, 1, y, 1)
    }
}
