public enum ClassifierKind: String, ConfigEnum {
    /// A small network (HIL-SERL style: frozen encoder + MLP head) from a safetensors file.
    case mlp
    /// Thresholds on state or feature values, all of which must hold (score 1 or 0).
    case rules
    /// A reward server queried over HTTP.
    case remote
}

/// A reward classifier: a score in [0, 1] every tick, referenced by stages and gates.
public struct ClassifierConfig: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ClassifierKind
    /// What the classifier looks at (mlp, remote).
    public var inputs: [ObservationSource] = []
    /// mlp only: safetensors weights.
    public var weightsPath: String?
    /// rules only.
    public var rules: [ClassifierRule]?
    /// remote only.
    public var url: ServiceURL?
    /// remote only: one request, s. Default 0.5.
    public var timeoutS: Double?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.required(.name)
        kind = try c.required(.kind)
        inputs = try c.value(.inputs, default: inputs)
        weightsPath = try c.optional(.weightsPath)
        rules = try c.optional(.rules)
        url = try c.optional(.url)
        timeoutS = try c.optional(.timeoutS)
    }

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
        case .rules:
            if let rules {
                v.check(!rules.isEmpty, path["rules"], "must list at least one rule")
            } else {
                v.fail(path["rules"], "a rules classifier needs rules")
            }
        case .remote:
            v.check(url != nil, path["url"], "a remote classifier needs a url")
            v.check(!inputs.isEmpty, path["inputs"], "a remote classifier needs at least one input")
        }
        if kind != .mlp { v.check(weightsPath == nil, path["weights_path"], "only valid for kind mlp") }
        if kind != .rules { v.check(rules == nil, path["rules"], "only valid for kind rules") }
        if kind != .remote {
            v.check(url == nil, path["url"], "only valid for kind remote")
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
}
