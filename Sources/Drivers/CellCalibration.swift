import PLDCore

/// The calibration a robot config runs with (joint offsets, gripper ranges, base poses, cameras),
/// and the SHA-256 hashes episodes record to say exactly what was loaded.
///
/// Hashes (lowercase hex):
/// - `configHash`: the robot config file's exact bytes;
/// - `canonicalConfigHash`: its canonical JSON (defaults filled in, comments and layout
///   ignored), to tell "same effective config" from "same file";
/// - `files[].sha256`: each calibration file's exact bytes;
/// - `calibrationHash`: one line per arm, in config order, `arm <name> entry <entry> sha256
///   <file hash>` (or `arm <name> uncalibrated`), hashed together: it changes when any byte of a
///   referenced calibration file changes, or when an arm points at another entry or file, and
///   not when a file is merely moved.
///
/// A value type, immutable after loading; safe to share between threads. Load it at setup.
public struct CellCalibration: Sendable {
    /// One loaded calibration file.
    public struct File: Sendable, Equatable {
        /// As written in the robot config (`arms[].calibration.file`).
        public var path: String
        /// Resolved against the robot config's directory.
        public var resolvedPath: String
        public var sha256: String
        public var byteCount: Int
        /// The calibration's own `name`.
        public var name: String
    }

    /// What applies to one arm of the robot config.
    public struct Arm: Sendable {
        /// The robot config's arm name.
        public var name: String
        /// Calibration file (as written) and entry; nil for an uncalibrated arm.
        public var file: String?
        public var entry: String?
        /// Zero offsets when uncalibrated.
        public var jointOffsets: JointOffsets
        /// Pose of the arm's base frame in the world frame, 4×4 column-major (identity when
        /// uncalibrated).
        public var worldFromBase: InlineArray<16, Double>
        public var gripperRange: GripperRange?
    }

    public let configFile: String
    public let configHash: String
    public let canonicalConfigHash: String
    public let files: [File]
    public let calibrationHash: String
    /// In robot-config order.
    public let arms: [Arm]
    /// Camera calibrations (intrinsics, extrinsics) by camera name, from the loaded files.
    public let cameras: [String: CameraCalibration]

    /// Loads every calibration file `config` references (`LoadedConfig.loadCalibrations()`:
    /// validated, and checked against the robot config) and hashes everything.
    public static func load(_ config: LoadedConfig<RobotConfig>) throws(ConfigError) -> CellCalibration {
        CellCalibration(config: config, calibrations: try config.loadCalibrations())
    }

    /// From calibrations loaded already, keyed by the path as written in the robot config.
    public init(config: LoadedConfig<RobotConfig>, calibrations: [String: LoadedConfig<CalibrationConfig>]) {
        configFile = config.source.file
        configHash = ContentHash.sha256Hex(config.source.rawBytes)
        canonicalConfigHash = ContentHash.sha256Hex(config.canonicalJSON().utf8)
        files = calibrations.keys.sorted().map { path in
            let loaded = calibrations[path]!
            return File(
                path: path, resolvedPath: loaded.source.file, sha256: ContentHash.sha256Hex(loaded.source.rawBytes),
                byteCount: loaded.source.rawBytes.count, name: loaded.value.name)
        }
        var lines = ""
        var arms: [Arm] = []
        for arm in config.value.arms {
            if let reference = arm.calibration, let loaded = calibrations[reference.file],
                let entry = loaded.value.arm(named: reference.arm ?? arm.name)
            {
                let file = files.first { $0.path == reference.file }!
                lines += "arm \(arm.name) entry \(entry.name) sha256 \(file.sha256)\n"
                arms.append(Arm(
                    name: arm.name, file: reference.file, entry: entry.name, jointOffsets: JointOffsets(entry.jointOffsetsRad),
                    worldFromBase: Self.transform(entry.basePose), gripperRange: entry.gripperRange))
            } else {
                lines += "arm \(arm.name) uncalibrated\n"
                arms.append(Arm(
                    name: arm.name, file: nil, entry: nil, jointOffsets: JointOffsets(zeroFor: arm.jointCount),
                    worldFromBase: Transform4x4.identity, gripperRange: nil))
            }
        }
        self.arms = arms
        calibrationHash = ContentHash.sha256Hex(lines.utf8)
        var cameras: [String: CameraCalibration] = [:]
        for path in calibrations.keys.sorted() {
            for camera in calibrations[path]!.value.cameras where cameras[camera.name] == nil { cameras[camera.name] = camera }
        }
        self.cameras = cameras
    }

    public func arm(named name: String) -> Arm? { arms.first { $0.name == name } }

    /// The pose of arm `to`'s base in arm `from`'s base frame (`inverse(world_T_from) ·
    /// world_T_to`), 4×4 column-major: the base-to-base transform of a bimanual rig. nil when
    /// either arm is unknown.
    public func baseTransform(from: String, to: String) -> InlineArray<16, Double>? {
        guard let a = arm(named: from), let b = arm(named: to) else { return nil }
        return Transform4x4.multiply(Transform4x4.inverse(a.worldFromBase), b.worldFromBase)
    }

    /// What an episode records: file → hash, plus the combined hashes.
    public var hashRecord: [String: String] {
        var record = ["config_sha256": configHash, "config_canonical_sha256": canonicalConfigHash, "calibration_sha256": calibrationHash]
        for file in files { record["calibration_file_sha256:\(file.path)"] = file.sha256 }
        return record
    }

    static func transform(_ pose: PoseConfig) -> InlineArray<16, Double> {
        let p = pose.positionM.count == 3 ? (pose.positionM[0], pose.positionM[1], pose.positionM[2]) : (0, 0, 0)
        let q = pose.orientationWxyz
        return Transform4x4.from(position: p, quaternionWxyz: (q[0], q[1], q[2], q[3]))
    }
}
