public enum ClassifierKind: String, ConfigEnum {
    /// A small network over feature vectors and proprioception (HIL-SERL's head: Linear →
    /// LayerNorm → ReLU … → Linear → sigmoid) from a safetensors file (`classifier-mlp/1`,
    /// `Sources/Tasks/MLPClassifier.swift`). Image embeddings reach it as a feature published
    /// by a perception node; it does not run an image encoder itself.
    case mlp
    /// Comparisons over state or feature values, all of which must hold (score 1 or 0).
    case rules
    /// A classifier service over ZeroMQ REQ/REP (`Sources/Tasks/RemoteClassifierProtocol.md`);
    /// no reply within `timeout_s` is "unknown", never success.
    case remote
}

/// A reward classifier: a score in [0, 1] every tick (NaN = unknown), referenced by stages,
/// gates and the task's success trigger.
public struct ClassifierConfig: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ClassifierKind
    /// What the classifier looks at: state sources for mlp (in this order, concatenated);
    /// state sources and cameras for remote.
    public var inputs: [ObservationSource] = []
    /// mlp only: safetensors weights.
    public var weightsPath: String?
    /// rules only.
    public var rules: [ClassifierRule]?
    /// remote only: the service's REP socket; we connect a REQ.
    public var endpoint: Endpoint?
    /// remote only: one request, s; a late reply is discarded. Default 0.5.
    public var timeoutS: Double?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.required(.name)
        kind = try c.required(.kind)
        inputs = try c.value(.inputs, default: inputs)
        weightsPath = try c.optional(.weightsPath)
        rules = try c.optional(.rules)
        endpoint = try c.optional(.endpoint)
        timeoutS = try c.optional(.timeoutS)
    }

    public init(name: String, kind: ClassifierKind, inputs: [ObservationSource] = [], weightsPath: String? = nil,
                rules: [ClassifierRule]? = nil, endpoint: Endpoint? = nil, timeoutS: Double? = nil) {
        self.name = name
        self.kind = kind
        self.inputs = inputs
        self.weightsPath = weightsPath
        self.rules = rules
        self.endpoint = endpoint
        self.timeoutS = timeoutS
    }

    /// Remote request deadline, s.
    public var remoteTimeoutS: Double { timeoutS ?? 0.5 }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.name(name, path["name"])
        switch kind {
        case .mlp:
            if let weightsPath {
                v.check(weightsPath.hasSuffix(".safetensors"), path["weights_path"], "expected a .safetensors file, found \(ScalarText.quoted(weightsPath))")
            } else {
                v.fail(path["weights_path"], "an mlp classifier needs weights_path")
            }
            v.check(!inputs.isEmpty, path["inputs"], "an mlp classifier needs at least one input")
            for (index, input) in inputs.enumerated() where input.isCamera {
                v.fail(path["inputs"][index], "an mlp classifier reads numbers, not images: publish an image embedding as a feature (features:) and name feature.<name> here, or use kind remote")
            }
        case .rules:
            if let rules {
                v.check(!rules.isEmpty, path["rules"], "must list at least one rule")
            } else {
                v.fail(path["rules"], "a rules classifier needs rules")
            }
        case .remote:
            if let endpoint {
                v.check(endpoint.transport != .inproc, path["endpoint"], "a classifier service runs in another process: use tcp:// or ipc://")
                v.check(endpoint.host != "*", path["endpoint"], "we connect to the service: name its host, not *")
            } else {
                v.fail(path["endpoint"], "a remote classifier needs an endpoint (tcp://host:port of its REP socket)")
            }
            v.check(!inputs.isEmpty, path["inputs"], "a remote classifier needs at least one input")
        }
        if kind != .mlp { v.check(weightsPath == nil, path["weights_path"], "only valid for kind mlp") }
        if kind != .rules { v.check(rules == nil, path["rules"], "only valid for kind rules") }
        if kind != .remote {
            v.check(endpoint == nil, path["endpoint"], "only valid for kind remote")
            v.check(timeoutS == nil, path["timeout_s"], "only valid for kind remote")
        }
        if kind == .rules { v.check(inputs.isEmpty, path["inputs"], "a rules classifier reads the sources named in its rules") }
        if let timeoutS { v.range(timeoutS, .leftOpen(0, 30), path["timeout_s"], unit: "s") }
    }
}

public enum Comparison: String, ConfigEnum {
    case lt, le, gt, ge

    public func holds(_ value: Double, _ bound: Double) -> Bool {
        switch self {
        case .lt: return value < bound
        case .le: return value <= bound
        case .gt: return value > bound
        case .ge: return value >= bound
        }
    }
}

/// `source[index] <op> value`, e.g. `feature.gpu_pose[2] lt 0.012`.
public struct ClassifierRule: Codable, Sendable, Equatable {
    public var source: ObservationSource
    /// Element of the source vector. Default 0.
    public var index = 0
    public var op: Comparison
    public var value: Double

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.required(.source)
        op = try c.required(.op)
        value = try c.required(.value)
        index = try c.value(.index, default: index)
    }

    public init(source: ObservationSource, index: Int = 0, op: Comparison, value: Double) {
        self.source = source
        self.index = index
        self.op = op
        self.value = value
    }
}
