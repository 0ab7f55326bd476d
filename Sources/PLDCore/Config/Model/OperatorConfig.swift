/// An operator endpoint: `default` (an ipc socket in the per-user runtime directory, owner-only
/// permissions) or an explicit endpoint. TCP endpoints require CURVE keys.
public enum OperatorEndpoint: ConfigStringConvertible, Hashable, CustomStringConvertible {
    case localDefault
    case endpoint(Endpoint)

    public init(configString text: String) throws(ConfigValueError) {
        if text == "default" {
            self = .localDefault
        } else {
            do {
                self = .endpoint(try Endpoint(configString: text))
            } catch {
                throw ConfigValueError("expected `default` or an endpoint; \(error.message)")
            }
        }
    }

    public var configString: String {
        switch self {
        case .localDefault: return "default"
        case .endpoint(let endpoint): return endpoint.configString
        }
    }

    public var description: String { configString }

    /// The endpoint to bind or connect: `default` becomes
    /// `ipc://<runtime_dir>/pld/<config_name>/<socket>.sock`, where `runtime_dir` is
    /// `$XDG_RUNTIME_DIR` or `/tmp/pld-<uid>` (the caller decides, PLDCore reads no environment).
    public func resolved(runtimeDirectory: String, configName: String, socket: String) -> Endpoint {
        switch self {
        case .endpoint(let endpoint):
            return endpoint
        case .localDefault:
            return .ipc(path: "\(runtimeDirectory)/pld/\(configName)/\(socket).sock")
        }
    }
}

/// How terminals reach a running `pld run`: the control REQ/REP socket, the status PUB stream,
/// CURVE keys for remote access, and the metrics port.
public struct OperatorConfig: Codable, Sendable, Equatable {
    /// Control socket (REP, `pld run` binds). Default `default`.
    public var controlEndpoint = OperatorEndpoint.localDefault
    /// Status stream (PUB, `pld run` binds). Default `default`.
    public var statusEndpoint = OperatorEndpoint.localDefault
    /// Required when either endpoint is TCP.
    public var curve: CurveKeysConfig?
    /// When set, the run pauses (holding the arms) unless some terminal has sent a command or
    /// heartbeat within this long, s. Absent = no dead-man check.
    public var deadmanTimeoutS: Double?
    /// Prometheus-style metrics over HTTP on this port. Absent = off.
    public var metricsPort: Int?
    /// RunStatus messages per second on the status stream. Default 4.
    public var statusRateHz = 4.0

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        controlEndpoint = try c.value(.controlEndpoint, default: controlEndpoint)
        statusEndpoint = try c.value(.statusEndpoint, default: statusEndpoint)
        curve = try c.optional(.curve)
        deadmanTimeoutS = try c.optional(.deadmanTimeoutS)
        metricsPort = try c.optional(.metricsPort)
        statusRateHz = try c.value(.statusRateHz, default: statusRateHz)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        for (key, endpoint) in [("control_endpoint", controlEndpoint), ("status_endpoint", statusEndpoint)] {
            guard case .endpoint(let explicit) = endpoint else { continue }
            switch explicit.transport {
            case .tcp:
                v.check(curve != nil, path[key], "a TCP operator endpoint needs CURVE keys (operator.curve); use `default` for local-only access")
            case .inproc:
                v.fail(path[key], "inproc endpoints are unreachable from other processes; use `default`, ipc:// or tcp://")
            case .ipc:
                break
            }
        }
        if controlEndpoint == statusEndpoint, controlEndpoint != .localDefault {
            v.fail(path["status_endpoint"], "must differ from control_endpoint")
        }
        curve?.validate(at: path["curve"], into: &v)
        if let deadmanTimeoutS { v.range(deadmanTimeoutS, .leftOpen(0, 600), path["deadman_timeout_s"], unit: "s") }
        if let metricsPort { v.range(metricsPort, .closed(1024, 65535), path["metrics_port"]) }
        v.range(statusRateHz, .leftOpen(0, 100), path["status_rate_hz"], unit: "Hz")
    }
}

/// ZeroMQ CURVE keys (Z85 text files as written by `zmq_curve_keypair`).
public struct CurveKeysConfig: Codable, Sendable, Equatable {
    public var serverSecretKeyFile: String
    public var serverPublicKeyFile: String
    /// Directory of `*.key` files holding the public keys of allowed terminals.
    public var authorizedClientsDir: String

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.check(!serverSecretKeyFile.isEmpty, path["server_secret_key_file"], "must not be empty")
        v.check(!serverPublicKeyFile.isEmpty, path["server_public_key_file"], "must not be empty")
        v.check(!authorizedClientsDir.isEmpty, path["authorized_clients_dir"], "must not be empty")
    }
}
