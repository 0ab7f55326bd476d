import CZeroMQ

// The C errno macros, captured at file scope so the static members below can have the same
// names without referring to themselves.
private let cEAGAIN = EAGAIN
private let cEINTR = EINTR
private let cEINVAL = EINVAL
private let cEFAULT = EFAULT
private let cENOMEM = ENOMEM
private let cENOENT = ENOENT
private let cEPROTO = EPROTO
private let cEMFILE = EMFILE
private let cENOTSOCK = ENOTSOCK
private let cENOTSUP = ENOTSUP
private let cEPROTONOSUPPORT = EPROTONOSUPPORT
private let cEADDRINUSE = EADDRINUSE
private let cEADDRNOTAVAIL = EADDRNOTAVAIL
private let cECONNREFUSED = ECONNREFUSED
private let cEHOSTUNREACH = EHOSTUNREACH
private let cEMSGSIZE = EMSGSIZE
private let cENODEV = ENODEV
private let cEFSM = EFSM
private let cETERM = ETERM
private let cEMTHREAD = EMTHREAD
private let cENOCOMPATPROTO = ENOCOMPATPROTO

/// An error reported by libzmq (or by this wrapper's own validation), with the operation that
/// failed.
///
/// `description` is one line that names the operation and the endpoint at fault, e.g.
/// `zmq bind tcp://127.0.0.1:5555: Address already in use (errno 98)`.
///
/// Compare ``errno`` against the static constants to branch on a cause:
/// ```swift
/// do { try socket.bind(endpoint) }
/// catch where error.errno == ZMQError.EADDRINUSE { ... }
/// ```
///
/// Errors are values: building one reads `zmq_strerror` and formats strings, so the wrapper only
/// creates them on failure paths. The expected "would block" outcome (`EAGAIN`) of non-blocking
/// sends and receives is reported as `false` / `nil`, never as a thrown error.
public struct ZMQError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The errno value (`zmq_errno()` at the time of the failure, or the wrapper's own code).
    public let errno: Int32
    /// The human-readable cause, from `zmq_strerror` unless the wrapper supplied its own.
    public let message: String
    /// What was being attempted, e.g. `"bind tcp://127.0.0.1:5555"` or `"send on PUSH socket"`.
    public let operation: String

    /// An error with libzmq's message for `errno` (`zmq_strerror`).
    public init(errno: Int32, operation: String) {
        self.errno = errno
        self.message = String(cString: zmq_strerror(errno))
        self.operation = operation
    }

    /// An error with an explicit message (used for the wrapper's own validation failures).
    public init(errno: Int32, message: String, operation: String) {
        self.errno = errno
        self.message = message
        self.operation = operation
    }

    /// The error libzmq reported for the call that just failed on this thread (`zmq_errno`).
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(errno: zmq_errno(), operation: operation())
    }

    /// `zmq <operation>: <message> (errno <n>)`.
    public var description: String { "zmq \(operation): \(message) (errno \(errno))" }

    // MARK: Common errno values

    /// The operation would block (non-blocking call, or RCVTIMEO/SNDTIMEO expired).
    public static let EAGAIN: Int32 = cEAGAIN
    /// A signal interrupted the call. The wrapper retries these itself.
    public static let EINTR: Int32 = cEINTR
    /// An argument was invalid: malformed endpoint, wrong option value, bad key.
    public static let EINVAL: Int32 = cEINVAL
    /// A bad buffer address was passed.
    public static let EFAULT: Int32 = cEFAULT
    /// Out of memory.
    public static let ENOMEM: Int32 = cENOMEM
    /// No such file or directory (e.g. the directory of an ipc endpoint does not exist).
    public static let ENOENT: Int32 = cENOENT
    /// Protocol error (used by the wrapper for malformed monitor events).
    public static let EPROTO: Int32 = cEPROTO
    /// Too many open sockets / file descriptors.
    public static let EMFILE: Int32 = cEMFILE
    /// The socket is closed (or was never valid).
    public static let ENOTSOCK: Int32 = cENOTSOCK
    /// The operation is not supported by this socket type.
    public static let ENOTSUP: Int32 = cENOTSUP
    /// The endpoint's transport is unknown (e.g. `foo://...`).
    public static let EPROTONOSUPPORT: Int32 = cEPROTONOSUPPORT
    /// The address is already bound by this or another process.
    public static let EADDRINUSE: Int32 = cEADDRINUSE
    /// The requested address is not local.
    public static let EADDRNOTAVAIL: Int32 = cEADDRNOTAVAIL
    /// The peer refused the connection.
    public static let ECONNREFUSED: Int32 = cECONNREFUSED
    /// A ROUTER (with ROUTER_MANDATORY) or similar socket has no route to the peer.
    public static let EHOSTUNREACH: Int32 = cEHOSTUNREACH
    /// A message is too large.
    public static let EMSGSIZE: Int32 = cEMSGSIZE
    /// The endpoint names a nonexistent network interface.
    public static let ENODEV: Int32 = cENODEV
    /// The operation is not allowed in the socket's current state (e.g. two sends on REQ).
    public static let EFSM: Int32 = cEFSM
    /// The context was shut down or terminated; close the socket.
    public static let ETERM: Int32 = cETERM
    /// No I/O thread is available.
    public static let EMTHREAD: Int32 = cEMTHREAD
    /// The transport is not compatible with the socket type.
    public static let ENOCOMPATPROTO: Int32 = cENOCOMPATPROTO
}

/// Calls `body` again while it fails with `EINTR`, and returns its final result.
///
/// `body` follows the libzmq convention: a negative result means failure with `zmq_errno()`.
@inline(__always)
func retryingOnInterrupt(_ body: () -> Int32) -> Int32 {
    while true {
        let result = body()
        if result == -1 && zmq_errno() == EINTR { continue }
        return result
    }
}
