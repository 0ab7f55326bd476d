import PLDCore

/// How a simulated device turns configured endpoints into what it binds and connects,
/// standing in for a device on another machine that reads the same addresses from its own
/// configuration.
enum SimEndpoints {
    /// The endpoint a device **connects** to for a peer that binds `endpoint`: a `*` bind
    /// address (every interface) is reached on 127.0.0.1.
    static func connectable(_ endpoint: Endpoint) -> String {
        guard endpoint.transport == .tcp, endpoint.isWildcard else { return endpoint.configString }
        return "tcp://127.0.0.1:\(endpoint.port ?? 0)"
    }

    /// `tcp://<host>:<port>` to connect to a peer bound on `host` (`*` → 127.0.0.1).
    static func connectable(host: String, port: Int) -> String {
        "tcp://\(host == "*" ? "127.0.0.1" : host):\(port)"
    }

    /// The endpoint a device **binds**: as configured, except that a TCP host that is not an
    /// IP literal (a name such as `nuc.local`, which libzmq cannot bind) becomes 127.0.0.1.
    static func bindable(_ endpoint: Endpoint) -> String {
        guard endpoint.transport == .tcp else { return endpoint.configString }
        return bindable(host: endpoint.host, port: endpoint.port ?? 0)
    }

    /// `tcp://<host>:<port>` to bind, with the host rule of ``bindable(_:)``.
    static func bindable(host: String, port: Int) -> String {
        let bindHost = host == "*" || isIPLiteral(host) ? host : "127.0.0.1"
        return "tcp://\(bindHost):\(port)"
    }

    /// Dotted IPv4 or bracketed IPv6.
    static func isIPLiteral(_ host: String) -> Bool {
        if host.hasPrefix("[") && host.hasSuffix("]") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && UInt8(part) != nil
        }
    }
}
