import Drivers
import Foundation
import PLDCore
import Policies
import Recording
import Synchronization
import Safety
import Tasks
import Wire
import ZeroMQ

/// How a run is driven, beyond its robot config.
public struct RunOptions: Sendable {
    /// Stop after this many episodes (nil: no limit).
    public var episodes: Int?
    /// Stop starting episodes after this much wall time, s (nil: no limit).
    public var durationSeconds: Double?
    /// Run against `pld sim --speed K`: every rate runs K× faster and every timeout K× shorter.
    public var speed = 1.0
    /// One line of progress or warning, on the main thread.
    public var log: @Sendable (String) -> Void = { print($0) }
    /// Called on the control thread before every tick with the tick's index (benchmarks use it
    /// to find the thread whose allocations they count, and to check that they count). Keep it
    /// nil in production: it runs inside the realtime period.
    public var onControlTick: (@Sendable (UInt64) -> Void)?
    /// Run directory for episodes, index and report (`pld run --out`). Nil: a new directory
    /// `<recording.output_dir>/<config name>-<UTC date-time>`. An existing run directory of
    /// the same config is resumed: episodes continue after its last closed one.
    public var outDirectory: String?
    /// False turns recording off whatever the config says (benchmark baselines).
    public var record = true
    /// Serve the operator sockets (control REP, status PUB). Benchmarks that run several
    /// pipelines at once turn it off.
    public var operatorSockets = true
    /// Where the default (ipc) operator sockets go; nil: `OperatorRuntimeDirectory.path()`.
    public var operatorRuntimeDirectory: String?
    /// Tests only (`pld run --test-stall-on-sigusr2 MS`): SIGUSR2 makes the control thread sleep
    /// this long at the start of its next tick, outside the links' ownership word — a stuck
    /// control thread on demand, to show that e-stop does not need it.
    public var testStallMillisecondsOnSIGUSR2: Int?
    /// Adjusts the loaded config before anything is built (`pld run --learn`, `pld demo`'s
    /// phases); the result is validated again and every error names `override` as its origin.
    public var configure: (@Sendable (inout RobotConfig) -> Void)?

    public init() {}
}

/// What the recorder did during a run.
public struct RecordingSummary: Sendable {
    public var directory: String
    public var counters: RecorderCounters
    /// Set when a write failed and recording stopped (the run then ended).
    public var failure: String?
    public var failureWasOutOfSpace: Bool
    /// What the run directory's recovery found at start (one line each).
    public var recovered: [String]
    /// Index of the first episode this run recorded.
    public var firstEpisodeIndex: Int
}

/// Everything a finished run reports.
public struct RunSummary: Sendable {
    public var episodes: [EpisodeResult]
    public var tickJitterNanos: (p50: UInt64, p99: UInt64, max: UInt64)
    public var tickComputeNanos: (p50: UInt64, p99: UInt64, max: UInt64)
    public var ticks: UInt64
    public var deadlineMisses: UInt64
    public var policyStalls: UInt64
    public var safetyEvents: UInt64
    public var estops: UInt64
    public var warnings: [String]
    /// True when the residual had no weights file (zero output layer: ā = a_b exactly).
    public var residualZeroInitialized: Bool
    public var residualEnabled: Bool
    public var stageComputeP99Nanos: [(stage: String, p99: UInt64)]
    public var policyStatus: PolicyWorkerStatus
    public var chunkCounters: ChunkSchedulerCounters
    /// Nil when recording was off.
    public var recording: RecordingSummary?
    public var startedUnixNanos: Int64 = 0
    public var endedUnixNanos: Int64 = 0
    /// duration, episodes, stop (operator), signal, recording_failed.
    public var endReason = "duration"
    public var counters: [RunStatusBoard.Counter: UInt64] = [:]
    public var residentStartKiB = 0
    public var residentEndKiB = 0
    public var tickComputeBuckets: [(upperBound: UInt64, count: UInt64)] = []
    public var tickJitterBuckets: [(upperBound: UInt64, count: UInt64)] = []
    public var controlRateHz = 0.0
    public var speed = 1.0
    /// The task's stages (`["task"]` for a single-stage task); episodes' `stageStats` index it.
    public var stageNames: [String] = ["task"]
    /// What the residual learner did; nil without one.
    public var learner: LearnerStatus?

