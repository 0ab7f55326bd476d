import SwiftProtobuf

/// Why a control-plane protobuf (hello, operator, camera frame, …) was refused.
public struct WireMessageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Proto name of the message that was expected, e.g. "pld.OperatorCommand".
    public var messageName: String
    /// One line: what was wrong.
    public var reason: String

    public var description: String { "\(messageName): \(reason)" }
}

extension SwiftProtobuf.Message {
    /// Decodes a message from socket bytes, refusing inputs over `maxBytes` before parsing and
    /// turning swift-protobuf's errors into one clear line that names the message.
    /// Unknown fields are kept (forward compatibility); nesting is limited by swift-protobuf's
    /// recursion limit (100).
    public init(wireBytes bytes: [UInt8], maxBytes: Int) throws(WireMessageError) {
        let count = bytes.count
        guard count <= maxBytes else {
            throw WireMessageError(
                messageName: Self.protoMessageName, reason: "\(count) bytes exceeds the \(maxBytes)-byte limit")
        }
        do {
            try self.init(serializedBytes: bytes)
        } catch {
            throw WireMessageError(messageName: Self.protoMessageName, reason: "malformed protobuf (\(error))")
        }
    }
}
