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
    /// When set, the e-stop latch is raised unless some terminal has sent a command (any,
    /// including `status`; `pld status --watch` sends one a second) within this long, s.
    /// Absent = no dead-man check.
    public var deadmanTimeoutS: Double?
    /// Prometheus-style metrics over HTTP on this port. Absent = off.
    public var metricsPort: Int?
    /// RunStatus messages per second on the status stream. Default 4.
    public var statusRateHz = 4.0
    /// How an autonomous run treats failing links during an episode.
    public var faults = FaultRecoveryConfig()

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
        faults = try c.value(.faults, default: faults)
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
        faults.validate(at: path["faults"], into: &v)
    }
}

/// When a failing link ends an episode, and how the run recovers: the episode is closed as
/// aborted with the reason, every arm holds, and once the link is healthy again and the
/// back-off has passed, the run resets and starts the next episode. Times are scaled by
/// `--speed` like every other timeout.
public struct FaultRecoveryConfig: Codable, Sendable, Equatable {
    /// An arm's state stale this long (beyond the link's own staleness limit) is a driver
    /// fault, s. Default 0.5.
    public var driverStaleS = 0.5
    /// The base policy stalled (no usable chunk) this long is a policy fault, s. Default 3.
    public var policyStallS = 3.0
    /// A camera that the run reads delivered no new frame for this long is a camera fault, s.
    /// Default 1.
    public var cameraFreezeS = 1.0
    /// Hold at least this long after a fault before trying again, s; doubles with each fault
    /// in a row up to `backoff_max_s`. Default 2.
    public var backoffS = 2.0
    /// Upper bound of the back-off, s. Default 30.
    public var backoffMaxS = 30.0
    /// Episodes in a row ending in a fault before the run pauses itself and says why (an
    /// operator `resume` or `reset` continues). Default 3.
    public var maxConsecutive = 3

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        driverStaleS = try c.value(.driverStaleS, default: driverStaleS)
        policyStallS = try c.value(.policyStallS, default: policyStallS)
        cameraFreezeS = try c.value(.cameraFreezeS, default: cameraFreezeS)
        backoffS = try c.value(.backoffS, default: backoffS)
        backoffMaxS = try c.value(.backoffMaxS, default: backoffMaxS)
        maxConsecutive = try c.value(.maxConsecutive, default: maxConsecutive)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(driverStaleS, .closed(0, 60), path["driver_stale_s"], unit: "s")
        v.range(policyStallS, .leftOpen(0, 600), path["policy_stall_s"], unit: "s")
        v.range(cameraFreezeS, .leftOpen(0, 600), path["camera_freeze_s"], unit: "s")
        v.range(backoffS, .closed(0, 600), path["backoff_s"], unit: "s")
        v.range(backoffMaxS, .closed(0, 3600), path["backoff_max_s"], unit: "s")
        v.check(backoffMaxS >= backoffS, path["backoff_max_s"], "must be at least backoff_s")
        v.range(maxConsecutive, .closed(1, 1000), path["max_consecutive"])
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
