import Foundation
import Glibc
import PLDCore

/// Writes one episode: its HDF5 file and its videos, under `.partial` names until `close`.
///
/// Rows are buffered and appended `blockRows` at a time (frames stored raw are appended as
/// they come: one chunk per frame). `close` writes the attributes, flushes and fsyncs, finishes
/// the videos and renames everything into place; `abandon` moves what exists to
/// `incomplete/`. The datasets follow EpisodeFormat.md.
///
/// Threading: the recorder thread only.
final class EpisodeWriter {
    static let blockRows = 16

    let episode: Int
    let relativePath: String
    private let partialPath: String
    private let run: RunDirectory
    private let layout: RecordingLayout
    private let config: RecordingConfig
    private let opening: EpisodeOpening
    private let file: HDF5File

    private let timestamp: Column<Double>
    private let qpos: Column<Double>
    private let qvel: Column<Double>
    private let gripper: Column<Double>
    private let eePose: Column<Double>
    private let features: [Column<Double>]
    private let sequences: [Column<UInt64>]
    private let frameRefs: [Column<Int64>]
    private let rawFrames: [HDF5Dataset]
    private var encoders: [VideoEncoder?]
    private let action: Column<Double>
    private let baseAction: Column<Double>
    private let residualAction: Column<Double>
    private let residualActive: Column<UInt8>
    private let policyStall: Column<UInt8>
    private let commands: [Column<Double>]
    private let commandHold: Column<UInt8>
    private let stage: Column<Int32>
    private let reward: Column<Double>
    private let done: Column<UInt8>
    private let classifiers: [Column<Double>]
    private let safetyCount: Column<Int32>
    private var columns: [any EpisodeColumn] = []
    private var safetyRows: [UInt8] = []
    private var blackFrames: [[UInt8]]
    private var stagesSeen: [Int] = []

    private(set) var steps = 0
    private(set) var framesMissing = 0
    private var closed = false

    /// Bytes of one `/safety_events` row (step i64, kind S24, stage S24, arm i32, element i32,
    /// requested f64, applied f64).
    static let safetyRowBytes = 80

