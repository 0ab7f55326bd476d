/// What went wrong talking to a base policy server, or turning its reply into a chunk. The
/// policy worker counts errors by kind for the status stream.
public enum PolicyErrorKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Connection refused, host unreachable or unresolvable: nobody is serving there.
    case refused
    /// No connection, metadata frame or reply within the configured timeout.
    case timeout
    /// The server reported an error: an openpi traceback text frame (then close 1011), an
    /// OpenVLA `"error"` body, or an HTTP error status.
    case serverError = "server_error"
    /// The connection closed or dropped while we were using it.
    case connectionLost = "connection_lost"
    /// Not the protocol we expected: handshake refused, not a WebSocket, wss:// without TLS.
    case protocolError = "protocol_error"
    /// A reply that does not decode (not msgpack / JSON, no `actions`, unsupported dtype).
    case malformedReply = "malformed_reply"
    /// A frame or body larger than the configured cap (refused before it is buffered).
    case tooLarge = "too_large"
    /// Actions whose width is not the expected action dimension, or with no or too many steps.
    case wrongDimensions = "wrong_dimensions"
    /// NaN or infinite actions.
    case nonFiniteActions = "non_finite_actions"
    /// An observation we could not send: wrong number of values, unknown prompt index,
    /// unencodable value.
    case invalidRequest = "invalid_request"
    /// An image input whose camera had no frame yet.
    case missingCameraFrame = "missing_camera_frame"

    public var description: String { rawValue }
}

/// One policy-server failure as one line naming the server, e.g.
/// `policy server ws://10.0.0.5:8000: connection refused`.
public struct PolicyClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: PolicyErrorKind
    /// The server URL as configured.
    public var url: String
    /// What happened, one line.
    public var detail: String

    public init(_ kind: PolicyErrorKind, url: String, _ detail: String) {
        self.kind = kind
        self.url = url
        self.detail = PolicyClientError.oneLine(detail)
    }

    public var description: String { "policy server \(url): \(detail)" }

    /// Newlines become ` | `, runs of spaces collapse, and the text is cut to 400 characters so a
    /// status line stays a line.
    static func oneLine(_ text: String) -> String {
        var parts: [Substring] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingSpaces()
            if !trimmed.isEmpty { parts.append(trimmed) }
        }
        let joined = parts.joined(separator: " | ")
        return joined.count <= 400 ? joined : String(joined.prefix(399)) + "…"
    }

    /// An openpi traceback as one line: its first and last non-empty lines
    /// (`Traceback (most recent call last): … ValueError: bad shape`).
    public static func summarizeTraceback(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        guard let first = lines.first, let last = lines.last else { return "(empty error text)" }
        return lines.count == 1 ? String(first) : "\(first) … \(last)"
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return s
    }
}
