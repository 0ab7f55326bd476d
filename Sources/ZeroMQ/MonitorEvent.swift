import CZeroMQ

/// One event from a socket monitor (`zmq_socket_monitor`), decoded from its two frames:
/// a 6-byte frame (16-bit event number, 32-bit value, host byte order) and the endpoint.
public struct MonitorEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// A connect completed (`ZMQ_EVENT_CONNECTED`; value: the file descriptor).
        case connected
        /// A connect is in progress, e.g. waiting for the peer (`ZMQ_EVENT_CONNECT_DELAYED`).
        case connectDelayed
        /// A reconnect was scheduled (`ZMQ_EVENT_CONNECT_RETRIED`; value: interval in ms).
        case connectRetried
        /// A bind succeeded (`ZMQ_EVENT_LISTENING`; value: the file descriptor).
        case listening
        /// A bind failed (`ZMQ_EVENT_BIND_FAILED`; value: errno).
        case bindFailed
        /// A connection was accepted (`ZMQ_EVENT_ACCEPTED`; value: the file descriptor).
        case accepted
        /// Accepting a connection failed (`ZMQ_EVENT_ACCEPT_FAILED`; value: errno).
        case acceptFailed
        /// A connection's file descriptor was closed (`ZMQ_EVENT_CLOSED`).
        case closed
        /// Closing a file descriptor failed (`ZMQ_EVENT_CLOSE_FAILED`; value: errno).
        case closeFailed
        /// The peer went away (`ZMQ_EVENT_DISCONNECTED`).
        case disconnected
        /// Monitoring stopped; the last event (`ZMQ_EVENT_MONITOR_STOPPED`).
        case monitorStopped
        /// The ZMTP/security handshake failed for an unspecified reason
        /// (`ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`).
        case handshakeFailedNoDetail
        /// The ZMTP/security handshake succeeded (`ZMQ_EVENT_HANDSHAKE_SUCCEEDED`).
        case handshakeSucceeded
        /// The handshake failed on a protocol error, e.g. a CURVE message that does not
        /// decrypt or a mechanism mismatch (`ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`; value:
        /// `ZMQ_PROTOCOL_ERROR_*`).
        case handshakeFailedProtocol
        /// The handshake failed authentication (`ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`; value: the
        /// ZAP status code).
        case handshakeFailedAuth
        /// An event number this wrapper does not know.
        case other(UInt16)

        init(rawValue: UInt16) {
            switch Int32(rawValue) {
            case ZMQ_EVENT_CONNECTED: self = .connected
            case ZMQ_EVENT_CONNECT_DELAYED: self = .connectDelayed
            case ZMQ_EVENT_CONNECT_RETRIED: self = .connectRetried
            case ZMQ_EVENT_LISTENING: self = .listening
            case ZMQ_EVENT_BIND_FAILED: self = .bindFailed
            case ZMQ_EVENT_ACCEPTED: self = .accepted
            case ZMQ_EVENT_ACCEPT_FAILED: self = .acceptFailed
            case ZMQ_EVENT_CLOSED: self = .closed
            case ZMQ_EVENT_CLOSE_FAILED: self = .closeFailed
            case ZMQ_EVENT_DISCONNECTED: self = .disconnected
            case ZMQ_EVENT_MONITOR_STOPPED: self = .monitorStopped
            case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailedNoDetail
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailedProtocol
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailedAuth
            default: self = .other(rawValue)
            }
        }

        /// Whether this is one of the handshake failures.
        public var isHandshakeFailure: Bool {
            switch self {
            case .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth: true
            default: false
            }
        }

        /// The case name, e.g. `handshakeFailedProtocol`.
        public var description: String {
            switch self {
            case .connected: "connected"
            case .connectDelayed: "connectDelayed"
            case .connectRetried: "connectRetried"
            case .listening: "listening"
            case .bindFailed: "bindFailed"
            case .accepted: "accepted"
            case .acceptFailed: "acceptFailed"
            case .closed: "closed"
            case .closeFailed: "closeFailed"
            case .disconnected: "disconnected"
            case .monitorStopped: "monitorStopped"
            case .handshakeFailedNoDetail: "handshakeFailedNoDetail"
            case .handshakeSucceeded: "handshakeSucceeded"
            case .handshakeFailedProtocol: "handshakeFailedProtocol"
            case .handshakeFailedAuth: "handshakeFailedAuth"
            case .other(let number): "event(\(number))"
            }
        }
    }

    /// Which events a monitor reports (the `events` mask of `zmq_socket_monitor`).
    public struct Kinds: OptionSet, Sendable, Hashable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let connected = Kinds(rawValue: ZMQ_EVENT_CONNECTED)
        public static let connectDelayed = Kinds(rawValue: ZMQ_EVENT_CONNECT_DELAYED)
        public static let connectRetried = Kinds(rawValue: ZMQ_EVENT_CONNECT_RETRIED)
        public static let listening = Kinds(rawValue: ZMQ_EVENT_LISTENING)
        public static let bindFailed = Kinds(rawValue: ZMQ_EVENT_BIND_FAILED)
        public static let accepted = Kinds(rawValue: ZMQ_EVENT_ACCEPTED)
        public static let acceptFailed = Kinds(rawValue: ZMQ_EVENT_ACCEPT_FAILED)
        public static let closed = Kinds(rawValue: ZMQ_EVENT_CLOSED)
        public static let closeFailed = Kinds(rawValue: ZMQ_EVENT_CLOSE_FAILED)
        public static let disconnected = Kinds(rawValue: ZMQ_EVENT_DISCONNECTED)
        public static let handshakeSucceeded = Kinds(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        /// All three handshake failure kinds.
        public static let handshakeFailed = Kinds(
            rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        /// Every event (`ZMQ_EVENT_ALL`).
        public static let all = Kinds(rawValue: ZMQ_EVENT_ALL)
    }

    /// What happened.
    public let kind: Kind
    /// The event's value: a file descriptor, an errno, a retry interval in ms or a
    /// `ZMQ_PROTOCOL_ERROR_*` code, depending on ``kind``.
    public let value: UInt32
    /// The endpoint the event is about, e.g. `tcp://127.0.0.1:41234`.
    public let endpoint: String

    public init(kind: Kind, value: UInt32, endpoint: String) {
        self.kind = kind
        self.value = value
        self.endpoint = endpoint
    }

    /// Decodes the two frames of a monitor message; nil if they are malformed.
    init?(frames: [[UInt8]]) {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let header = frames[0]
        let number = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        self.init(
            kind: Kind(rawValue: number), value: value,
            endpoint: String(decoding: frames[1], as: UTF8.self))
    }

    /// `<kind> <endpoint> (value <n>)`.
    public var description: String { "\(kind) \(endpoint) (value \(value))" }
}
