/// A misbehaviour the simulated policy server applies to upcoming requests, to exercise the
/// runtime's timeouts, reconnects and error handling.
public enum PolicyServerFault: Sendable, Equatable, CustomStringConvertible {
    /// Sleep this long before handling the request (a GPU stall, a JIT warm-up); the reply is
    /// still sent afterwards, and every other client waits too (one request at a time).
    case stall(seconds: Double)
    /// Close the TCP connection instead of replying, without a close frame (a crash or a
    /// network drop).
    case dropConnection
    /// Answer with this text as the traceback frame, then close with 1011, exactly as
    /// `serve_policy.py` does when the policy raises.
    case errorFrame(String)
    /// Reply as usual but with every action value replaced by this one (NaN, a huge step): a
    /// broken checkpoint or a normalisation bug, to exercise the runtime's safety chain.
    case badActions(Float)

    public var description: String {
        switch self {
        case .stall(let seconds): "stall \(seconds) s"
        case .dropConnection: "drop connection"
        case .errorFrame: "error frame"
        case .badActions(let value): "actions all \(value)"
        }
    }
}

/// What the simulated policy server has done so far.
public struct PolicyServerStatistics: Sendable, Equatable {
    /// WebSocket connections opened (each got a metadata frame).
    public var connections = 0
    /// Observation frames received.
    public var requests = 0
    public var replies = 0
    /// Traceback frames sent (handler errors, undecodable requests, injected error frames).
    public var errorFrames = 0
    /// Connections closed by an injected drop.
    public var droppedConnections = 0
    /// `GET /healthz` answered.
    public var healthChecks = 0

    public init() {}
}
