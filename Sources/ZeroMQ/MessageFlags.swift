import CZeroMQ

/// Flags for the `Socket.send` methods (the `flags` of `zmq_send`).
public struct SendFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Fail with "not sent" instead of blocking when the message cannot be queued
    /// (`ZMQ_DONTWAIT`).
    public static let dontWait = SendFlags(rawValue: ZMQ_DONTWAIT)
    /// More frames of the same message follow (`ZMQ_SNDMORE`).
    public static let sendMore = SendFlags(rawValue: ZMQ_SNDMORE)
}

/// Flags for the `Socket.receive` methods (the `flags` of `zmq_recv`).
public struct ReceiveFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Return "no message" instead of blocking when nothing is queued (`ZMQ_DONTWAIT`).
    public static let dontWait = ReceiveFlags(rawValue: ZMQ_DONTWAIT)
}
