import CZeroMQ

/// Waits on several sockets at once (`zmq_poll`).
///
/// Register sockets once with ``add(_:events:)``; each gets an index. Then ``poll(timeoutMilliseconds:)``
/// and read ``events(at:)``. The `zmq_pollitem_t` array is allocated when sockets are added, so
/// polling in steady state does not allocate.
///
/// Threading: owned by one thread at a time, together with the sockets it polls. It keeps its
/// sockets alive; polling a socket that was closed throws `ENOTSOCK`.
public final class Poller {
    private var sockets: [Socket] = []
    private var items: UnsafeMutablePointer<zmq_pollitem_t>
    private var capacity: Int

    /// An empty poller with room for `capacity` sockets before it reallocates.
    public init(capacity: Int = 4) {
        self.capacity = max(1, capacity)
        items = .allocate(capacity: self.capacity)
        sockets.reserveCapacity(self.capacity)
    }

    deinit {
        items.deallocate()
    }

    /// The number of registered sockets.
    public var count: Int { sockets.count }

    /// Registers `socket` to be polled for `events`.
    /// - Returns: the socket's index for ``events(at:)``.
    @discardableResult
    public func add(_ socket: Socket, events: PollEvents = .readable) throws(ZMQError) -> Int {
        let handle = try socket.openHandle("add \(socket.type) socket to poller")
        if sockets.count == capacity {
            let grown = UnsafeMutablePointer<zmq_pollitem_t>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: items, count: sockets.count)
            items.deallocate()
            items = grown
            capacity *= 2
        }
        let index = sockets.count
        (items + index).initialize(to: zmq_pollitem_t(socket: handle, fd: 0, events: events.rawValue, revents: 0))
        sockets.append(socket)
        return index
    }

    /// Registers a monitor's event socket to be polled for readability.
    @discardableResult
    public func add(_ monitor: Monitor) throws(ZMQError) -> Int {
        try add(monitor.socket, events: .readable)
    }

    /// Changes what the socket at `index` is polled for (e.g. add ``PollEvents/writable`` only
    /// while there is something to send).
    public func setEvents(_ events: PollEvents, at index: Int) {
        precondition(index >= 0 && index < sockets.count, "poller index \(index) out of range")
        items[index].events = events.rawValue
    }

    /// Waits up to `timeoutMilliseconds` until a registered socket has one of its events
    /// (`zmq_poll`). `-1` waits forever, `0` only looks. Retries `EINTR` with the remaining time.
    ///
    /// - Returns: how many sockets have events; 0 when the timeout expired.
    public func poll(timeoutMilliseconds: Int) throws(ZMQError) -> Int {
        for index in sockets.indices where !sockets[index].isOpen {
            throw ZMQError(
                errno: ZMQError.ENOTSOCK, message: "socket \(index) was closed while registered",
                operation: "poll")
        }
        for index in sockets.indices { items[index].revents = 0 }
        return try pollItems(
            items, count: sockets.count, timeoutMilliseconds: timeoutMilliseconds,
            operation: "poll \(sockets.count) sockets")
    }

    /// The events the last ``poll(timeoutMilliseconds:)`` found on the socket at `index`.
    public func events(at index: Int) -> PollEvents {
        precondition(index >= 0 && index < sockets.count, "poller index \(index) out of range")
        return PollEvents(rawValue: items[index].revents)
    }

    /// Whether the last poll found the socket at `index` readable.
    public func isReadable(at index: Int) -> Bool { events(at: index).contains(.readable) }

    /// Whether the last poll found the socket at `index` writable.
    public func isWritable(at index: Int) -> Bool { events(at: index).contains(.writable) }
}

@available(*, unavailable, message: "a Poller is owned by one thread at a time, like its sockets")
extension Poller: Sendable {}