    public var successes: Int { episodes.filter { $0.outcome == .success }.count }
    public var successRate: Double { episodes.isEmpty ? 0 : Double(successes) / Double(episodes.count) }
}

/// A run of episodes on the robot a config describes: builds every part from the config,
/// connects the links, starts the sensor, policy and control threads, and reports each episode.
///
/// Threading: `init` and `run` on the calling (main) thread; the tick runs on the control
/// thread (`ControlLoop`), policy inference on the policy worker thread, camera and feature
/// I/O on the sensor thread. `requestStop()` may be called from any thread (signal handler).
public final class RobotRun: @unchecked Sendable {
    // @unchecked: configured in init; afterwards the control thread owns `pipeline`, and the
    // main thread only reads thread-safe status objects.
    public let config: RobotConfig
    public let options: RunOptions
    public let loop: ControlLoop
    public let status = RunStatusBoard()
    public let stageTimings = StageTimings()
    public let egress: Egress
    /// Operator requests to the control thread (pause, reset, stop after the episode, marks).
    public let control = RunControl()
    let pipeline: TickPipeline
    let sensors: SensorHub
    let worker: PolicyWorker
    let results = SPSCQueue<EpisodeResult>(capacity: 256)
    /// Recent events for status and the live view (main and operator threads write them).
    public let events = RunEvents()
    /// Nil when `options.operatorSockets` is false.
    public let operatorServer: OperatorServer?
    /// Nil unless `operator.metrics_port` is set (and operator sockets are on).
    public private(set) var metricsServer: MetricsServer?
    /// Nil when recording is off.
    public let recorder: Recorder?
    private let context: Context
    private let residualZeroInit: Bool
    /// Talks to `kind: remote` classifier services; nil without any.
    private let classifierWorker: RemoteClassifierWorker?
    /// The in-process residual learner (`learner.enabled`); nil otherwise.
    private let learner: ResidualLearner?
    /// The task's stage names (`task` for a single-stage task), for reports.
    public let stageNames: [String]

