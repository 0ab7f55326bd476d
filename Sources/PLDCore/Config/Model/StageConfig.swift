public enum StageKind: String, ConfigEnum {
    /// Base (+ residual) policy with the stage prompt, until a classifier fires or time runs out.
    case policy
    /// A fixed joint-space motion (`motion`), e.g. "pull out and return to the table".
    case scriptedMotion = "scripted_motion"
}

/// One stage of a multi-stage task. The stage machine runs them in list order unless a
/// transition says otherwise. A config without stages is a single-stage task: one implicit
/// policy stage with the task prompt that ends at `max_episode_steps`.
public struct StageConfig: Codable, Sendable, Equatable {
    public var name: String
    /// Prompt sent to the base policy in this stage. Absent = the top-level `task`.
    public var prompt: String?
    public var kind = StageKind.policy
    /// Classifier that ends the stage successfully. Required for policy stages.
    public var success: StageTrigger?
    /// Classifier that ends the stage as failed (e.g. "GPU dropped"). Optional.
    public var failure: StageTrigger?
    /// The stage ends as timed out after this long, s (sim time under `--speed`).
    public var timeoutS: Double
    /// How many times `retry` may re-enter this stage within one episode. Default 0.
    public var retries = 0
    public var onSuccess = StageTransition.next
    public var onFailure = StageTransition.fail
    public var onTimeout = StageTransition.fail
    /// Conditions checked before the stage starts; if one does not hold the stage fails.
    public var gates: [GateCondition] = []
    /// Required for, and only valid with, kind `scripted_motion`.
    public var motion: [MotionWaypoint]?
    /// Whether the residual may act in this stage (after the handoff step). Default true.
    public var residual = true
    /// Residual weights for this stage (PLD trains one specialist per subtask); absent = the
    /// run's `residual.weights_path`. Same architecture and inputs as the run's residual.
    public var residualWeightsPath: String?
    /// Waypoints moved through (under the reset's joint speed limit) before a `retry`
    /// re-enters this stage: a re-approach pose. Absent = retry from where the arm is.
    public var retryPose: [MotionWaypoint]?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.required(.name)
        timeoutS = try c.required(.timeoutS)
        prompt = try c.optional(.prompt)
        kind = try c.value(.kind, default: kind)
        success = try c.optional(.success)
        failure = try c.optional(.failure)
        retries = try c.value(.retries, default: retries)
        onSuccess = try c.value(.onSuccess, default: onSuccess)
        onFailure = try c.value(.onFailure, default: onFailure)
        onTimeout = try c.value(.onTimeout, default: onTimeout)
        gates = try c.value(.gates, default: gates)
        motion = try c.optional(.motion)
        residual = try c.value(.residual, default: residual)
        residualWeightsPath = try c.optional(.residualWeightsPath)
        retryPose = try c.optional(.retryPose)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.name(name, path["name"])
        v.check(!StageTransition.reservedWords.contains(name), path["name"], "`\(name)` is a reserved transition word; choose another stage name")
        if let prompt { v.check(!prompt.isEmpty, path["prompt"], "must not be empty (omit it to use the task prompt)") }
        v.range(timeoutS, .leftOpen(0, 3600), path["timeout_s"], unit: "s")
        v.range(retries, .closed(0, 100), path["retries"])
        success?.validate(at: path["success"], into: &v)
        failure?.validate(at: path["failure"], into: &v)
        if let residualWeightsPath {
            v.check(residualWeightsPath.hasSuffix(".safetensors"), path["residual_weights_path"], "expected a .safetensors file, found \(ScalarText.quoted(residualWeightsPath))")
        }
        if let retryPose {
            v.check(!retryPose.isEmpty, path["retry_pose"], "must list at least one waypoint (omit it to retry from where the arm is)")
            for (index, waypoint) in retryPose.enumerated() { waypoint.validate(at: path["retry_pose"][index], into: &v) }
            v.check(retries > 0, path["retry_pose"], "only used by retries; the stage has retries: 0")
        }
        switch kind {
        case .policy:
            v.check(success != nil, path["success"], "a policy stage needs a success classifier")
            v.check(motion == nil, path["motion"], "only valid for kind scripted_motion")
        case .scriptedMotion:
            if let motion {
                v.check(!motion.isEmpty, path["motion"], "must list at least one waypoint")
                for (index, waypoint) in motion.enumerated() {
                    waypoint.validate(at: path["motion"][index], into: &v)
                }
            } else {
                v.fail(path["motion"], "a scripted_motion stage needs motion waypoints")
            }
        }
    }
}

/// Fires when a classifier's score stays at or above `threshold` for `debounce_ticks`
/// consecutive ticks (HIL-SERL latches stages at 0.75).
public struct StageTrigger: Codable, Sendable, Equatable {
    public var classifier: String
    /// In (0, 1). Default 0.75.
    public var threshold = 0.75
    /// Default 3.
    public var debounceTicks = 3
    /// Comparisons over arm or feature values that must hold as well, on the same ticks (the
    /// proprioceptive check HIL-SERL adds to its classifier, e.g. the gripper closed on
    /// something). Default [].
    public var require: [ClassifierRule] = []

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        classifier = try c.required(.classifier)
        threshold = try c.value(.threshold, default: threshold)
        debounceTicks = try c.value(.debounceTicks, default: debounceTicks)
        require = try c.value(.require, default: require)
    }

    public init(classifier: String, threshold: Double = 0.75, debounceTicks: Int = 3, require: [ClassifierRule] = []) {
        self.classifier = classifier
        self.threshold = threshold
        self.debounceTicks = debounceTicks
        self.require = require
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(threshold, .open(0, 1), path["threshold"])
        v.range(debounceTicks, .closed(1, 1000), path["debounce_ticks"])
    }
}

