import Foundation
import PLDCore
import Recording
import TestSupport
import Testing

/// The recorder thread end to end on synthetic ticks: what goes into the queue is what h5py
/// (an independent reader) finds in the episode file, with the promised names, shapes and
/// dtypes; videos decode to one frame per step; a full queue drops steps visibly.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RecorderTests {
    static func record(
        into scratch: ScratchRun, episodes: [(steps: Int, handoff: Int?, outcome: RecordedOutcome)], config: RecordingConfig,
        camera: (Int, Int)? = (32, 24), frames: PatternFrames? = nil
    ) throws -> Recorder {
        let run = try scratch.open()
        let layout = try RecordingFixtures.layout(camera: camera)
        let source = frames ?? PatternFrames(width: camera?.0 ?? 1, height: camera?.1 ?? 1)
        let recorder = Recorder(run: run, layout: layout, metadata: RecordingFixtures.metadata, config: config, frames: source, maxEpisodeSteps: 300)
        recorder.start()
        for (offset, episode) in episodes.enumerated() {
            let index = UInt64(run.nextEpisodeIndex + offset)
            #expect(recorder.push(.open(EpisodeOpening(episode: index, handoffStep: episode.handoff, startedUnixNanos: 1_700_000_000_000_000_000, startNanos: 1_000_000_000))))
            for step in 0..<episode.steps {
                var r = RecordingFixtures.record(step: step, handoff: episode.handoff)
                r.done = step == episode.steps - 1 && episode.outcome != .aborted
                r.reward = r.done && episode.outcome == .success ? 1 : 0
                while !recorder.pushStep(r) { usleep(1000) }
            }
            let closing = EpisodeClosing(
                episode: index, outcome: episode.outcome, abortReason: episode.outcome == .aborted ? .estop : .none,
                steps: episode.steps, policyStalls: episode.steps / 10, safetyEvents: 2 * ((episode.steps + 3) / 7),
                residualSteps: episode.handoff.map { max(0, episode.steps - $0) } ?? 0, durationNanos: UInt64(episode.steps) * 50_000_000,
                droppedSteps: 0)
            #expect(recorder.push(.close(closing)))
        }
        recorder.stop()
        return recorder
    }

    static var rawConfig: RecordingConfig {
        var config = RecordingConfig()
        config.video.codec = .raw
        config.video.pixelFormat = .rgb24
        return config
    }

    @Test func whatTheTickQueuedIsWhatH5pyReads() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        let recorder = try Self.record(into: scratch, episodes: [(40, 12, .success), (25, nil, .aborted)], config: Self.rawConfig)
        #expect(recorder.failure == nil)
        #expect(recorder.counters.episodesClosed == 2)
        #expect(recorder.counters.stepsWritten == 65)

        let check = try EpisodeCheck.run(scratch.path, dump: [
            "0:/observations/qpos,/observations/qvel,/observations/gripper,/observations/ee_pose,/observations/features/cube,/action,/base_action,/residual_action,/command/franka,/command_hold,/policy_stall,/classifier/lifted,/timestamp,/safety_event_count,/observations/camera_sequence/wrist",
            "0:/observations/images/wrist",
            "1:/done,/residual_active",
        ])
        #expect(check.problems == [], "\(check.problems)")
        #expect(check.episodes == 2)
        #expect(check.summary.map(\.outcome) == ["success", "aborted"])

        // Every value equals the synthetic tick's, bit for bit (float64 throughout).
        let records = (0..<40).map { RecordingFixtures.record(step: $0, handoff: 12) }
        func column(_ name: String) -> [Double] { check.dump["0:\(name)"]?.flat ?? [] }
        #expect(column("/observations/qpos") == records.flatMap { r in (0..<7).map { r.arms[0].qRad[$0] } })
        #expect(column("/observations/qvel") == records.flatMap { r in (0..<7).map { r.arms[0].dqRadPerS[$0] } })
        #expect(column("/observations/gripper") == records.map { $0.arms[0].gripper })
        #expect(column("/observations/ee_pose") == records.flatMap { r in [r.arms[0].eePose[12], r.arms[0].eePose[13], r.arms[0].eePose[14], 1, 0, 0, 0] })
        #expect(column("/observations/features/cube") == records.flatMap { r in (0..<3).map { r.features[$0] } })
        #expect(column("/action") == records.flatMap { $0.executedAction.array })
        #expect(column("/base_action") == records.flatMap { $0.baseAction.array })
        #expect(column("/residual_action") == records.flatMap { $0.residualAction.array })
        #expect(column("/command/franka") == records.flatMap { r in (0..<7).map { r.commands[0].values[$0] } })
        #expect(column("/command_hold") == records.map { $0.commands[0].hold ? 1 : 0 })
        #expect(column("/policy_stall") == records.map { $0.policyStall ? 1 : 0 })
        #expect(column("/classifier/lifted") == records.map { $0.classifierScores[0] })
        #expect(column("/safety_event_count") == records.map { Double($0.safetyEventTotal) })
        #expect(column("/observations/camera_sequence/wrist") == records.map { Double($0.cameraSequences[0]) })
        // Timestamps: robot seconds since the first tick (50 ms apart here).
        let timestamps = column("/timestamp")
        #expect(timestamps.count == 40 && abs(timestamps[39] - 39 * 0.05) < 1e-9)
        // The frame of each step is the frame with the sequence the tick recorded.
        let images = column("/observations/images/wrist")
        let expected = records.flatMap { PatternFrames.frame(sequence: $0.cameraSequences[0], width: 32, height: 24).map(Double.init) }
        #expect(images == expected)
        // An aborted episode still ends with done on its last step.
        let done = check.dump["1:/done"]?.flat ?? []
        #expect(done.count == 25 && done.last == 1 && done.dropLast().allSatisfy { $0 == 0 })
        #expect(check.dump["1:/residual_active"]?.flat.allSatisfy { $0 == 0 } == true)

        // The index says the same as the files.
        let entries = try RunDirectory.readIndex(runPath: scratch.path)
        #expect(entries.map(\.episodeIndex) == [0, 1])
        #expect(entries[0].handoffStep == 12 && entries[1].handoffStep == nil)
        #expect(entries[1].abortedReason == "estop")
        #expect(entries.allSatisfy { $0.videos.isEmpty && $0.bytes > 0 })
    }

    @Test func safetyEventsAreRowsWithKindAndStageNames() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        _ = try Self.record(into: scratch, episodes: [(20, nil, .timeout)], config: Self.rawConfig, camera: nil)
        let script = """
            import h5py, json, sys
            f = h5py.File(sys.argv[1] + '/episodes/episode_000000.hdf5', 'r')
            e = f['/safety_events'][:]
            print(json.dumps([[int(r['step']), r['kind'].decode(), r['stage'].decode(), int(r['element']), float(r['requested']), float(r['applied'])] for r in e]))
            """
        let result = try PythonPeer.run(PythonPeer.interpreter, ["-c", script, scratch.path])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[Any]] ?? []
        // Steps 3, 10 and 17 raised two events each.
        #expect(rows.count == 6)
        #expect(rows.map { $0[0] as? Int } == [3, 3, 10, 10, 17, 17])
        #expect(rows.first?[1] as? String == "action_clamped")
        #expect(rows.first?[2] as? String == "action_box")
        #expect(rows.first?[4] as? Double == 1.5)
        #expect(rows[1][1] as? String == "step_capped")
    }

    @Test func videoModeWritesOneFramePerStepAndReferencesIt() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        var config = RecordingConfig()
        config.video.codec = .libx264
        let recorder = try Self.record(into: scratch, episodes: [(30, 5, .success)], config: config, camera: (64, 48))
        #expect(recorder.failure == nil, "\(recorder.failure ?? "")")
        let entries = try RunDirectory.readIndex(runPath: scratch.path)
        #expect(entries.first?.videos == ["wrist": "videos/wrist/episode_000000.mp4"])
        // check_episodes.py decodes the mp4 with PyAV and requires exactly `length` frames.
        let check = try EpisodeCheck.run(scratch.path)
        #expect(check.problems == [], "\(check.problems)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/videos/wrist/episode_000000.mp4.partial"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/videos/wrist/episode_000000.mp4.ffmpeg.log"))
    }

    @Test func framesNoLongerHeldAreRecordedBlackAndCounted() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        // Steps 0…3 use sequences 10 and 11; pretend 11 was evicted.
        let frames = PatternFrames(width: 32, height: 24, forgotten: [11])
        let recorder = try Self.record(into: scratch, episodes: [(4, nil, .timeout)], config: Self.rawConfig, frames: frames)
        #expect(recorder.counters.framesMissing == 2)
        let check = try EpisodeCheck.run(scratch.path, dump: ["0:/observations/images/wrist"])
        #expect(check.summary.first?.frames_missing == 2)
        let images = check.dump["0:/observations/images/wrist"]?.flat ?? []
        let frameSize = 32 * 24 * 3
        #expect(images.count == 4 * frameSize)
        #expect(images[(2 * frameSize)..<(4 * frameSize)].allSatisfy { $0 == 0 })
        #expect(images[0..<frameSize].contains { $0 != 0 })
    }

    @Test func aFullQueueRefusesStepsButAlwaysTakesTheClose() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        var config = Self.rawConfig
        config.queueCapacitySteps = 16
        let run = try scratch.open()
        // Not started: nothing drains the queue.
        let recorder = Recorder(run: run, layout: try RecordingFixtures.layout(camera: nil), metadata: RecordingFixtures.metadata,
                                config: config, frames: NoCameraFrames(), maxEpisodeSteps: 100)
        #expect(recorder.canOpenEpisode)
        #expect(recorder.push(.open(EpisodeOpening(episode: 0, handoffStep: nil, startedUnixNanos: 0, startNanos: 0))))
        var accepted = 0
        for step in 0..<40 where recorder.pushStep(RecordingFixtures.record(step: step, handoff: nil)) { accepted += 1 }
        // 16 slots: the open, then steps until 2 slots are left for the close.
        #expect(accepted == 13)
        #expect(recorder.counters.stepsDropped == 27)
        #expect(!recorder.canOpenEpisode)
        #expect(recorder.push(.close(EpisodeClosing(
            episode: 0, outcome: .timeout, abortReason: .none, steps: 40, policyStalls: 0, safetyEvents: 4, residualSteps: 0,
            durationNanos: 1, droppedSteps: 27))))
        recorder.start()
        recorder.stop()
        // Steps 3 and 10 of the 13 kept raised two safety events each.
        let entries = try RunDirectory.readIndex(runPath: scratch.path)
        #expect(entries.first?.length == 13)
        #expect(entries.first?.droppedSteps == 27)
        let check = try EpisodeCheck.run(scratch.path)
        #expect(check.problems == [], "\(check.problems)")
    }
}
