/// A ZeroMQ endpoint: `tcp://host:port`, `ipc://path` or `inproc://name`.
///
/// For endpoints `pld run` binds, a TCP host of `*` means every interface; endpoints it
/// connects to need a real host.
public struct Endpoint: ConfigStringConvertible, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable, Hashable {
        case tcp, ipc, inproc
    }

    public var transport: Transport
    /// TCP host (name, IPv4, `[IPv6]` or `*`); empty for ipc/inproc.
    public var host: String
    /// TCP port; `nil` for ipc/inproc.
    public var port: Int?
    /// ipc socket path or inproc name; empty for tcp.
    public var path: String

    public init(configString text: String) throws(ConfigValueError) {
        let expected = "expected tcp://host:port, ipc://path or inproc://name, found \(ScalarText.quoted(text))"
        if text.contains(where: { $0.isWhitespace }) { throw ConfigValueError(expected) }
        if text.hasPrefix("tcp://") {
            let rest = text.dropFirst("tcp://".count)
            guard let colon = rest.lastIndex(of: ":") else {
                throw ConfigValueError("\(expected) (tcp endpoints need a port)")
            }
            let host = String(rest[..<colon])
            let portText = rest[rest.index(after: colon)...]
            guard !host.isEmpty, !host.contains("/") else { throw ConfigValueError(expected) }
            if host.contains(":"), !(host.hasPrefix("[") && host.hasSuffix("]")) {
                throw ConfigValueError("\(expected) (write IPv6 hosts in brackets: tcp://[::1]:5555)")
            }
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw ConfigValueError("port must be an integer in [1, 65535], found \(ScalarText.quoted(String(portText))) in \(ScalarText.quoted(text))")
            }
            self.transport = .tcp
            self.host = host
            self.port = port
            self.path = ""
        } else if text.hasPrefix("ipc://") {
            let path = String(text.dropFirst("ipc://".count))
            guard !path.isEmpty else { throw ConfigValueError(expected) }
            // sun_path holds 108 bytes including the terminating NUL on Linux.
            guard path.utf8.count <= 107 else {
                throw ConfigValueError("ipc path is \(path.utf8.count) bytes; Unix socket paths are limited to 107")
            }
            self.transport = .ipc
            self.host = ""
            self.port = nil
            self.path = path
        } else if text.hasPrefix("inproc://") {
            let name = String(text.dropFirst("inproc://".count))
            guard !name.isEmpty else { throw ConfigValueError(expected) }
            self.transport = .inproc
            self.host = ""
            self.port = nil
            self.path = name
        } else {
            throw ConfigValueError(expected)
        }
    }

    public static func tcp(host: String, port: Int) -> Endpoint {
        // Valid by construction for hosts without whitespace and ports in range.
        (try? Endpoint(configString: "tcp://\(host):\(port)"))
            ?? Endpoint(transport: .tcp, host: host, port: port, path: "")
    }

    /// An ipc endpoint for `path`, unchecked (callers build paths from known parts).
    public static func ipc(path: String) -> Endpoint {
        Endpoint(transport: .ipc, host: "", port: nil, path: path)
    }

    private init(transport: Transport, host: String, port: Int?, path: String) {
        self.transport = transport
        self.host = host
        self.port = port
        self.path = path
    }

    public var configString: String {
        switch transport {
        case .tcp: return "tcp://\(host):\(port ?? 0)"
        case .ipc: return "ipc://\(path)"
        case .inproc: return "inproc://\(path)"
        }
    }

    public var description: String { configString }

    /// True for `tcp://*:port`, which can only be bound.
    public var isWildcard: Bool { transport == .tcp && host == "*" }
}

/// A service URL for a policy or classifier server: `ws://`, `wss://`, `http://` or
/// `https://` followed by `host[:port][/path]`.
public struct ServiceURL: ConfigStringConvertible, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable {
        case ws, wss, http, https
    }

    public var scheme: Scheme
    public var host: String
    public var port: Int?
    /// Starts with `/` when present; empty otherwise.
    public var path: String

    public init(configString text: String) throws(ConfigValueError) {
        let expected = "expected a URL such as ws://host:8000 or http://host:8777/act, found \(ScalarText.quoted(text))"
        guard let separator = text.range(of: "://"), !text.contains(where: { $0.isWhitespace }) else {
            throw ConfigValueError(expected)
        }
        guard let scheme = Scheme(rawValue: String(text[..<separator.lowerBound])) else {
            throw ConfigValueError("unsupported URL scheme in \(ScalarText.quoted(text)); expected ws, wss, http or https")
        }
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var host = Substring(authority)
        var port: Int?
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = authority[..<colon]
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else {
                throw ConfigValueError("port must be an integer in [1, 65535] in \(ScalarText.quoted(text))")
            }
            port = value
        }
        guard !host.isEmpty, !host.contains("@") else { throw ConfigValueError(expected) }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.path = String(rest[authorityEnd...])
    }

    public var configString: String {
        "\(scheme.rawValue)://\(host)\(port.map { ":\($0)" } ?? "")\(path)"
    }

    public var description: String { configString }
}