    /// Loads, connects and wires everything; throws one line naming what failed.
    public init(configPath: String, options: RunOptions = RunOptions()) throws(RuntimeError) {
        self.options = options
        var loaded: LoadedConfig<RobotConfig>
        do {
            loaded = try RobotConfig.loadWithSource(path: configPath)
        } catch {
            throw RuntimeError(error.description)
        }
        if let configure = options.configure {
            var value = loaded.value
            configure(&value)
            if let issue = value.validate().first {
                throw RuntimeError("\(configPath) (with command-line overrides): \(issue)")
            }
            loaded = loaded.replacingValue(value)
        }
        let config = loaded.value
        self.config = config
        let timeScale = 1 / options.speed
        do {
            context = try Context(ioThreads: 1)
        } catch {
            throw RuntimeError("zeromq: \(error)")
        }
        // Operator sockets first: a second run of this config stops here, before any link.
        if options.operatorSockets {
            operatorServer = try OperatorServer(
                config: config, configDirectory: loaded.source, context: context,
                runtimeDirectory: options.operatorRuntimeDirectory ?? OperatorRuntimeDirectory.path())
        } else {
            operatorServer = nil
        }

        // Links, one per arm, connected before anything moves.
        var arms: [ArmLink] = []
        var kinematics: [ArmKinematicsBox?] = []
        var forwardKinematics: [String: ForwardKinematics] = [:]
        var driverLimits: [String: DriverJointLimits] = [:]
        for arm in config.arms {
            switch arm.kind {
            case .frankaDeoxys:
                var linkOptions = FrankaLink.Options()
                linkOptions.timeScale = timeScale
                do {
                    let link = try FrankaLink(arm: arm, context: context, options: linkOptions)
                    try link.connect()
                    arms.append(.franka(link))
                } catch {
                    throw RuntimeError("\(error)")
                }
                kinematics.append(nil)
            case .pldArm:
                var linkOptions = PLDArmLink.Options()
                linkOptions.timeScale = timeScale
                do {
                    let link = try PLDArmLink(arm: arm, context: context, options: linkOptions)
                    let hello = try link.connect()
                    driverLimits[arm.name] = DriverJointLimits(
                        lowerRad: hello.jointLimits.map(\.lowerRad), upperRad: hello.jointLimits.map(\.upperRad),
                        velocityRadPerS: hello.jointLimits.map(\.maxVelocityRadPerS))
                    arms.append(.pldArm(link))
                } catch {
                    throw RuntimeError("\(error)")
                }
                do {
                    let box = ArmKinematicsBox(try ArmKinematics.yam(), jointCount: arm.jointCount)
                    kinematics.append(box)
                    forwardKinematics[arm.name] = ForwardKinematics(jointCount: arm.jointCount) { q in
                        box.poseValue(q, jointCount: arm.jointCount)
                    }
                } catch {
                    throw RuntimeError("kinematics for arm \(arm.name): \(error)")
                }
            }
        }
        egress = Egress(arms: arms)

        // Cameras and features on their own thread (keeping recent frames for the recorder).
        let recording = config.recording.enabled && options.record
        do {
            sensors = try SensorHub(
                cameras: config.cameras, features: config.features, context: context, timeScale: timeScale,
                frameHistory: recording ? 48 : 0)
        } catch {
            throw RuntimeError("\(error)")
        }

        // The safety chain decides the action width every other part must agree with.
        let safety: SafetyChain
        do {
            safety = try SafetyChain(config: config, kinematics: forwardKinematics, driverLimits: driverLimits)
        } catch {
            throw RuntimeError("\(error)")
        }
        let actionDimensions = safety.actionDimension

        // Base policy: client and worker thread, talking to the tick through two SPSC queues.
        var policyConfig = config.policy
        policyConfig.requestTimeoutS *= timeScale
        policyConfig.connectTimeoutS *= timeScale
        policyConfig.chunks.maxChunkAgeS *= timeScale
        let requests = SPSCQueue<PolicyRequest>(capacity: 4)
        let chunks = SPSCQueue<BaseChunk>(capacity: 4)
        do {
            let settings = try PolicyClientSettings(
                config: policyConfig, apiKeyPath: config.policy.apiKeyFile.map { loaded.source.resolve($0) },
                expectedActionDimensions: actionDimensions)
            let client = BasePolicyClients.make(kind: config.policy.kind, settings: settings)
            var robotForWorker = config
            robotForWorker.policy = policyConfig
            worker = try PolicyWorker(
                robot: robotForWorker, client: client, prompts: TaskStages.prompts(config: config), cameras: SensorImages(sensors),
                requests: requests, chunks: chunks)
        } catch let error as PolicyClientError {
            throw RuntimeError("\(error)")
        } catch {
            throw RuntimeError("\(error)")
        }
        let periodS = 1 / config.control.rateHz
        let scheduler = ChunkScheduler(ChunkScheduler.Settings(
            config: policyConfig.chunks, actionDimensions: actionDimensions,
            requestTimeoutTicks: Int((config.policy.requestTimeoutS / periodS).rounded(.up)) + 1))

        // Observation samplers for the policy's numeric inputs and the residual's inputs.
        let armNames = config.arms.map(\.name)
        let jointCounts = config.arms.map(\.jointCount)
        let featureDims = config.features.map { (name: $0.name, dims: $0.dims) }
        let policySources = config.policy.observation.inputs.filter { !$0.isImage }.flatMap(\.from)
        let policySampler = try ObservationSampler(sources: policySources, armNames: armNames, jointCounts: jointCounts, features: featureDims)
        let residualSampler = try ObservationSampler(
            sources: config.residual.inputs, armNames: armNames, jointCounts: jointCounts, features: featureDims)

        // Residual and handoff: the run's residual, then one per distinct stage weights file
        // (PLD trains a specialist per subtask).
        var residuals: [ResidualPolicy] = []
        var stageResidualIndex: [String: Int] = [:]
        do {
            var residualConfig = config.residual
            residualConfig.weightsPath = config.residual.weightsPath.map { loaded.source.resolve($0) }
            residuals.append(try ResidualPolicy(
                config: residualConfig, stateDimensions: residualSampler.valueCount, actionDimensions: actionDimensions))
            for stage in config.stages {
                guard let path = stage.residualWeightsPath.map({ loaded.source.resolve($0) }), stageResidualIndex[path] == nil else { continue }
                residualConfig.weightsPath = path
                stageResidualIndex[path] = residuals.count
                residuals.append(try ResidualPolicy(
                    config: residualConfig, stateDimensions: residualSampler.valueCount, actionDimensions: actionDimensions))
            }
        } catch {
            throw RuntimeError("\(error)")
        }
        residualZeroInit = config.residual.weightsPath == nil
        var handoffConfig = config.handoff
        if !config.residual.enabled { handoffConfig.mode = .never }
        let handoff = HandoffSampler(config: handoffConfig, maxEpisodeSteps: config.control.maxEpisodeSteps)
        var residualScale = ActionVector(count: actionDimensions)
        var offset = 0
        for segment in config.actionSpace.segments {
            guard let arm = config.arms.first(where: { $0.name == segment.arm }) else { continue }
            let width = segment.dimension(jointCount: arm.jointCount, hasGripper: arm.hasGripper)
            for d in 0..<width {
                // joint_position targets are absolute rad: the residual's normalised output is
                // scaled by joint_rad_per_unit; ee_delta and gripper dims are normalised already.
                residualScale[offset + d] = segment.kind == .jointPosition && d < arm.jointCount ? segment.jointScaleRad : 1
            }
            offset += width
        }
        // residual.dimension_scale (validated: one value per action dimension, in [0, 1]).
        for (d, scale) in (config.residual.dimensionScale ?? []).enumerated() where d < actionDimensions {
            residualScale[d] *= scale
        }

        // Reward classifiers (rules, learned heads, remote services) and the task's stages.
        let classifierSetup = try RobotRun.makeClassifiers(
            config: config, source: loaded.source, context: context, timeScale: timeScale, sensors: sensors, log: options.log)
        classifierWorker = classifierSetup.worker
        let stages = TaskStages.make(
            config: config, classifiers: classifierSetup.classifiers, ticksPerSecond: config.control.rateHz,
            residualIndex: { stage in stage.residualWeightsPath.flatMap { stageResidualIndex[loaded.source.resolve($0)] } ?? 0 })
        stageNames = stages.names

        // Reset targets.
        var home: [TickPipeline.HomeTarget] = []
        for arm in config.arms {
            let pose = config.reset?.home.first { $0.arm == arm.name }
            var joints = InlineArray<8, Double>(repeating: 0)
            for (j, value) in (pose?.jointsRad ?? []).enumerated() where j < 8 { joints[j] = value }
            home.append(.init(joints: joints, jointCount: pose == nil ? 0 : arm.jointCount, gripper: pose?.gripper ?? 0))
        }

        // Recording: the run directory (recovering what an interrupted run left) and the
        // recorder thread.
        var recordedCameras: [Int] = []
        if recording {
            let built = try RunRecording.make(
                loaded: loaded, options: options, safety: safety, sensors: sensors, worker: worker,
                residualWeights: config.residual.weightsPath.map { loaded.source.resolve($0) }, stageNames: stages.names)
            recorder = built.recorder
            recordedCameras = built.cameraIndices
        } else {
            recorder = nil
        }

        var featureIndex: [String: Int] = [:]
        for (i, feature) in config.features.enumerated() { featureIndex[feature.name] = i }
        let deadline = options.durationSeconds.map { monotonicNanos() + UInt64($0 * 1e9) }
        // The residual learner, fed by the tick and swapping weights in between episodes.
        var learnerLink: LearnerLink?
        if config.learner.enabled {
            let link = LearnerLink(
                steps: SPSCQueue<LearnerStep>(capacity: 16_384), exchange: ResidualExchange(),
                waitForUpdates: config.learner.waitForUpdates)
            learnerLink = link
            learner = ResidualLearner(
                link: link, config: config.learner, residual: config.residual,
                inputDimensions: residualSampler.valueCount + actionDimensions, actionDimensions: actionDimensions,
                runDirectory: recorder?.run.path ?? options.outDirectory, log: options.log)
        } else {
            learner = nil
        }
        let faultConfig = config.operator.faults
        func ticks(_ seconds: Double) -> UInt64 { UInt64((seconds / periodS).rounded(.up)) }
        let faults = TickPipeline.FaultPolicy(
            staleStateTicks: ticks(faultConfig.driverStaleS), policyStallTicks: ticks(faultConfig.policyStallS),
            cameraFreezeTicks: ticks(faultConfig.cameraFreezeS), backoffTicks: ticks(faultConfig.backoffS),
            maxBackoffTicks: ticks(faultConfig.backoffMaxS), maxConsecutiveFaults: faultConfig.maxConsecutive,
            watchedCameras: Array(config.cameras.indices))
        pipeline = TickPipeline(
            egress: egress, armConfigs: config.arms, scheduler: scheduler, residuals: residuals, residualScale: residualScale,
            handoff: handoff, safety: safety, classifiers: classifierSetup.classifiers, stages: stages, policyRequests: requests, chunks: chunks,
            features: sensors.featureBuffer, featureCount: config.features.count, episodeResults: results, status: status,
            stageTimings: stageTimings, policySampler: policySampler, residualSampler: residualSampler,
            featureIndex: featureIndex, kinematics: kinematics, home: home, reset: config.reset,
            maxEpisodeSteps: config.control.maxEpisodeSteps, periodS: periodS, timeScale: timeScale,
            episodeLimit: options.episodes.map(UInt64.init), deadlineNanos: deadline, recorder: recorder, sensors: sensors,
            recordedCameras: recordedCameras, recordsClassifiers: recording,
            firstEpisodeIndex: UInt64(recorder?.run.nextEpisodeIndex ?? 0), control: control, faults: faults,
            learner: learnerLink)
        loop = ControlLoop(
            periodNanos: UInt64((periodS * timeScale * 1e9).rounded()), options: RealtimeOptions(config: config.control.realtime))
    }

