import CZeroMQ

/// What a poll waits for and what it found (`ZMQ_POLLIN`, `ZMQ_POLLOUT`, `ZMQ_POLLERR`).
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// At least one message can be received without blocking (`ZMQ_POLLIN`).
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// At least one message can be sent without blocking (`ZMQ_POLLOUT`).
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// An error condition (`ZMQ_POLLERR`; only reported for plain file descriptors).
    public static let error = PollEvents(rawValue: Int16(ZMQ_POLLERR))
}

/// Calls `zmq_poll` on `count` items, retrying on `EINTR` with the time that is left, so a
/// signal can neither end the wait early nor extend it. Does not allocate.
///
/// - Returns: the number of items with events; 0 on timeout.
func pollItems(
    _ items: UnsafeMutablePointer<zmq_pollitem_t>, count: Int, timeoutMilliseconds: Int,
    operation: @autoclosure () -> String
) throws(ZMQError) -> Int {
    let clock = ContinuousClock()
    let start = clock.now
    var timeout = timeoutMilliseconds
    while true {
        let rc = zmq_poll(items, Int32(count), timeout)
        if rc >= 0 { return Int(rc) }
        let code = zmq_errno()
        guard code == EINTR else { throw ZMQError(errno: code, operation: operation()) }
        if timeoutMilliseconds > 0 {
            let elapsed = start.duration(to: clock.now)
            let elapsedMilliseconds = Int(elapsed.components.seconds) * 1000
                + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
            timeout = max(0, timeoutMilliseconds - elapsedMilliseconds)
        }
    }
}

extension Socket {
    /// Waits up to `timeoutMilliseconds` until this socket has one of `events` (`zmq_poll` on one
    /// item). `-1` waits forever, `0` only looks. Does not allocate.
    ///
    /// - Returns: the events that are ready (empty on timeout).
    public func poll(_ events: PollEvents, timeoutMilliseconds: Int) throws(ZMQError) -> PollEvents {
        let handle = try openHandle("poll")
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: events.rawValue, revents: 0)
        _ = try pollItems(
            &item, count: 1, timeoutMilliseconds: timeoutMilliseconds, operation: "poll \(type) socket")
        return PollEvents(rawValue: item.revents)
    }
}
