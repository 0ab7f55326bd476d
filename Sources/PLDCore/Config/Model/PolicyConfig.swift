public enum PolicyKind: String, ConfigEnum {
    /// openpi websocket server (`scripts/serve_policy.py`), msgpack-numpy, port 8000 by default.
    case openpi
    /// OpenVLA / OpenVLA-OFT FastAPI server, `POST /act` with json-numpy.
    case openvlaRest = "openvla_rest"
}

/// The base VLA policy server and how observations and chunks are exchanged with it.
public struct PolicyConfig: Codable, Sendable, Equatable {
    public var kind: PolicyKind
    /// `ws://host:port` for openpi; `http://host:port/act` for openvla_rest.
    public var url: ServiceURL
    /// File holding an API key, sent as `Authorization: Api-Key <key>`. Absent = none. Keys
    /// never go in the config itself.
    public var apiKeyFile: String?
    /// One inference request (send → reply), s. Default 2.0.
    public var requestTimeoutS = 2.0
    /// Opening a connection (and, for openpi, receiving the metadata frame), s. Default 5.0.
    public var connectTimeoutS = 5.0
    public var reconnect = BackoffConfig()
    public var observation: ObservationConfig
    /// Expected width of each returned action; checked against `action_space` here and against
    /// the first reply at run time. Absent = taken from the action space.
    public var actionDim: Int?
    public var chunks = ChunkConfig()
    /// openvla_rest only: dataset statistics key for un-normalisation.
    public var unnormKey: String?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.required(.kind)
        url = try c.required(.url)
        observation = try c.required(.observation)
        apiKeyFile = try c.optional(.apiKeyFile)
        requestTimeoutS = try c.value(.requestTimeoutS, default: requestTimeoutS)
        connectTimeoutS = try c.value(.connectTimeoutS, default: connectTimeoutS)
        reconnect = try c.value(.reconnect, default: reconnect)
        actionDim = try c.optional(.actionDim)
        chunks = try c.value(.chunks, default: chunks)
        unnormKey = try c.optional(.unnormKey)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        switch kind {
        case .openpi:
            v.check([.ws, .wss].contains(url.scheme), path["url"], "an openpi server needs a ws:// or wss:// URL, found \(url)")
            v.check(unnormKey == nil, path["unnorm_key"], "only valid for kind openvla_rest")
        case .openvlaRest:
            v.check([.http, .https].contains(url.scheme), path["url"], "an openvla_rest server needs an http:// or https:// URL, found \(url)")
        }
        if let apiKeyFile { v.check(!apiKeyFile.isEmpty, path["api_key_file"], "must not be empty") }
        v.range(requestTimeoutS, .leftOpen(0, 120), path["request_timeout_s"], unit: "s")
        v.range(connectTimeoutS, .leftOpen(0, 300), path["connect_timeout_s"], unit: "s")
        reconnect.validate(at: path["reconnect"], into: &v)
        observation.validate(at: path["observation"], into: &v)
        if let actionDim { v.range(actionDim, .closed(1, 256), path["action_dim"]) }
        chunks.validate(at: path["chunks"], into: &v)
    }
}

/// Exponential reconnect backoff: `initial_s`, then ×`multiplier` per failure, capped at
/// `max_s`. The arm holds while the policy is away.
public struct BackoffConfig: Codable, Sendable, Equatable {
    public var initialS = 0.5
    public var maxS = 10.0
    public var multiplier = 2.0

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        initialS = try c.value(.initialS, default: initialS)
        maxS = try c.value(.maxS, default: maxS)
        multiplier = try c.value(.multiplier, default: multiplier)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(initialS, .leftOpen(0, 60), path["initial_s"], unit: "s")
        v.range(maxS, .leftOpen(0, 600), path["max_s"], unit: "s")
        if maxS < initialS { v.fail(path["max_s"], "must be at least initial_s (\(formatConfigNumber(initialS)) s)") }
        v.range(multiplier, .closed(1, 10), path["multiplier"])
    }
}

/// Which observation dictionary the server expects (`openpi-and-vla-servers.md` §1.4).
public enum ObservationLayout: String, ConfigEnum {
    /// `observation/exterior_image_1_left`, `observation/wrist_image_left` (HWC images),
    /// `observation/joint_position` (7), `observation/gripper_position` (1).
    case droid
    /// `observation/image`, `observation/wrist_image` (HWC), `observation/state` (8).
    case libero
    /// `state` (14), `images.cam_high` (required), `images.cam_low`, `images.cam_left_wrist`,
    /// `images.cam_right_wrist` (CHW images).
    case aloha
    /// Any keys; nothing checked beyond the sources.
    case custom
}

