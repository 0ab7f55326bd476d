import CZeroMQ

/// A typed socket option: the option's libzmq name plus the Swift type of its value.
///
/// Use with `Socket.set(_:_:)` and `Socket.get(_:)`:
/// ```swift
/// try socket.set(.lingerMilliseconds, 0)
/// try socket.set(.conflate, true)
/// let port = try socket.get(.lastEndpoint)
/// ```
/// Durations are milliseconds and say so in their names; `-1` means "infinite" where libzmq
/// allows it. Options that libzmq only reads at bind/connect time (CONFLATE, HWMs, CURVE,
/// heartbeats, IMMEDIATE) must be set before ``Socket/bind(_:)`` / ``Socket/connect(_:)``.
public struct SocketOption<Value>: Sendable, Hashable {
    /// The libzmq option name (`ZMQ_*`).
    public let rawValue: Int32

    /// An option by its libzmq number, for options this wrapper does not name.
    public init(rawValue: Int32) { self.rawValue = rawValue }
}

extension SocketOption where Value == Int32 {
    /// How long queued outgoing messages survive ``Socket/close()`` (`ZMQ_LINGER`).
    /// This wrapper's default is 0 (discard); `-1` waits forever.
    public static var lingerMilliseconds: Self { Self(rawValue: ZMQ_LINGER) }
    /// Outgoing queue limit in messages (`ZMQ_SNDHWM`, libzmq default 1000; 0 = none).
    public static var sendHighWaterMark: Self { Self(rawValue: ZMQ_SNDHWM) }
    /// Incoming queue limit in messages (`ZMQ_RCVHWM`, libzmq default 1000; 0 = none).
    public static var receiveHighWaterMark: Self { Self(rawValue: ZMQ_RCVHWM) }
    /// How long a blocking receive waits before returning "no message" (`ZMQ_RCVTIMEO`, `-1` =
    /// forever, the default).
    public static var receiveTimeoutMilliseconds: Self { Self(rawValue: ZMQ_RCVTIMEO) }
    /// How long a blocking send waits before returning "not sent" (`ZMQ_SNDTIMEO`, `-1` =
    /// forever, the default).
    public static var sendTimeoutMilliseconds: Self { Self(rawValue: ZMQ_SNDTIMEO) }
    /// Interval between ZMTP heartbeat PINGs (`ZMQ_HEARTBEAT_IVL`, 0 = off, the default).
    public static var heartbeatIntervalMilliseconds: Self { Self(rawValue: ZMQ_HEARTBEAT_IVL) }
    /// How long to wait for traffic after a PING before dropping the connection
    /// (`ZMQ_HEARTBEAT_TIMEOUT`; default: the heartbeat interval).
    public static var heartbeatTimeoutMilliseconds: Self { Self(rawValue: ZMQ_HEARTBEAT_TIMEOUT) }
    /// The time-to-live the remote peer should apply to this connection (`ZMQ_HEARTBEAT_TTL`,
    /// rounded down to tenths of a second, at most 6553599).
    public static var heartbeatTTLMilliseconds: Self { Self(rawValue: ZMQ_HEARTBEAT_TTL) }
    /// Delay before reconnecting a broken connection (`ZMQ_RECONNECT_IVL`, default 100).
    public static var reconnectIntervalMilliseconds: Self { Self(rawValue: ZMQ_RECONNECT_IVL) }
    /// Upper bound of the exponential reconnect back-off (`ZMQ_RECONNECT_IVL_MAX`, 0 = no back-off).
    public static var reconnectIntervalMaxMilliseconds: Self { Self(rawValue: ZMQ_RECONNECT_IVL_MAX) }
    /// Time allowed for the ZMTP (and CURVE) handshake (`ZMQ_HANDSHAKE_IVL`, default 30000).
    public static var handshakeIntervalMilliseconds: Self { Self(rawValue: ZMQ_HANDSHAKE_IVL) }
}

extension SocketOption where Value == Int64 {
    /// The largest inbound message accepted; a peer sending more is disconnected
    /// (`ZMQ_MAXMSGSIZE`, `-1` = no limit, the default).
    public static var maxMessageSizeBytes: Self { Self(rawValue: ZMQ_MAXMSGSIZE) }
}

