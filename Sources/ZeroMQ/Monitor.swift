import CZeroMQ
import Synchronization

/// The event stream of a monitored socket: a PAIR socket connected to the inproc endpoint that
/// `zmq_socket_monitor` publishes on.
///
/// Create one with ``Socket/monitor(_:)`` before the bind/connect whose events you want. Events
/// are dropped by libzmq while nobody reads fast enough; monitoring is for diagnostics and
/// connection state, not for the control path.
///
/// Threading: owned by one thread at a time (any thread, independent of the monitored
/// socket's owner). Closing the monitor does not stop monitoring on the socket; closing the
/// socket ends it.
public final class Monitor {
    /// The PAIR socket receiving the events.
    let socket: Socket
    /// The inproc endpoint the events come from.
    public let endpoint: String

    init(socket: Socket, endpoint: String) {
        self.socket = socket
        self.endpoint = endpoint
    }

    /// The next event, waiting up to `timeoutMilliseconds` (`zmq_poll`; `-1` waits forever,
    /// `0` only looks).
    /// - Returns: the event, or `nil` if none arrived in time.
    /// - Throws: `EPROTO` for a malformed event message, or a receive error.
    public func next(timeoutMilliseconds: Int) throws(ZMQError) -> MonitorEvent? {
        guard let frames = try socket.receiveMultipart(timeoutMilliseconds: timeoutMilliseconds) else {
            return nil
        }
        guard let event = MonitorEvent(frames: frames) else {
            throw ZMQError(
                errno: ZMQError.EPROTO,
                message: "malformed monitor event (\(frames.count) frames, first \(frames.first?.count ?? 0) bytes)",
                operation: "read monitor \(endpoint)")
        }
        return event
    }

    /// Reads events until one whose kind `matches` arrives or `timeoutMilliseconds` have passed
    /// in total, e.g. `monitor.waitFor(\.isHandshakeFailure, timeoutMilliseconds: 2_000)`.
    /// - Returns: the matching event, or `nil` on timeout. Other events are consumed.
    public func waitFor(
        _ matches: (MonitorEvent.Kind) -> Bool, timeoutMilliseconds: Int
    ) throws(ZMQError) -> MonitorEvent? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        while true {
            let left = clock.now.duration(to: deadline)
            let leftMilliseconds = max(0, Int(left.components.seconds) * 1000
                + Int(left.components.attoseconds / 1_000_000_000_000_000))
            guard let event = try next(timeoutMilliseconds: leftMilliseconds) else { return nil }
            if matches(event.kind) { return event }
            if leftMilliseconds == 0 { return nil }
        }
    }

    /// Reads events until an event of `kind` arrives or `timeoutMilliseconds` have passed in
    /// total. Other events are consumed.
    public func waitFor(_ kind: MonitorEvent.Kind, timeoutMilliseconds: Int) throws(ZMQError) -> MonitorEvent? {
        try waitFor({ $0 == kind }, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Closes the receiving PAIR socket.
    public func close() { socket.close() }
}

@available(*, unavailable, message: "a Monitor is owned by one thread at a time")
extension Monitor: Sendable {}

/// Numbers the inproc endpoints of monitors so each is unique in the process.
private let monitorCounter = Atomic<Int>(0)

extension Socket {
    /// Starts monitoring this socket (`zmq_socket_monitor` to a fresh `inproc://` endpoint) and
    /// returns the connected event reader. Call before the bind/connect to observe.
    /// Calling it again replaces the previous monitor.
    public func monitor(_ kinds: MonitorEvent.Kinds = .all) throws(ZMQError) -> Monitor {
        let handle = try openHandle("monitor")
        let number = monitorCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let endpoint = "inproc://pld-zmq-monitor-\(number)"
        guard zmq_socket_monitor(handle, endpoint, kinds.rawValue) == 0 else {
            throw ZMQError.last("monitor \(type) socket on \(endpoint)")
        }
        let reader = try Socket(context: context, type: .pair)
        try reader.connect(endpoint)
        return Monitor(socket: reader, endpoint: endpoint)
    }

    /// Stops monitoring this socket (`zmq_socket_monitor` with a null endpoint); the monitor
    /// then receives ``MonitorEvent/Kind/monitorStopped``.
    public func stopMonitor() throws(ZMQError) {
        let handle = try openHandle("stop monitor")
        guard zmq_socket_monitor(handle, nil, 0) == 0 else {
            throw ZMQError.last("stop monitor on \(type) socket")
        }
    }
}
