import PLDCore

/// The shape of every episode of a run: which arms, cameras, features and classifiers, with
/// their names and sizes. Fixed when the run starts; the episode files' datasets follow it.
public struct RecordingLayout: Sendable {
    public struct Arm: Sendable {
        public var name: String
        public var jointCount: Int
        public var hasGripper: Bool
        /// `ee_delta` arms record a 7-wide command, joint arms `jointCount + 1`.
        public var isEndEffectorDelta: Bool

        public init(name: String, jointCount: Int, hasGripper: Bool, isEndEffectorDelta: Bool) {
            self.name = name
            self.jointCount = jointCount
            self.hasGripper = hasGripper
            self.isEndEffectorDelta = isEndEffectorDelta
        }

        public var commandWidth: Int { isEndEffectorDelta ? 7 : jointCount + 1 }

        public var commandNames: [String] {
            (isEndEffectorDelta ? ["dx_m", "dy_m", "dz_m", "rx_rad", "ry_rad", "rz_rad"] : (0..<jointCount).map { "joint_\($0)_rad" })
                .map { "\(name).\($0)" } + ["\(name).gripper"]
        }
    }

    public struct Camera: Sendable {
        public var name: String
        public var width: Int
        public var height: Int

        public init(name: String, width: Int, height: Int) {
            self.name = name
            self.width = width
            self.height = height
        }
    }

    public struct Feature: Sendable {
        public var name: String
        public var dims: Int
        public var labels: [String]?

        public init(name: String, dims: Int, labels: [String]?) {
            self.name = name
            self.dims = dims
            self.labels = labels
        }
    }

    public var arms: [Arm]
    /// D names, e.g. `franka.dx … franka.gripper`.
    public var actionNames: [String]
    public var cameras: [Camera]
    public var features: [Feature]
    /// Where each feature stream starts in `TickRecord.features` (prefix sums of dims).
    public var featureOffsets: [Int] { FeatureLimits.offsets(dims: features.map(\.dims)) }
    public var classifierNames: [String]
    /// The task's stages, in config order (`/stage` indexes it); ["task"] for a single-stage task.
    public var taskStageNames: [String] = ["task"]
    /// Names of the safety chain's event kinds and stages, by the indices in
    /// `RecordedSafetyEvent`.
    public var safetyKindNames: [String]
    public var safetyStageNames: [String]
    /// Control rate, Hz.
    public var fps: Double
    /// `--speed` (sim seconds per wall second; 1 on hardware).
    public var speed: Double

    public init(
        arms: [Arm], actionNames: [String], cameras: [Camera], features: [Feature], classifierNames: [String],
        safetyKindNames: [String], safetyStageNames: [String], fps: Double, speed: Double
    ) throws(RecordingError) {
        guard (1...recordMaxArms).contains(arms.count) else { throw RecordingError("recording: \(arms.count) arms; at most \(recordMaxArms)") }
        guard cameras.count <= recordMaxCameras else { throw RecordingError("recording: \(cameras.count) cameras; at most \(recordMaxCameras)") }
        guard features.count <= FeatureLimits.streams else {
            throw RecordingError("recording: \(features.count) feature streams; at most \(FeatureLimits.streams)")
        }
        let featureValues = features.reduce(0) { $0 + $1.dims }
        guard features.allSatisfy({ $0.dims >= 1 }), featureValues <= recordFeatureValues else {
            throw RecordingError("recording: the feature streams carry \(featureValues) values; 1...\(recordFeatureValues) in total are recorded")
        }
        guard classifierNames.count <= recordMaxClassifiers else {
            throw RecordingError("recording: \(classifierNames.count) classifiers; at most \(recordMaxClassifiers)")
        }
        guard actionNames.count <= actionMaxDimensions else { throw RecordingError("recording: action width \(actionNames.count) > \(actionMaxDimensions)") }
        for arm in arms where !(1...8).contains(arm.jointCount) {
            throw RecordingError("recording: arm \(arm.name) has \(arm.jointCount) joints; 1...8 are recorded")
        }
        for camera in cameras where camera.width <= 0 || camera.height <= 0 {
            throw RecordingError("recording: camera \(camera.name) has size \(camera.width)×\(camera.height)")
        }
        guard fps.isFinite, fps > 0, speed.isFinite, speed > 0 else { throw RecordingError("recording: fps \(fps) and speed \(speed) must be positive") }
        self.arms = arms
        self.actionNames = actionNames
        self.cameras = cameras
        self.features = features
        self.classifierNames = classifierNames
        self.safetyKindNames = safetyKindNames
        self.safetyStageNames = safetyStageNames
        self.fps = fps
        self.speed = speed
    }

    public var jointCount: Int { arms.reduce(0) { $0 + $1.jointCount } }
    public var actionWidth: Int { actionNames.count }
    public var jointNames: [String] { arms.flatMap { arm in (0..<arm.jointCount).map { "\(arm.name).joint_\($0)" } } }
}

/// Per-run facts every episode file carries as attributes.
public struct RecordingMetadata: Sendable {
    public var prompt: String
    public var robotType: String
    public var configName: String
    /// SHA-256 hex of the robot config's bytes.
    public var configHash: String
    public var calibrationHash: String
    /// SHA-256 hex of the residual weights file, or `zero-init`.
    public var residualHash: String
    public var xi: Double
    public var alpha: Double
    public var handoffSeed: Int64
    public var residualSeed: Int64
    public var softwareVersion: String
    /// The base policy server's metadata as JSON, read on the recorder thread when an episode
    /// opens (it can change on reconnect).
    public var policyMetadataJSON: @Sendable () -> String

    public init(
        prompt: String, robotType: String, configName: String, configHash: String, calibrationHash: String,
        residualHash: String, xi: Double, alpha: Double, handoffSeed: Int64, residualSeed: Int64, softwareVersion: String,
        policyMetadataJSON: @escaping @Sendable () -> String
    ) {
        self.prompt = prompt
        self.robotType = robotType
        self.configName = configName
        self.configHash = configHash
        self.calibrationHash = calibrationHash
        self.residualHash = residualHash
        self.xi = xi
        self.alpha = alpha
        self.handoffSeed = handoffSeed
        self.residualSeed = residualSeed
        self.softwareVersion = softwareVersion
        self.policyMetadataJSON = policyMetadataJSON
    }
}

/// One line naming what failed (the run directory, an episode file, a video encoder).
public struct RecordingError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The disk (or a file-size limit) is full.
    public var isOutOfSpace: Bool

    public init(_ description: String, isOutOfSpace: Bool = false) {
        self.description = description
        self.isOutOfSpace = isOutOfSpace
    }

    init(_ error: HDF5Error) {
        self.init(error.description, isOutOfSpace: error.isOutOfSpace)
    }
}