    init(run: RunDirectory, layout: RecordingLayout, config: RecordingConfig, opening: EpisodeOpening, reserveSteps: Int) throws(RecordingError) {
        episode = Int(opening.episode)
        self.run = run
        self.layout = layout
        self.config = config
        self.opening = opening
        relativePath = run.episodeRelativePath(episode)
        partialPath = run.url(relativePath + ".partial")
        let file: HDF5File
        do {
            file = try HDF5File.create(at: partialPath)
        } catch {
            throw RecordingError(error)
        }
        self.file = file
        let rows = min(reserveSteps, Self.blockRows)
        let j = layout.jointCount, a = layout.arms.count, d = layout.actionWidth
        func make<T>(_ path: String, _ type: HDF5Type, _ shape: [Int], names: [String]? = nil) throws(HDF5Error) -> Column<T> {
            let dataset = try file.createAppendable(path, type: type, rowShape: shape, chunkRows: 256)
            if let names { try file.setAttribute("names", .strings(names), on: path) }
            return Column<T>(dataset, reserveRows: rows)
        }
        do {
            timestamp = try make("/timestamp", .float64, [])
            qpos = try make("/observations/qpos", .float64, [j], names: layout.jointNames)
            qvel = try make("/observations/qvel", .float64, [j], names: layout.jointNames)
            gripper = try make("/observations/gripper", .float64, [a], names: layout.arms.map { "\($0.name).gripper" })
            eePose = try make(
                "/observations/ee_pose", .float64, [7 * a],
                names: layout.arms.flatMap { arm in ["x_m", "y_m", "z_m", "qw", "qx", "qy", "qz"].map { "\(arm.name).\($0)" } })
            var featureColumns: [Column<Double>] = []
            for feature in layout.features {
                let names = feature.labels ?? (0..<feature.dims).map { "\(feature.name)_\($0)" }
                featureColumns.append(try make("/observations/features/\(feature.name)", .float64, [feature.dims], names: names))
            }
            features = featureColumns
            var sequenceColumns: [Column<UInt64>] = [], refColumns: [Column<Int64>] = [], raw: [HDF5Dataset] = []
            var encoders: [VideoEncoder?] = []
            for camera in layout.cameras {
                sequenceColumns.append(try make("/observations/camera_sequence/\(camera.name)", .uint64, []))
                let imagePath = "/observations/images/\(camera.name)"
                if config.video.codec == .raw {
                    raw.append(try file.createAppendable(
                        imagePath, type: .uint8, rowShape: [camera.height, camera.width, 3], chunkRows: 1,
                        deflateLevel: config.rawCompressionLevel > 0 ? config.rawCompressionLevel : nil))
                    encoders.append(nil)
                } else {
                    let refs: Column<Int64> = try make(imagePath, .int64, [])
                    let video = run.videoRelativePath(camera: camera.name, episode: episode)
                    try file.setAttribute("video_path", .string(video), on: imagePath)
                    try file.setAttribute("codec", .string(config.video.codec.rawValue), on: imagePath)
                    try file.setAttribute("pix_fmt", .string(config.video.pixelFormat.rawValue), on: imagePath)
                    try file.setAttribute("width", .int64(Int64(camera.width)), on: imagePath)
                    try file.setAttribute("height", .int64(Int64(camera.height)), on: imagePath)
                    try file.setAttribute("fps", .float64(layout.fps), on: imagePath)
                    refColumns.append(refs)
                    encoders.append(nil)
                }
            }
            sequences = sequenceColumns
            frameRefs = refColumns
            rawFrames = raw
            self.encoders = encoders
            action = try make("/action", .float64, [d], names: layout.actionNames)
            baseAction = try make("/base_action", .float64, [d], names: layout.actionNames)
            residualAction = try make("/residual_action", .float64, [d], names: layout.actionNames)
            residualActive = try make("/residual_active", .boolean, [])
            policyStall = try make("/policy_stall", .boolean, [])
            commands = try layout.arms.map { (arm) throws(HDF5Error) in
                try make("/command/\(arm.name)", .float64, [arm.commandWidth], names: arm.commandNames)
            }
            commandHold = try make("/command_hold", .boolean, [a], names: layout.arms.map(\.name))
            stage = try make("/stage", .int32, [])
            reward = try make("/reward", .float64, [])
            done = try make("/done", .boolean, [])
            classifiers = try layout.classifierNames.map { (name) throws(HDF5Error) in try make("/classifier/\(name)", .float64, []) }
            safetyCount = try make("/safety_event_count", .int32, [])
        } catch {
            try? file.close()
            unlink(partialPath)
            throw RecordingError(error)
        }
        columns = [timestamp, qpos, qvel, gripper, eePose] + features + sequences + frameRefs
            + [action, baseAction, residualAction, residualActive, policyStall] + commands
            + [commandHold, stage, reward, done] + classifiers + [safetyCount]
        blackFrames = layout.cameras.map { [UInt8](repeating: 0, count: $0.width * $0.height * 3) }
        // Encoders last: a failure above leaves no child process behind.
        if config.video.codec != .raw {
            for (index, camera) in layout.cameras.enumerated() {
                let video = run.url(run.videoRelativePath(camera: camera.name, episode: episode))
                do {
                    try RunDirectory.makeDirectory((video as NSString).deletingLastPathComponent)
                    self.encoders[index] = try VideoEncoder(
                        outputPath: video + ".partial", width: camera.width, height: camera.height, fps: layout.fps,
                        config: config.video, logPath: video + ".ffmpeg.log")
                } catch {
                    abandon()
                    throw error
                }
            }
        }
    }

    deinit { if !closed { abandon() } }

    // MARK: Steps