public enum ImageFormat: String, ConfigEnum {
    /// height × width × 3, uint8
    case hwc
    /// 3 × height × width, uint8
    case chw
}

public struct ObservationConfig: Codable, Sendable, Equatable {
    public var layout: ObservationLayout
    /// Images are resized with padding to this square size, pixels. Default 224.
    public var imageSize = 224
    /// Absent = the layout's format (chw for aloha, hwc otherwise).
    public var imageFormat: ImageFormat?
    /// Key under which the stage prompt is sent. Default `prompt`.
    public var promptKey = "prompt"
    /// What to send under each server key.
    public var inputs: [ObservationInput]

    /// The image format actually used.
    public var effectiveImageFormat: ImageFormat { imageFormat ?? (layout == .aloha ? .chw : .hwc) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layout = try c.required(.layout)
        inputs = try c.required(.inputs)
        imageSize = try c.value(.imageSize, default: imageSize)
        imageFormat = try c.optional(.imageFormat)
        promptKey = try c.value(.promptKey, default: promptKey)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(imageSize, .closed(16, 1024), path["image_size"], unit: "px")
        v.check(!promptKey.isEmpty, path["prompt_key"], "must not be empty")
        v.check(!inputs.isEmpty, path["inputs"], "must list at least one input")
        var seen: [String: Int] = [:]
        for (index, input) in inputs.enumerated() {
            let inputPath = path["inputs"][index]
            if let first = seen[input.key] {
                v.fail(inputPath["key"], "key `\(input.key)` is already sent by inputs[\(first)]")
            }
            seen[input.key] = index
            v.check(input.key != promptKey, inputPath["key"], "`\(input.key)` is the prompt key")
            input.validate(at: inputPath, into: &v)
        }
    }
}

/// One entry of the observation dictionary. A `.` in `key` nests (`images.cam_high` →
/// `{"images": {"cam_high": …}}`); a `/` is part of the key (DROID's
/// `observation/joint_position` is a flat key).
public struct ObservationInput: Codable, Sendable, Equatable {
    public var key: String
    /// Sources, concatenated in order. An image entry has exactly one camera source.
    public var from: [ObservationSource]

    public var isImage: Bool { from.contains(where: \.isCamera) }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.check(!key.isEmpty && !key.hasPrefix(".") && !key.hasSuffix(".") && !key.contains(".."), path["key"], "invalid key \(ScalarText.quoted(key))")
        v.check(!from.isEmpty, path["from"], "must list at least one source")
        if isImage && from.count != 1 {
            v.fail(path["from"], "an image input takes exactly one camera source and nothing else")
        }
    }
}

/// How base action chunks are scheduled (method-and-safety.md §7.2). Requests are
/// asynchronous: the next chunk is requested while the current one plays.
public struct ChunkConfig: Codable, Sendable, Equatable {
    /// Actions played from each chunk before switching to a newer one (open-loop horizon, e.g.
    /// openpi DROID 8, ALOHA 25). Absent = play the whole chunk.
    public var executeSteps: Int?
    /// Request the next chunk when this many actions of the current one remain. Default 4.
    public var refillThresholdSteps = 4
    /// Never play an action from a chunk whose observation is older than this; hold instead
    /// and count `policy_stall`, s. Default 1.0.
    public var maxChunkAgeS = 1.0
    public var ensembling = EnsemblingConfig()

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        executeSteps = try c.optional(.executeSteps)
        refillThresholdSteps = try c.value(.refillThresholdSteps, default: refillThresholdSteps)
        maxChunkAgeS = try c.value(.maxChunkAgeS, default: maxChunkAgeS)
        ensembling = try c.value(.ensembling, default: ensembling)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        if let executeSteps {
            v.range(executeSteps, .closed(1, 1000), path["execute_steps"])
            if refillThresholdSteps >= executeSteps {
                v.fail(path["refill_threshold_steps"], "must be less than execute_steps (\(executeSteps)), found \(refillThresholdSteps)")
            }
        }
        v.range(refillThresholdSteps, .closed(0, 1000), path["refill_threshold_steps"])
        v.range(maxChunkAgeS, .leftOpen(0, 60), path["max_chunk_age_s"], unit: "s")
        ensembling.validate(at: path["ensembling"], into: &v)
    }
}

/// ACT-style temporal ensembling: average every chunk's prediction for the current step with
/// weights w_i = exp(−decay_k · i), i = 0 the oldest.
public struct EnsemblingConfig: Codable, Sendable, Equatable {
    public var enabled = false
    /// ACT default 0.01.
    public var decayK = 0.01

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.value(.enabled, default: enabled)
        decayK = try c.value(.decayK, default: decayK)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(decayK, .closed(0, 10), path["decay_k"])
    }
}
