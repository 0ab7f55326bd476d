import CHDF5
import Glibc

/// A failed libhdf5 call: which operation on which file, and what the library said.
///
/// `detail` is the innermost message of HDF5's error stack (for a failed write that is the
/// sec2 driver's report, whose `error message = '…'` part is lifted out: "No space left on
/// device"). `errno` is the C errno right after the call (0 when the failure was not an OS one).
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var operation: String
    public var detail: String
    public var errno: Int32

    public init(file: String, operation: String, detail: String, errno: Int32 = 0) {
        self.file = file
        self.operation = operation
        self.detail = detail
        self.errno = errno
    }

    /// The disk (or the file-size limit) is full.
    public var isOutOfSpace: Bool {
        errno == ENOSPC || errno == EFBIG || errno == EDQUOT || detail.contains("No space left")
            || detail.contains("File too large")
    }

    public var description: String { "\(file): \(operation) failed: \(detail)" }
}

/// Process-wide setup and error-stack reading for the wrapper. The Debian library is built
/// thread-safe (one global lock inside libhdf5), and its error stack — with the setting that
/// prints it — is per thread, so any thread may call in once `quiet` ran on it.
enum HDF5Runtime {
    /// Turns off libhdf5's own printing of error stacks to stderr on the calling thread (we
    /// report them as one line). Every wrapper entry point calls it: cheap, and a thread that
    /// never called it would print multi-line diagnostics on its first failure.
    static var quiet: Void {
        initialize
        _ = H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
    }

    /// Opens the library once, without its `atexit` shutdown: every file this process writes
    /// is closed explicitly, and after a failed write (a full disk) libhdf5 1.10 keeps the
    /// file half-closed and crashes when it tries to flush it again at exit.
    private static let initialize: Void = {
        _ = H5dont_atexit()
        _ = H5open()
    }()

    /// Throws `HDF5Error` for a negative status, reading the calling thread's error stack.
    @inline(__always)
    static func check(_ status: herr_t, _ operation: @autoclosure () -> String, file: String) throws(HDF5Error) {
        if status < 0 { throw failure(operation(), file: file) }
    }

    /// Throws for a negative identifier, otherwise returns it.
    @inline(__always)
    static func id(_ value: hid_t, _ operation: @autoclosure () -> String, file: String) throws(HDF5Error) -> hid_t {
        if value < 0 { throw failure(operation(), file: file) }
        return value
    }

    static func failure(_ operation: String, file: String) -> HDF5Error {
        let osError = Glibc.errno
        let messages = stackMessages()
        _ = H5Eclear2(hid_t(H5E_DEFAULT))
        var detail = messages.last ?? "libhdf5 reported an error without a message"
        if let range = detail.range(of: "error message = '") {
            let rest = detail[range.upperBound...]
            if let end = rest.firstIndex(of: "'") { detail = String(rest[..<end]) }
        }
        var code: Int32 = 0
        if let range = messages.last?.range(of: "errno = ") {
            let digits = messages.last![range.upperBound...].prefix { $0.isNumber }
            code = Int32(digits) ?? 0
        }
        if code == 0 && (osError == ENOSPC || osError == EFBIG || osError == EDQUOT || osError == EIO) { code = osError }
        return HDF5Error(file: file, operation: operation, detail: detail, errno: code)
    }

    /// The descriptions on this thread's error stack, outermost first.
    private static func stackMessages() -> [String] {
        final class Box { var lines: [String] = [] }
        let box = Box()
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        _ = H5Ewalk2(hid_t(H5E_DEFAULT), H5E_WALK_DOWNWARD, { _, error, client in
            guard let error, let client else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(client).takeUnretainedValue()
            let description = error.pointee.desc.map { String(cString: $0) } ?? ""
            let function = error.pointee.func_name.map { String(cString: $0) } ?? ""
            box.lines.append(description.isEmpty ? function : description)
            return 0
        }, unmanaged.toOpaque())
        return box.lines
    }
}
