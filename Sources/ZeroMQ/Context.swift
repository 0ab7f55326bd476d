import CZeroMQ
import Synchronization

/// A libzmq context: the I/O threads and the registry of sockets (`zmq_ctx_new`).
///
/// Threading: a `Context` is thread-safe and `Sendable`. Share one per process (or per
/// subsystem); create sockets from any thread.
///
/// Lifetime: every ``Socket`` keeps its context alive, so the context is only terminated
/// (`zmq_ctx_term`, on deinit) once all its sockets are closed. Because sockets default to
/// LINGER 0, termination never waits for undelivered messages. ``shutdown()`` wakes every
/// blocking call on the context's sockets with `ETERM` so their owners can close them.
public final class Context: @unchecked Sendable {
    // @unchecked: the handle is immutable, and libzmq documents context calls as thread-safe.
    let handle: UnsafeMutableRawPointer
    /// Objects that own memory libzmq may still read (``Socket/sendWithoutCopy(_:flags:)``),
    /// released only after `zmq_ctx_term` has returned.
    private let keptAlive = Mutex<[any AnyObject & Sendable]>([])

    /// Creates a context (`zmq_ctx_new`) with `ioThreads` background I/O threads
    /// (`ZMQ_IO_THREADS`, libzmq's default is 1; one thread handles about a gigabyte a second).
    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("create context") }
        self.handle = handle
        if ioThreads != 1 {
            guard zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) == 0 else {
                let error = ZMQError.last("set context ZMQ_IO_THREADS \(ioThreads)")
                zmq_ctx_term(handle)
                throw error
            }
        }
    }

    /// The number of I/O threads (`zmq_ctx_get(ZMQ_IO_THREADS)`).
    public var ioThreads: Int32 { zmq_ctx_get(handle, ZMQ_IO_THREADS) }

    /// The largest number of sockets this context allows (`zmq_ctx_get(ZMQ_MAX_SOCKETS)`).
    public var maxSockets: Int32 { zmq_ctx_get(handle, ZMQ_MAX_SOCKETS) }

    /// Makes every blocking and future call on this context's sockets fail with `ETERM`
    /// (`zmq_ctx_shutdown`). Safe to call from any thread, any number of times; the sockets must
    /// still be closed by their owners.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// Keeps `object` alive until this context has terminated: after `zmq_ctx_term` returns, no
    /// queued or lingering message can reference memory it owns. For the buffers of
    /// ``Socket/sendWithoutCopy(_:flags:)``. Setup-time (takes a lock, may allocate).
    public func keepAliveUntilTerminated(_ object: any AnyObject & Sendable) {
        keptAlive.withLock { $0.append(object) }
    }

    /// Terminates the context (`zmq_ctx_term`), retrying on `EINTR`, then releases the objects
    /// of ``keepAliveUntilTerminated(_:)``. Runs only once no socket references the context any
    /// more.
    deinit {
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
        keptAlive.withLock { $0.removeAll() }
    }
}