    /// Runs until the episode limit, the duration, or `requestStop()`; calls `onEpisode` on the
    /// calling thread as episodes end.
    public func run(onEpisode: (EpisodeResult) -> Void) -> RunSummary {
        if let recorder {
            for line in recorder.run.recoveryReport { options.log("recovered: \(line)") }
            let previous = recorder.run.entries.count
            options.log("recording to \(recorder.run.path)" + (previous > 0 ? " (resuming after \(previous) closed episodes)" : ""))
            recorder.start()
        }
        let startedUnix = Int64(Date().timeIntervalSince1970 * 1e9)
        let residentStart = residentKiB()
        sensors.start()
        worker.start()
        classifierWorker?.start()
        learner?.start()
        let pipeline = self.pipeline
        pipeline.warmUpSafetyPaths()
        pipeline.warmUpStageValues()
        operatorServer?.start(operatorView)
        if let port = config.operator.metricsPort, options.operatorSockets {
            do {
                metricsServer = try MetricsServer(port: port, view: operatorView)
                options.log("metrics: http://127.0.0.1:\(port)/metrics")
            } catch {
                // Metrics are for watching, not for driving: a taken port is a warning.
                options.log("warning: \(error)")
            }
        }
        if let operatorServer {
            options.log("operator: control \(operatorServer.endpoints.control.configString), status \(operatorServer.endpoints.status.configString)")
        }
        if let stallMilliseconds = options.testStallMillisecondsOnSIGUSR2 {
            TestStall.install(milliseconds: stallMilliseconds)
            loop.start { timing in
                TestStall.sleepIfAsked()
                return pipeline.tick(timing)
            }
        } else if let onTick = options.onControlTick {
            loop.start { timing in
                onTick(timing.index)
                return pipeline.tick(timing)
            }
        } else {
            loop.start { timing in pipeline.tick(timing) }
        }
        for warning in loop.warnings { options.log("warning: \(warning)") }
        var episodes: [EpisodeResult] = []
        var reportedFailure = false
        var driverFaultsBetweenEpisodes: UInt64 = 0
        while loop.isRunning {
            while let result = results.pop() {
                episodes.append(result)
                events.add("episode \(result.index) \(result.outcome.label(stageNames: stageNames)) after \(result.steps) steps")
                onEpisode(result)
            }
            let betweenEpisodes = status.value(.faultsBetweenEpisodes)
            if betweenEpisodes > driverFaultsBetweenEpisodes {
                driverFaultsBetweenEpisodes = betweenEpisodes
                let text = "driver lost between episodes: arms holding; the reset goes on once the state is fresh"
                events.add(text)
                options.log(text)
            }
            if let recorder, recorder.hasFailed, !reportedFailure {
                reportedFailure = true
                options.log("error: \(recorder.failure ?? "recording failed"); holding the arms and ending the run")
            }
            usleep(20_000)
        }
        loop.join()
        while let result = results.pop() {
            episodes.append(result)
            onEpisode(result)
        }
        operatorServer?.stop()
        metricsServer?.stop()
        // The recorder writes what is queued (the last episode's close) before the links go.
        recorder?.stop()
        worker.stop()
        classifierWorker?.stop()
        learner?.stop()
        sensors.stop()
        for arm in egress.arms { arm.close() }
        let recording = recorder.map { recorder in
            RecordingSummary(
                directory: recorder.run.path, counters: recorder.counters, failure: recorder.failure,
                failureWasOutOfSpace: recorder.failureWasOutOfSpace, recovered: recorder.run.recoveryReport,
                firstEpisodeIndex: Int(pipeline.firstEpisodeIndex))
        }
        return RunSummary(
            episodes: episodes,
            tickJitterNanos: (loop.jitter.percentile(0.5), loop.jitter.percentile(0.99), loop.jitter.max),
            tickComputeNanos: (loop.compute.percentile(0.5), loop.compute.percentile(0.99), loop.compute.max),
            ticks: loop.ticks, deadlineMisses: loop.misses, policyStalls: status.value(.policyStalls),
            safetyEvents: status.value(.safetyEvents), estops: status.value(.estops), warnings: loop.warnings,
            residualZeroInitialized: residualZeroInit, residualEnabled: config.residual.enabled,
            stageComputeP99Nanos: StageTimings.Stage.allCases.map { ($0.name, stageTimings.histograms[$0.rawValue].percentile(0.99)) },
            policyStatus: worker.status(), chunkCounters: pipeline.scheduler.counters, recording: recording,
            startedUnixNanos: startedUnix, endedUnixNanos: Int64(Date().timeIntervalSince1970 * 1e9),
            endReason: endReason(), counters: Dictionary(uniqueKeysWithValues: RunStatusBoard.Counter.allCases.map { ($0, status.value($0)) }),
            residentStartKiB: residentStart, residentEndKiB: residentKiB(),
            tickComputeBuckets: loop.compute.nonEmptyBuckets(), tickJitterBuckets: loop.jitter.nonEmptyBuckets(),
            controlRateHz: config.control.rateHz, speed: options.speed, stageNames: stageNames, learner: learner?.status)
    }

