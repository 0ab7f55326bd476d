import CZeroMQ

/// The messaging pattern of a socket (the `type` argument of `zmq_socket`).
public enum SocketType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// Publisher: fans every message out to all matching subscribers; never blocks, drops at HWM.
    case pub
    /// Subscriber: receives the messages whose first frame starts with a subscribed prefix.
    case sub
    /// Request: strictly alternates send, receive.
    case req
    /// Reply: strictly alternates receive, send.
    case rep
    /// Push: distributes messages round-robin to pullers; blocks at HWM.
    case push
    /// Pull: fair-queues messages from pushers.
    case pull
    /// Exclusive pair: one peer, both directions.
    case pair
    /// Asynchronous request (load-balances to peers, no send/receive lockstep).
    case dealer
    /// Asynchronous reply: prefixes each received message with the peer's routing id.
    case router
    /// Publisher that also receives subscription messages (`[1|0] + prefix`).
    case xpub
    /// Subscriber that sends subscriptions as messages.
    case xsub

    public var rawValue: Int32 {
        switch self {
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .pair: ZMQ_PAIR
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        }
    }

    public init?(rawValue: Int32) {
        guard let type = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = type
    }

    /// The libzmq name, e.g. `PUB`.
    public var description: String {
        switch self {
        case .pub: "PUB"
        case .sub: "SUB"
        case .req: "REQ"
        case .rep: "REP"
        case .push: "PUSH"
        case .pull: "PULL"
        case .pair: "PAIR"
        case .dealer: "DEALER"
        case .router: "ROUTER"
        case .xpub: "XPUB"
        case .xsub: "XSUB"
        }
    }
}
