import Drivers
import Foundation
import PLDCore
import Policies
import Recording
import Safety

/// Builds a run's recorder from its config: the layout (names and sizes of everything an
/// episode records), the per-run metadata (hashes, seeds, prompt), the run directory and the
/// camera frame source.
enum RunRecording {
    struct Built {
        var recorder: Recorder
        /// For each recorded camera, its index among the config's cameras (the sensor hub's order).
        var cameraIndices: [Int]
    }

    static func make(
        loaded: LoadedConfig<RobotConfig>, options: RunOptions, safety: SafetyChain, sensors: SensorHub, worker: PolicyWorker,
        residualWeights: String?, stageNames: [String]
    ) throws(RuntimeError) -> Built {
        let config = loaded.value
        let cameraIndices = config.recordedCameraNames.compactMap { name in config.cameras.firstIndex { $0.name == name } }
        var layout: RecordingLayout
        do {
            layout = try RecordingLayout(
                arms: config.arms.map { arm in
                    let segment = config.actionSpace.segments.first { $0.arm == arm.name }
                    return .init(name: arm.name, jointCount: arm.jointCount, hasGripper: arm.hasGripper,
                                 isEndEffectorDelta: segment?.kind == .eeDelta)
                },
                actionNames: actionNames(config), cameras: cameraIndices.map { config.cameras[$0] }.map {
                    .init(name: $0.name, width: $0.width, height: $0.height)
                },
                features: config.features.map { .init(name: $0.name, dims: $0.dims, labels: $0.labels) },
                classifierNames: config.classifiers.map(\.name),
                safetyKindNames: (0..<32).compactMap { SafetyEventKind(ordinal: $0)?.rawValue },
                safetyStageNames: SafetyStage.allCases.sorted { $0.rawValue < $1.rawValue }.map { snakeCase(String(describing: $0)) },
                fps: config.control.rateHz, speed: options.speed)
            layout.taskStageNames = stageNames
        } catch {
            throw RuntimeError(error.description)
        }

        let configHash = ContentHash.sha256Hex(loaded.source.rawBytes)
        let calibrationHash: String
        do {
            calibrationHash = try CellCalibration.load(loaded).calibrationHash
        } catch {
            throw RuntimeError("\(error)")
        }
        var residualHash = "zero-init"
        if let residualWeights {
            guard let bytes = FileManager.default.contents(atPath: residualWeights) else {
                throw RuntimeError("\(residualWeights): cannot read the residual weights to hash them")
            }
            residualHash = ContentHash.sha256Hex(Array(bytes))
        }
        let metadata = RecordingMetadata(
            prompt: config.task, robotType: config.robotType, configName: config.name, configHash: configHash,
            calibrationHash: calibrationHash, residualHash: residualHash, xi: config.residual.xi, alpha: config.handoff.alpha,
            handoffSeed: Int64(bitPattern: config.handoff.seed), residualSeed: Int64(bitPattern: config.residual.seed),
            softwareVersion: SoftwareVersion.current,
            policyMetadataJSON: { [worker] in PolicyMetadataJSON.render(worker.status().metadata) })

        let directory = options.outDirectory ?? defaultDirectory(config)
        let run: RunDirectory
        do {
            run = try RunDirectory(path: directory, identity: RunIdentity(
                configName: config.name, configHash: configHash, robotType: config.robotType,
                configBytes: loaded.source.rawBytes, softwareVersion: SoftwareVersion.current))
        } catch {
            throw RuntimeError(error.description)
        }
        let recorder = Recorder(
            run: run, layout: layout, metadata: metadata, config: config.recording, frames: SensorFrames(sensors),
            maxEpisodeSteps: config.control.maxEpisodeSteps)
        return Built(recorder: recorder, cameraIndices: cameraIndices)
    }

    /// `<recording.output_dir>/<name>-<UTC yyyymmdd-hhmmss>`.
    static func defaultDirectory(_ config: RobotConfig) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return (config.recording.outputDir as NSString).appendingPathComponent("\(config.name)-\(formatter.string(from: Date()))")
    }

    /// D names: `<arm>.dx … <arm>.rz` for ee_delta, `<arm>.joint_<i>` for joint targets, then
    /// `<arm>.gripper`.
    static func actionNames(_ config: RobotConfig) -> [String] {
        var names: [String] = []
        for segment in config.actionSpace.segments {
            guard let arm = config.arms.first(where: { $0.name == segment.arm }) else { continue }
            switch segment.kind {
            case .eeDelta: names += ["dx", "dy", "dz", "rx", "ry", "rz"].map { "\(arm.name).\($0)" }
            case .jointPosition: names += (0..<arm.jointCount).map { "\(arm.name).joint_\($0)" }
            }
            if arm.hasGripper { names.append("\(arm.name).gripper") }
        }
        return names
    }

    static func snakeCase(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// The sensor hub's kept frames, as the recorder asks for them.
struct SensorFrames: CameraFrameSource {
    let hub: SensorHub
    init(_ hub: SensorHub) { self.hub = hub }

    func recordedFrame(camera: String, sequence: UInt64) -> (rgb: [UInt8], width: Int, height: Int)? {
        hub.recordedFrame(camera: camera, sequence: sequence).map { ($0.rgb, $0.width, $0.height) }
    }
}