extension SocketOption where Value == Bool {
    /// Keep only the newest message in each queue (`ZMQ_CONFLATE`). For state streams (SUB,
    /// PULL, DEALER, PUSH, PAIR); incompatible with multipart messages.
    public static var conflate: Self { Self(rawValue: ZMQ_CONFLATE) }
    /// Queue messages only to completed connections (`ZMQ_IMMEDIATE`), so nothing is queued for
    /// a peer that is not there.
    public static var immediate: Self { Self(rawValue: ZMQ_IMMEDIATE) }
    /// Act as CURVE server (`ZMQ_CURVE_SERVER`); needs ``curveSecretKey``.
    public static var curveServer: Self { Self(rawValue: ZMQ_CURVE_SERVER) }
    /// Read-only: the last received frame has more frames after it (`ZMQ_RCVMORE`).
    public static var receiveMore: Self { Self(rawValue: ZMQ_RCVMORE) }
    /// Use IPv6 as well as IPv4 on tcp endpoints (`ZMQ_IPV6`).
    public static var ipv6: Self { Self(rawValue: ZMQ_IPV6) }
}

extension SocketOption where Value == String {
    /// Read-only: the resolved endpoint of the last bind or connect (`ZMQ_LAST_ENDPOINT`).
    public static var lastEndpoint: Self { Self(rawValue: ZMQ_LAST_ENDPOINT) }
}

extension SocketOption where Value == [UInt8] {
    /// Write-only (SUB): add a prefix filter (`ZMQ_SUBSCRIBE`); empty subscribes to everything.
    public static var subscribe: Self { Self(rawValue: ZMQ_SUBSCRIBE) }
    /// Write-only (SUB): remove one earlier identical ``subscribe`` (`ZMQ_UNSUBSCRIBE`).
    public static var unsubscribe: Self { Self(rawValue: ZMQ_UNSUBSCRIBE) }
    /// This socket's identity as seen by a ROUTER peer (`ZMQ_ROUTING_ID`, 1...255 bytes).
    public static var routingID: Self { Self(rawValue: ZMQ_ROUTING_ID) }
}

extension SocketOption where Value == CurveKey {
    /// This socket's long-term public key (`ZMQ_CURVE_PUBLICKEY`, CURVE clients).
    public static var curvePublicKey: Self { Self(rawValue: ZMQ_CURVE_PUBLICKEY) }
    /// This socket's long-term secret key (`ZMQ_CURVE_SECRETKEY`, CURVE clients and servers).
    public static var curveSecretKey: Self { Self(rawValue: ZMQ_CURVE_SECRETKEY) }
    /// The server's public key a CURVE client expects (`ZMQ_CURVE_SERVERKEY`).
    public static var curveServerKey: Self { Self(rawValue: ZMQ_CURVE_SERVERKEY) }
}

/// The libzmq macro name of an option number, for error messages (`ZMQ_LINGER`, or the number).
func socketOptionName(_ rawValue: Int32) -> String {
    switch rawValue {
    case ZMQ_LINGER: "ZMQ_LINGER"
    case ZMQ_SNDHWM: "ZMQ_SNDHWM"
    case ZMQ_RCVHWM: "ZMQ_RCVHWM"
    case ZMQ_RCVTIMEO: "ZMQ_RCVTIMEO"
    case ZMQ_SNDTIMEO: "ZMQ_SNDTIMEO"
    case ZMQ_HEARTBEAT_IVL: "ZMQ_HEARTBEAT_IVL"
    case ZMQ_HEARTBEAT_TIMEOUT: "ZMQ_HEARTBEAT_TIMEOUT"
    case ZMQ_HEARTBEAT_TTL: "ZMQ_HEARTBEAT_TTL"
    case ZMQ_RECONNECT_IVL: "ZMQ_RECONNECT_IVL"
    case ZMQ_RECONNECT_IVL_MAX: "ZMQ_RECONNECT_IVL_MAX"
    case ZMQ_HANDSHAKE_IVL: "ZMQ_HANDSHAKE_IVL"
    case ZMQ_MAXMSGSIZE: "ZMQ_MAXMSGSIZE"
    case ZMQ_CONFLATE: "ZMQ_CONFLATE"
    case ZMQ_IMMEDIATE: "ZMQ_IMMEDIATE"
    case ZMQ_CURVE_SERVER: "ZMQ_CURVE_SERVER"
    case ZMQ_RCVMORE: "ZMQ_RCVMORE"
    case ZMQ_IPV6: "ZMQ_IPV6"
    case ZMQ_LAST_ENDPOINT: "ZMQ_LAST_ENDPOINT"
    case ZMQ_SUBSCRIBE: "ZMQ_SUBSCRIBE"
    case ZMQ_UNSUBSCRIBE: "ZMQ_UNSUBSCRIBE"
    case ZMQ_ROUTING_ID: "ZMQ_ROUTING_ID"
    case ZMQ_CURVE_PUBLICKEY: "ZMQ_CURVE_PUBLICKEY"
    case ZMQ_CURVE_SECRETKEY: "ZMQ_CURVE_SECRETKEY"
    case ZMQ_CURVE_SERVERKEY: "ZMQ_CURVE_SERVERKEY"
    default: "option \(rawValue)"
    }
}