    private func endReason() -> String {
        if recorder?.hasFailed == true { return "recording_failed" }
        if pipeline.stopRequested { return "signal" }
        if control.stopAfterEpisode { return "stop" }
        if let limit = options.episodes, status.value(.episodes) >= UInt64(limit) { return "episodes" }
        return "duration"
    }

    /// Episodes ended so far (any thread).
    public var episodesEnded: UInt64 { status.value(.episodes) }

    /// Ends the run after the current tick (any thread).
    public func requestStop() { pipeline.requestStop() }

    private var operatorView: OperatorView {
        OperatorView(
            config: config, egress: egress, control: control, status: status, loop: loop, worker: worker, sensors: sensors,
            events: events, runDirectory: recorder?.run.path, timeScale: 1 / options.speed, log: options.log)
    }

    /// E-stop, reset, pause, resume, stop and marks, as the control socket does them (the live
    /// view's keys use these). Any thread but the control thread.
    public var operatorActions: OperatorActions { OperatorActions(view: operatorView) }

    /// The run's status as `pld status` shows it. Any thread; allocates.
    public func statusSnapshot() -> PLDRunStatus {
        makeRunStatus(operatorView, statusEndpoint: operatorServer?.endpoints.status.configString ?? "")
    }
}

/// Resident set size of this process, KiB (`/proc/self/statm`), 0 when unreadable.
public func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

/// `RunOptions.testStallMillisecondsOnSIGUSR2`: a SIGUSR2 handler that asks the control thread
/// to sleep at the start of its next tick. The handler only stores an atomic
/// (async-signal-safe); the control thread does the sleeping.
enum TestStall {
    nonisolated(unsafe) static var milliseconds = 0
    static let asked = Atomic<Bool>(false)

    static func install(milliseconds: Int) {
        Self.milliseconds = milliseconds
        signal(SIGUSR2) { _ in TestStall.asked.store(true, ordering: .relaxed) }
    }

    @inline(__always)
    static func sleepIfAsked() {
        guard asked.load(ordering: .relaxed) else { return }
        asked.store(false, ordering: .relaxed)
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 { request = remaining }
    }
}

/// The sensor hub's decoded images, as the policy worker reads them.
struct SensorImages: CameraImageSource {
    let hub: SensorHub
    init(_ hub: SensorHub) { self.hub = hub }

    func latestImage(camera: String) -> (rgb: [UInt8], width: Int, height: Int, sequence: UInt64, captureUnixNanos: Int64)? {
        hub.latestImage(camera: camera).map { ($0.rgb, $0.width, $0.height, $0.sequence, $0.captureUnixNanos) }
    }
}
