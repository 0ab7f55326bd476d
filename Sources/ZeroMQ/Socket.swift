import CZeroMQ

/// A ZeroMQ socket (`zmq_socket`): endpoints, sends, receives, options.
///
/// Threading contract: a socket is owned by one thread at a time. `Socket` is deliberately not
/// `Sendable`; hand one to another thread by transferring it (`sending`), never by sharing it.
/// The only cross-thread way to interrupt a blocked socket is ``Context/shutdown()``.
///
/// Lifetime: ``close()`` closes the socket (`zmq_close`) explicitly; deinit closes it if that did
/// not happen. After `close()` every call throws `ENOTSOCK`. A socket keeps its ``Context``
/// alive.
///
/// Default LINGER is 0: closing a socket discards messages not yet sent, so closing sockets,
/// terminating the context and exiting the process never hang on a vanished peer, and a stale
/// robot command can never be delivered after its sender went away. Set
/// ``SocketOption/lingerMilliseconds`` for a socket whose last messages must be flushed.
///
/// Errors are ``ZMQError`` (typed throws, so a throw never allocates an existential box);
/// "would block" is not an error: non-blocking sends return `false`, receives return `nil`.
/// Calls interrupted by a signal (`EINTR`) are retried.
public final class Socket {
    /// The raw libzmq socket; nil once closed.
    private(set) var handle: UnsafeMutableRawPointer?
    /// The context this socket belongs to.
    public let context: Context
    /// The pattern this socket was created with.
    public let type: SocketType

    /// Creates a socket of `type` in `context` (`zmq_socket`) and sets LINGER to 0.
    public init(context: Context, type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("create \(type) socket")
        }
        var linger: Int32 = 0
        guard zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size) == 0 else {
            let error = ZMQError.last("set ZMQ_LINGER on new \(type) socket")
            zmq_close(handle)
            throw error
        }
        self.handle = handle
        self.context = context
        self.type = type
    }

    deinit {
        if let handle { zmq_close(handle) }
    }

    /// Whether ``close()`` has not been called yet.
    public var isOpen: Bool { handle != nil }

    /// Closes the socket (`zmq_close`). Queued outgoing messages are handled per LINGER
    /// (default: discarded). Calling it again does nothing.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
    }

    /// The open handle, or `ENOTSOCK` naming `operation`.
    @inline(__always)
    func openHandle(_ operation: @autoclosure () -> String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else {
            throw ZMQError(errno: ZMQError.ENOTSOCK, message: "socket is closed", operation: operation())
        }
        return handle
    }

    // MARK: Endpoints

    /// Accepts connections on `endpoint` (`zmq_bind`), e.g. `tcp://127.0.0.1:5555`,
    /// `tcp://127.0.0.1:*` (any free port; read it back with ``lastEndpoint``),
    /// `ipc:///run/pld/control` or `inproc://name`.
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("bind \(endpoint)")
        guard retryingOnInterrupt({ zmq_bind(handle, endpoint) }) == 0 else {
            throw ZMQError.last("bind \(endpoint)")
        }
    }

    /// Connects to `endpoint` (`zmq_connect`). libzmq connects in the background and keeps
    /// reconnecting, so this succeeds even when no peer is listening yet.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("connect \(endpoint)")
        guard retryingOnInterrupt({ zmq_connect(handle, endpoint) }) == 0 else {
            throw ZMQError.last("connect \(endpoint)")
        }
    }

    /// Stops accepting on `endpoint` (`zmq_unbind`). For wildcard binds pass the resolved
    /// endpoint from ``lastEndpoint``.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("unbind \(endpoint)")
        guard retryingOnInterrupt({ zmq_unbind(handle, endpoint) }) == 0 else {
            throw ZMQError.last("unbind \(endpoint)")
        }
    }

    /// Disconnects from `endpoint` (`zmq_disconnect`).
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("disconnect \(endpoint)")
        guard retryingOnInterrupt({ zmq_disconnect(handle, endpoint) }) == 0 else {
            throw ZMQError.last("disconnect \(endpoint)")
        }
    }

    /// The endpoint of the last successful bind or connect, with wildcards resolved
    /// (`ZMQ_LAST_ENDPOINT`), e.g. `tcp://127.0.0.1:41234`. Empty if there was none.
    public var lastEndpoint: String {
        get throws(ZMQError) { try get(.lastEndpoint) }
    }
}

@available(*, unavailable, message: "a Socket is owned by one thread at a time; transfer it, don't share it")
extension Socket: Sendable {}
