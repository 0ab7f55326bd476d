import ZeroMQ

/// What one non-blocking receive produced.
enum ReceiveOutcome {
    /// Nothing queued.
    case empty
    /// A frame of `count` bytes is in the buffer.
    case message(count: Int)
    /// A frame of `size` bytes did not fit the buffer (it was truncated); refuse it.
    case oversized(size: Int)
    /// The socket failed (closed, context terminated); counted, never thrown on the tick.
    case failed
}

/// A conflated SUB socket connected to a state PUB, with a receive buffer allocated once.
///
/// Threading: owned by the link's thread. `receive()` never blocks and never allocates.
final class StateSubscriber {
    let socket: Socket
    let endpoint: String
    let buffer: UnsafeMutableRawBufferPointer

    /// Creates the SUB (CONFLATE, subscribe to everything, set before connecting) and connects.
    init(context: Context, endpoint: String, capacityBytes: Int, subject: String, name: String) throws(DriverError) {
        self.endpoint = endpoint
        let operation = "connect \(name) SUB to \(endpoint)"
        do {
            socket = try Socket(context: context, type: .sub)
            try socket.set(.conflate, true)
            try socket.subscribe(prefix: [UInt8]())
            try socket.connect(endpoint)
        } catch {
            throw .zmq(subject, operation, error)
        }
        buffer = .allocate(byteCount: capacityBytes, alignment: 16)
    }

    deinit { buffer.deallocate() }

    @inline(__always)
    func receive() -> ReceiveOutcome {
        do {
            guard let size = try socket.receive(into: buffer, flags: .dontWait) else { return .empty }
            return size > buffer.count ? .oversized(size: size) : .message(count: size)
        } catch {
            return .failed
        }
    }

    /// The received bytes of a `.message(count:)` outcome.
    @inline(__always)
    func bytes(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    func close() { socket.close() }
}

/// A bound command PUB with encode buffers allocated once.
///
/// Threading: owned by the link's thread. `send(count:)` never blocks (PUB drops at its
/// high-water mark instead) and never allocates: messages go out without a copy
/// (`Socket.sendWithoutCopy`) from a ring of `slotCount` buffers, and the socket's SNDHWM is
/// kept far below the ring size, so a buffer is reused only long after libzmq has sent it.
final class CommandPublisher {
    let socket: Socket
    /// The endpoint as configured, and as resolved after binding (wildcard ports filled in).
    let endpoint: String
    let boundEndpoint: String
    static let slotCount = 64
    static let sendHighWaterMark: Int32 = 8
    /// The ring's memory. libzmq may read it until the context terminates (LINGER flushes a
    /// termination message after `close()`), so the context keeps it alive until then.
    private let storage: RingStorage
    private var slots: UnsafeMutableRawBufferPointer { storage.bytes }
    private let slotBytes: Int
    private var slot = 0
    /// Where the next message is encoded (the current ring slot).
    private(set) var buffer: UnsafeMutableRawBufferPointer

    init(context: Context, endpoint: String, capacityBytes: Int, subject: String, name: String) throws(DriverError) {
        self.endpoint = endpoint
        let operation = "bind \(name) PUB \(endpoint)"
        do {
            socket = try Socket(context: context, type: .pub)
            try socket.set(.sendHighWaterMark, CommandPublisher.sendHighWaterMark)
            try socket.bind(endpoint)
            boundEndpoint = (try? socket.lastEndpoint) ?? endpoint
        } catch {
            throw .zmq(subject, operation, error)
        }
        slotBytes = (capacityBytes + 63) & ~63
        storage = RingStorage(byteCount: slotBytes * CommandPublisher.slotCount)
        context.keepAliveUntilTerminated(storage)
        buffer = UnsafeMutableRawBufferPointer(rebasing: storage.bytes[0..<slotBytes])
    }

    /// Sends the first `count` bytes of `buffer` and moves `buffer` to the next ring slot.
    /// False when not queued (socket closed or failing); a PUB without subscribers accepts and
    /// discards, which counts as sent.
    @inline(__always)
    func send(count: Int) -> Bool {
        let message = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        slot = slot + 1 == CommandPublisher.slotCount ? 0 : slot + 1
        buffer = UnsafeMutableRawBufferPointer(rebasing: slots[(slot * slotBytes)..<((slot + 1) * slotBytes)])
        do {
            return try socket.sendWithoutCopy(message, flags: .dontWait)
        } catch {
            return false
        }
    }

    /// Lets queued messages flush for up to `milliseconds` after `close()` (orderly shutdown).
    func setLinger(milliseconds: Int32) {
        try? socket.set(.lingerMilliseconds, milliseconds)
    }

    func close() { socket.close() }
}

/// Memory shared between a `CommandPublisher` and libzmq's I/O thread (which reads queued
/// messages from it). Immutable reference; freed when the publisher and its context are gone.
private final class RingStorage: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer
    init(byteCount: Int) { bytes = .allocate(byteCount: byteCount, alignment: 64) }
    deinit { bytes.deallocate() }
}
