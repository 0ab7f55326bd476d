import ZeroMQ

/// A setup-time failure of a link or feed (socket creation, bind, connect, close), as one line
/// naming the arm or stream and the endpoint at fault, e.g.
/// `arm franka: bind arm command PUB tcp://*:5555: zmq bind …: Address already in use (errno 98)`.
public struct DriverError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Arm, camera or feature name from the config.
    public var subject: String
    /// What was attempted, naming the endpoint.
    public var operation: String
    /// The cause, one line.
    public var reason: String

    public init(subject: String, operation: String, reason: String) {
        self.subject = subject
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(subject): \(operation): \(reason)" }
}

extension DriverError {
    static func zmq(_ subject: String, _ operation: String, _ error: ZMQError) -> DriverError {
        DriverError(subject: subject, operation: operation, reason: error.description)
    }
}