    /// Adds one tick; `frames[c]` is the camera's RGB frame for the tick (nil: black, counted).
    func append(_ record: TickRecord, frames: [[UInt8]?]) throws(RecordingError) {
        do {
            try appendRow(record, frames: frames)
        } catch let error as HDF5Error {
            throw RecordingError(error)
        } catch let error as RecordingError {
            throw error
        } catch {
            throw RecordingError("\(partialPath): \(error)")
        }
    }

    private func appendRow(_ r: TickRecord, frames: [[UInt8]?]) throws {
        timestamp.add(Double(r.tickNanos &- opening.startNanos) * layout.speed / 1e9)
        for (i, arm) in layout.arms.enumerated() {
            let s = r.arms[i]
            for j in 0..<arm.jointCount { qpos.add(s.qRad[j]) }
            for j in 0..<arm.jointCount { qvel.add(s.dqRadPerS[j]) }
            gripper.add(s.gripper)
            let pose = Pose(columnMajor: s.eePose)
            let q = Quaternion(rotation: pose.rotation)
            for value in [pose.translation.x, pose.translation.y, pose.translation.z, q.w, q.x, q.y, q.z] { eePose.add(value) }
            let command = r.commands[i]
            for k in 0..<arm.commandWidth { commands[i].add(command.values[k]) }
            commandHold.add(command.hold ? 1 : 0)
        }
        for (f, feature) in layout.features.enumerated() {
            let offset = layout.featureOffsets[f]
            for k in 0..<feature.dims { features[f].add(r.features[offset + k]) }
        }
        for d in 0..<layout.actionWidth {
            action.add(r.executedAction[d])
            baseAction.add(r.baseAction[d])
            residualAction.add(r.residualAction[d])
        }
        residualActive.add(r.residualActive ? 1 : 0)
        policyStall.add(r.policyStall ? 1 : 0)
        stage.add(r.stage)
        if !stagesSeen.contains(Int(r.stage)) { stagesSeen.append(Int(r.stage)) }
        reward.add(r.reward)
        done.add(r.done ? 1 : 0)
        for k in 0..<layout.classifierNames.count { classifiers[k].add(r.classifierScores[k]) }
        safetyCount.add(r.safetyEventTotal)
        for e in 0..<r.safetyEventCount { appendSafetyRow(step: r.step, r.safetyEvents[e]) }

        for (c, camera) in layout.cameras.enumerated() {
            sequences[c].add(r.cameraSequences[c])
            var frame = frames[c]
            if frame?.count != camera.width * camera.height * 3 { frame = nil }
            if frame == nil { framesMissing += 1 }
            let bytes = frame ?? blackFrames[c]
            if config.video.codec == .raw {
                try rawFrames[c].append(rows: 1, packed: bytes)
            } else {
                frameRefs[c].add(Int64(steps))
                try bytes.withUnsafeBytes { raw in try encoders[c]?.write(frame: raw) }
            }
        }
        steps += 1
        if steps % Self.blockRows == 0 { try flushColumns() }
    }

    private func appendSafetyRow(step: Int, _ event: RecordedSafetyEvent) {
        var row = [UInt8](repeating: 0, count: Self.safetyRowBytes)
        func put<T>(_ value: T, at offset: Int) { withUnsafeBytes(of: value) { row.replaceSubrange(offset..<offset + $0.count, with: $0) } }
        func putString(_ text: String, at offset: Int) {
            let bytes = Array(text.utf8.prefix(24))
            row.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        }
        put(Int64(step), at: 0)
        putString(Int(event.kind) < layout.safetyKindNames.count ? layout.safetyKindNames[Int(event.kind)] : "kind_\(event.kind)", at: 8)
        putString(Int(event.stage) < layout.safetyStageNames.count ? layout.safetyStageNames[Int(event.stage)] : "stage_\(event.stage)", at: 32)
        put(Int32(event.arm), at: 56)
        put(Int32(event.element), at: 60)
        put(event.requested, at: 64)
        put(event.applied, at: 72)
        safetyRows += row
    }

    private func flushColumns() throws(HDF5Error) {
        for column in columns { try column.flush() }
    }

    // MARK: Close