/// Where the stage machine goes next. Written as one word: `next` (the following stage; after
/// the last stage this is `succeed`), `retry` (re-enter this stage if retries remain, else
/// `fail`), `succeed` (end the episode as a success), `fail` (end the episode as a failure),
/// `restart` (run the reset, then start again at the first stage, same episode), `abort` (end
/// the episode as aborted and end the run: something an operator must look at), or the name
/// of a stage to jump to.
public enum StageTransition: ConfigStringConvertible, Hashable, CustomStringConvertible {
    case next
    case retry
    case succeed
    case fail
    case restart
    case abort
    case stage(String)

    public static let reservedWords: Set<String> = ["next", "retry", "succeed", "fail", "restart", "abort"]

    public init(configString text: String) throws(ConfigValueError) {
        switch text {
        case "next": self = .next
        case "retry": self = .retry
        case "succeed": self = .succeed
        case "fail": self = .fail
        case "restart": self = .restart
        case "abort": self = .abort
        default:
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
                throw ConfigValueError("expected next, retry, succeed, fail, restart, abort or a stage name, found \(ScalarText.quoted(text))")
            }
            self = .stage(text)
        }
    }

    public var configString: String {
        switch self {
        case .next: return "next"
        case .retry: return "retry"
        case .succeed: return "succeed"
        case .fail: return "fail"
        case .restart: return "restart"
        case .abort: return "abort"
        case .stage(let name): return name
        }
    }

    public var description: String { configString }
}

public enum GateKind: String, ConfigEnum {
    /// The arm's gripper is open (normalised position below 0.1).
    case gripperOpen = "gripper_open"
    /// The arm's gripper is closed.
    case gripperClosed = "gripper_closed"
    /// The gripper holds nothing (open, or closed all the way).
    case gripperEmpty = "gripper_empty"
    /// The gripper stopped closing on an object.
    case gripperHolding = "gripper_holding"
    /// A classifier's score is below `threshold`.
    case classifierBelow = "classifier_below"
    /// A classifier's score is at or above `threshold`.
    case classifierAbove = "classifier_above"
    /// The arm is within `tolerance_rad` of `joints_rad` on every joint.
    case jointsNear = "joints_near"
}

/// A condition that must hold before a stage or a reset may start (ENPIRE's lesson: refuse to
/// reset while holding something unexpected).
public struct GateCondition: Codable, Sendable, Equatable {
    public var kind: GateKind
    /// For gripper_* and joints_near.
    public var arm: String?
    /// For classifier_*.
    public var classifier: String?
    /// For classifier_*, in (0, 1).
    public var threshold: Double?
    /// For joints_near, one per joint.
    public var jointsRad: [Double]?
    /// For joints_near. Default 0.05 rad.
    public var toleranceRad: Double?

    public init(kind: GateKind, arm: String? = nil, classifier: String? = nil, threshold: Double? = nil,
                jointsRad: [Double]? = nil, toleranceRad: Double? = nil) {
        self.kind = kind
        self.arm = arm
        self.classifier = classifier
        self.threshold = threshold
        self.jointsRad = jointsRad
        self.toleranceRad = toleranceRad
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        switch kind {
        case .gripperOpen, .gripperClosed, .gripperEmpty, .gripperHolding:
            v.check(arm != nil, path["arm"], "gate \(kind.rawValue) needs an arm")
            v.check(classifier == nil, path["classifier"], "not valid for gate \(kind.rawValue)")
            v.check(threshold == nil, path["threshold"], "not valid for gate \(kind.rawValue)")
            v.check(jointsRad == nil, path["joints_rad"], "not valid for gate \(kind.rawValue)")
            v.check(toleranceRad == nil, path["tolerance_rad"], "not valid for gate \(kind.rawValue)")
        case .classifierBelow, .classifierAbove:
            v.check(classifier != nil, path["classifier"], "gate \(kind.rawValue) needs a classifier")
            if let threshold { v.range(threshold, .open(0, 1), path["threshold"]) } else {
                v.fail(path["threshold"], "gate \(kind.rawValue) needs a threshold")
            }
            v.check(arm == nil, path["arm"], "not valid for gate \(kind.rawValue)")
            v.check(jointsRad == nil, path["joints_rad"], "not valid for gate \(kind.rawValue)")
            v.check(toleranceRad == nil, path["tolerance_rad"], "not valid for gate \(kind.rawValue)")
        case .jointsNear:
            v.check(arm != nil, path["arm"], "gate joints_near needs an arm")
            v.check(jointsRad != nil, path["joints_rad"], "gate joints_near needs joints_rad")
            if let toleranceRad { v.range(toleranceRad, .leftOpen(0, 1), path["tolerance_rad"], unit: "rad") }
            v.check(classifier == nil, path["classifier"], "not valid for gate joints_near")
            v.check(threshold == nil, path["threshold"], "not valid for gate joints_near")
        }
    }
}

/// One joint-space waypoint of a scripted motion, reached by linear interpolation.
public struct MotionWaypoint: Codable, Sendable, Equatable {
    public var arm: String
    public var jointsRad: [Double]
    /// Normalised gripper target, 0 open … 1 closed. Absent = keep.
    public var gripper: Double?
    /// Time to reach the waypoint, s.
    public var durationS: Double

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(durationS, .leftOpen(0, 120), path["duration_s"], unit: "s")
        if let gripper { v.range(gripper, .closed(0, 1), path["gripper"]) }
    }
}
