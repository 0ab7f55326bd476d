/// One robot + task: everything `pld run --config RobotConfigs/<name>.yaml` needs (DESIGN.md
/// §4–9). Shipped, fully commented examples live in `RobotConfigs/`.
///
/// Load with `RobotConfig.load(path:)` (decodes strictly, then validates; throws
/// `ConfigError`), or `RobotConfig.loadWithSource(path:)` to keep the file's bytes and line
/// index (for hashing into recordings and for citing lines later).
///
/// Value type; safe to share between threads.
public struct RobotConfig: ConfigDocument {
    /// Lowercase identifier; names the run's sockets and directories.
    public var name: String
    /// Free text for humans.
    public var description = ""
    /// Robot type recorded in datasets (LeRobot `robot_type`), e.g. `franka`, `bi_yam`.
    public var robotType: String
    /// Task prompt; the base policy's prompt unless a stage overrides it.
    public var task: String
    public var control: ControlConfig
    /// At least one.
    public var arms: [ArmConfig]
    public var actionSpace: ActionSpaceConfig
    public var safety = SafetyConfig()
    public var cameras: [CameraConfig] = []
    public var features: [FeatureConfig] = []
    public var policy: PolicyConfig
    public var residual = ResidualConfig()
    public var handoff = HandoffConfig()
    public var learner = LearnerConfig()
    public var classifiers: [ClassifierConfig] = []
    /// Empty = single-stage task: one policy stage with the `task` prompt that ends on
    /// `success` or at `control.max_episode_steps`.
    public var stages: [StageConfig] = []
    /// Single-stage tasks only: the classifier that ends the episode as a success. With
    /// stages, each stage has its own.
    public var success: StageTrigger?
    /// Absent = no automatic reset (the run stops after each episode for an operator).
    public var reset: ResetConfig?
    public var recording = RecordingConfig()
    public var `operator` = OperatorConfig()

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.required(.name)
        robotType = try c.required(.robotType)
        task = try c.required(.task)
        control = try c.required(.control)
        arms = try c.required(.arms)
        actionSpace = try c.required(.actionSpace)
        policy = try c.required(.policy)
        description = try c.value(.description, default: description)
        safety = try c.value(.safety, default: safety)
        cameras = try c.value(.cameras, default: cameras)
        features = try c.value(.features, default: features)
        residual = try c.value(.residual, default: residual)
        handoff = try c.value(.handoff, default: handoff)
        learner = try c.value(.learner, default: learner)
        classifiers = try c.value(.classifiers, default: classifiers)
        stages = try c.value(.stages, default: stages)
        success = try c.optional(.success)
        reset = try c.optional(.reset)
        recording = try c.value(.recording, default: recording)
        `operator` = try c.value(.operator, default: `operator`)
    }

    // MARK: Lookups

    public func arm(named name: String) -> ArmConfig? { arms.first { $0.name == name } }
    public func camera(named name: String) -> CameraConfig? { cameras.first { $0.name == name } }
    public func feature(named name: String) -> FeatureConfig? { features.first { $0.name == name } }
    public func classifier(named name: String) -> ClassifierConfig? { classifiers.first { $0.name == name } }
    public func stage(named name: String) -> StageConfig? { stages.first { $0.name == name } }

    /// Width of the full action vector (sum of the segments).
    public var actionDimension: Int {
        actionSpace.segments.reduce(0) { total, segment in
            guard let arm = arm(named: segment.arm) else { return total }
            return total + segment.dimension(jointCount: arm.jointCount, hasGripper: arm.hasGripper)
        }
    }

    /// Width of a non-image source, or nil when it refers to nothing (or to a camera).
    public func dimension(of source: ObservationSource) -> Int? {
        switch source {
        case .camera:
            return nil
        case .feature(let name):
            return feature(named: name)?.dims
        case .arm(let name, let field):
            guard let arm = arm(named: name) else { return nil }
            switch field {
            case .jointPosition, .jointVelocity: return arm.jointCount
            case .gripperPosition: return arm.hasGripper ? 1 : nil
            case .eePosition, .eeAxisAngle: return 3
            case .eeQuaternion: return 4
            }
        }
    }
}