    /// Finishes the episode: remaining rows, safety events, attributes (with the index entry),
    /// flush + fsync + close, videos finished and renamed, then the HDF5 file renamed into
    /// place. Returns the index entry (the caller appends it to the index).
    func close(_ closing: EpisodeClosing, metadata: RecordingMetadata, policyMetadata: String) throws(RecordingError) -> IndexEntry {
        do {
            // `/done` is true on the last step of every episode, also one cut short (e-stop,
            // stop, a failure) whose last tick did not know it was the last.
            if steps > 0 {
                if let last = done.pending.indices.last {
                    done.pending[last] = 1
                } else {
                    try done.dataset.overwrite(row: steps - 1, packed: [1])
                }
            }
            try flushColumns()
            let eventType = try HDF5Type.compound(size: Self.safetyRowBytes, fields: [
                ("step", 0, .int64), ("kind", 8, try .fixedString(bytes: 24)), ("stage", 32, try .fixedString(bytes: 24)),
                ("arm", 56, .int32), ("element", 60, .int32), ("requested", 64, .float64), ("applied", 72, .float64),
            ])
            let events = try file.createAppendable("/safety_events", type: eventType, rowShape: [], chunkRows: 64)
            try events.append(rows: safetyRows.count / Self.safetyRowBytes, packed: safetyRows)
        } catch {
            throw RecordingError(error)
        }

        // Videos first (an episode without frames has no video).
        var videos: [String: String] = [:]
        for (c, camera) in layout.cameras.enumerated() {
            guard let encoder = encoders[c] else { continue }
            encoders[c] = nil
            let relative = run.videoRelativePath(camera: camera.name, episode: episode)
            if encoder.frames == 0 {
                encoder.cancel()
                unlink(encoder.outputPath)
                try? FileManager.default.removeItem(atPath: run.url(relative) + ".ffmpeg.log")
                continue
            }
            try encoder.finish()
            guard rename(encoder.outputPath, run.url(relative)) == 0 else { throw RunDirectory.errnoError("cannot rename into place", encoder.outputPath) }
            try RunDirectory.syncDirectory(of: run.url(relative))
            videos[camera.name] = relative
        }

        let success = closing.outcome == .success
        let durationS = Double(closing.durationNanos) / 1e9
        let stageCount = min(layout.taskStageNames.count, recordMaxStages)
        let stageStats = (0..<stageCount).map { k in
            let s = closing.stageStats[k]
            return IndexEntry.StageStat(
                name: layout.taskStageNames[k], attempts: Int(s.attempts), successes: Int(s.successes),
                failures: Int(s.failures), timeouts: Int(s.timeouts), steps: Int(s.steps))
        }
        var entry = IndexEntry(
            episodeIndex: episode, file: relativePath, length: steps, fps: layout.fps, outcome: closing.outcome.name,
            success: success, abortedReason: closing.abortReason.name, handoffStep: opening.handoffStep,
            residualSteps: closing.residualSteps, stages: stagesSeen.isEmpty ? [0] : stagesSeen, safetyEvents: closing.safetyEvents,
            policyStalls: closing.policyStalls, droppedSteps: closing.droppedSteps, prompt: metadata.prompt, videos: videos,
            startedUnixNs: opening.startedUnixNanos, durationS: durationS, bytes: 0, configHash: metadata.configHash)
        entry.stageStats = stageStats
        let attributes: [(String, HDF5AttributeValue)] = [
            ("layout", .string("pld-episode/1")),
            ("episode_index", .int64(Int64(episode))),
            ("fps", .float64(layout.fps)),
            ("length", .int64(Int64(steps))),
            ("handoff_step", .int64(Int64(opening.handoffStep ?? -1))),
            ("success", .bool(success)),
            ("outcome", .string(closing.outcome.name)),
            ("aborted_reason", .string(closing.abortReason.name ?? "")),
            ("prompt", .string(metadata.prompt)),
            ("robot_type", .string(metadata.robotType)),
            ("config_name", .string(metadata.configName)),
            ("config_hash", .string(metadata.configHash)),
            ("calibration_hash", .string(metadata.calibrationHash)),
            ("residual_hash", .string(metadata.residualHash)),
            ("xi", .float64(metadata.xi)),
            ("alpha", .float64(metadata.alpha)),
            ("seed", .int64(metadata.handoffSeed)),
            ("residual_seed", .int64(metadata.residualSeed)),
            ("policy_metadata", .string(policyMetadata)),
            ("software_version", .string(metadata.softwareVersion)),
            ("hdf5_version", .string(HDF5Library.version)),
            ("arm_names", .strings(layout.arms.map(\.name))),
            ("camera_names", .strings(layout.cameras.map(\.name))),
            ("feature_names", .strings(layout.features.map(\.name))),
            ("classifier_names", .strings(layout.classifierNames)),
            ("stage_names", .strings(stageStats.map(\.name))),
            ("stage_attempts", .int64s(stageStats.map { Int64($0.attempts) })),
            ("stage_successes", .int64s(stageStats.map { Int64($0.successes) })),
            ("stage_failures", .int64s(stageStats.map { Int64($0.failures) })),
            ("stage_timeouts", .int64s(stageStats.map { Int64($0.timeouts) })),
            ("stage_steps", .int64s(stageStats.map { Int64($0.steps) })),
            ("final_stage", .int64(Int64(closing.finalStage))),
            ("residual_version", .int64(Int64(opening.residualVersion))),
            ("learner_warmup", .bool(opening.learnerWarmup)),
            ("action_names", .strings(layout.actionNames)),
            ("residual_steps", .int64(Int64(closing.residualSteps))),
            ("policy_stalls", .int64(Int64(closing.policyStalls))),
            ("safety_events", .int64(Int64(closing.safetyEvents))),
            ("dropped_steps", .int64(Int64(closing.droppedSteps))),
            ("recorder_lagged", .bool(closing.droppedSteps > 0)),
            ("frames_missing", .int64(Int64(framesMissing))),
            ("started_unix_ns", .int64(opening.startedUnixNanos)),
            ("duration_s", .float64(durationS)),
            ("speed", .float64(layout.speed)),
            ("index_entry", .string(entry.jsonLine())),
        ]
        do {
            for (name, value) in attributes { try file.setAttribute(name, value) }
            try file.flushToDisk()
            try file.close()
        } catch {
            throw RecordingError(error)
        }
        let finalPath = run.url(relativePath)
        guard rename(partialPath, finalPath) == 0 else { throw RunDirectory.errnoError("cannot rename into place", partialPath) }
        closed = true
        try RunDirectory.syncDirectory(of: finalPath)
        var info = stat()
        if stat(finalPath, &info) == 0 { entry.bytes = Int(info.st_size) }
        return entry
    }

    /// Gives up on the episode (a write failed): stops the encoders and moves whatever was
    /// written to `incomplete/`. Returns the paths it moved, relative to the run directory.
    @discardableResult
    func abandon() -> [String] {
        guard !closed else { return [] }
        closed = true
        for index in encoders.indices {
            encoders[index]?.cancel()
            encoders[index] = nil
        }
        try? file.close()
        var moved: [String] = []
        let stamp = RunDirectory.unixNanos() / 1_000_000_000
        func moveAside(_ absolute: String, as name: String) {
            guard access(absolute, F_OK) == 0 else { return }
            let target = "incomplete/\(name)"
            if rename(absolute, run.url(target)) == 0 { moved.append(target) }
        }
        moveAside(partialPath, as: String(format: "episode_%06d-\(stamp).hdf5.partial", episode))
        for camera in layout.cameras {
            let video = run.url(run.videoRelativePath(camera: camera.name, episode: episode))
            moveAside(video + ".partial", as: "\(camera.name)-" + String(format: "episode_%06d-\(stamp).mp4.partial", episode))
            moveAside(video + ".ffmpeg.log", as: "\(camera.name)-" + String(format: "episode_%06d-\(stamp).ffmpeg.log", episode))
        }
        return moved
    }
}
