/// A setup-time failure of a `PLDArmLink` (hello, control requests, sockets), as one clear line
/// naming the arm, the endpoint and, for a hello mismatch, the field with both values, e.g.
///
/// `arm left (control tcp://127.0.0.1:6003): hello refused: joint_names[2]: config has "joint3", driver has "elbow"`
public struct PLDArmLinkError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The driver's HelloReply disagrees with the robot config (`field` names what).
        case helloMismatch
        /// No reply within the request timeout; the REQ socket was closed and recreated.
        case timeout
        /// The driver answered `ok = false` (its `error` is in `message`).
        case driverRefused
        /// The reply was malformed, for another request, or of another protocol version.
        case badReply
        /// A socket could not be created, bound or connected, or failed.
        case transport
        /// The link is not open / not connected (hello not verified), or already closed.
        case notConnected
        /// The request itself is invalid (wrong joint count, non-finite, outside limits).
        case invalidRequest
    }

    public var kind: Kind
    /// Arm name from the config.
    public var arm: String
    /// The endpoint involved (usually the driver's control endpoint).
    public var endpoint: String
    /// For `.helloMismatch` and `.invalidRequest`: the config/protocol field at fault, e.g.
    /// `joint_names[2]`, `joint_limits.upper_rad[1]`, `command_timeout_s`.
    public var field: String?
    /// One line: what went wrong, with both values for a mismatch.
    public var message: String

    public init(kind: Kind, arm: String, endpoint: String, field: String? = nil, message: String) {
        self.kind = kind
        self.arm = arm
        self.endpoint = endpoint
        self.field = field
        self.message = message
    }

    public var description: String {
        let prefix = "arm \(arm) (\(endpoint))"
        switch kind {
        case .helloMismatch: return "\(prefix): hello refused: \(field.map { "\($0): " } ?? "")\(message)"
        case .invalidRequest: return "\(prefix): \(field.map { "\($0): " } ?? "")\(message)"
        default: return "\(prefix): \(message)"
        }
    }
}
