import Foundation
import Glibc
import PLDCore
import Synchronization

/// Counters of a recorder, for status lines and the run summary.
public struct RecorderCounters: Sendable {
    public var episodesClosed = 0
    public var stepsWritten = 0
    /// Steps whose camera frame was no longer held (recorded black).
    public var framesMissing = 0
    /// Steps the control thread could not queue (the recorder was behind).
    public var stepsDropped = 0
    public var bytesWritten = 0
    /// Most messages ever waiting in the queue.
    public var queueHighWater = 0

    public init() {}
}

/// The recorder thread: takes `RecorderMessage`s from the control thread through a bounded
/// SPSC queue and writes one episode file at a time (EpisodeWriter), then the run's index.
///
/// Contract with the control thread (the producer):
/// - `pushStep` never blocks or allocates; it refuses (returns false) when fewer than
///   `reservedSlots` slots are free, so an episode's close always fits in the queue.
/// - open an episode only when `canOpenEpisode` (the queue is at most half full), so a
///   recorder that fell behind catches up before the next episode instead of dropping it.
/// - `hasFailed` (one relaxed atomic load) turns true when a write failed: recording stopped,
///   the open episode was moved to `incomplete/`. The tick then ends the episode as aborted
///   and holds; `failure` says what happened, in one line.
///
/// Threading: `init`, `start`, `stop` on the run's main thread; the producer methods on the
/// control thread; everything else on the recorder thread `pld recorder`.
public final class Recorder: @unchecked Sendable {
    // @unchecked: recorder-thread state is touched only by that thread (after `start`, until
    // `stop` returns); shared state is atomics, the queue and mutexes.
    public let queue: SPSCQueue<RecorderMessage>
    public let run: RunDirectory
    public let layout: RecordingLayout
    private let metadata: RecordingMetadata
    private let config: RecordingConfig
    private let frames: any CameraFrameSource
    private let reserveSteps: Int
    /// Called on the recorder thread after each episode is closed and indexed.
    private let onClosed: @Sendable (IndexEntry) -> Void

    private let failed = Atomic<Bool>(false)
    private let failureText = Mutex<String?>(nil)
    private let failureOutOfSpace = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let countersValue = Mutex(RecorderCounters())
    private let dropped = Atomic<Int>(0)

    private var writer: EpisodeWriter?
    private var abandoned: [String] = []

    /// Slots kept free for an episode's close message.
    public static let reservedSlots = 2

    public init(
        run: RunDirectory, layout: RecordingLayout, metadata: RecordingMetadata, config: RecordingConfig,
        frames: any CameraFrameSource, maxEpisodeSteps: Int, onClosed: @escaping @Sendable (IndexEntry) -> Void = { _ in }
    ) {
        self.run = run
        self.layout = layout
        self.metadata = metadata
        self.config = config
        self.frames = frames
        reserveSteps = maxEpisodeSteps
        self.onClosed = onClosed
        queue = SPSCQueue(capacity: max(16, config.queueCapacitySteps))
        // A video encoder that exits early must surface as EPIPE, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        // A file-size limit (RLIMIT_FSIZE) must surface as EFBIG on the write, not kill us.
        signal(SIGXFSZ, SIG_IGN)
    }

    // MARK: Producer side (control thread)

    /// Queues one step; false (and counted) when the queue is too full.
    @inline(__always)
    public func pushStep(_ record: TickRecord) -> Bool {
        if queue.capacity - queue.count <= Self.reservedSlots || !queue.push(.step(record)) {
            dropped.add(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Queues an episode's open or close message.
    @inline(__always)
    public func push(_ message: RecorderMessage) -> Bool { queue.push(message) }

    /// True when a new episode may start: the queue is at most half full and nothing failed.
    public var canOpenEpisode: Bool { queue.count <= queue.capacity / 2 && !hasFailed }

    /// A write failed and recording stopped (any thread, lock-free).
    public var hasFailed: Bool { failed.load(ordering: .relaxed) }

    /// What failed, one line (any thread).
    public var failure: String? { failureText.withLock { $0 } }

    /// The failure was a full disk or a file-size limit.
    public var failureWasOutOfSpace: Bool { failureOutOfSpace.load(ordering: .relaxed) }

    public var counters: RecorderCounters {
        var c = countersValue.withLock { $0 }
        c.stepsDropped = dropped.load(ordering: .relaxed)
        return c
    }

    /// Files of a failed episode moved to `incomplete/` (after `stop`).
    public var abandonedFiles: [String] { abandoned }

    // MARK: Thread

    public func start() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "pld recorder"
        thread.start()
    }

    /// Writes everything queued, closes the thread. Call after the producer stopped.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    private func loop() {
        while true {
            let wasRunning = running.load(ordering: .acquiring)
            var handled = 0
            while let message = queue.pop() {
                handle(message)
                handled += 1
            }
            if handled > 0 {
                countersValue.withLock { $0.queueHighWater = max($0.queueHighWater, handled) }
            } else if !wasRunning {
                break
            } else {
                usleep(1000)
            }
        }
        if let writer {
            // The producer stopped without closing (it always closes; this is a safety net).
            let moved = writer.abandon()
            abandoned += moved
            self.writer = nil
        }
    }

    private func handle(_ message: RecorderMessage) {
        guard !hasFailed else { return }
        switch message {
        case let .open(opening):
            if let writer { abandoned += writer.abandon() }
            do {
                writer = try EpisodeWriter(run: run, layout: layout, config: config, opening: opening, reserveSteps: reserveSteps)
            } catch {
                fail(error)
            }
        case let .step(record):
            guard let writer else { return }
            var images: [[UInt8]?] = []
            images.reserveCapacity(layout.cameras.count)
            for (c, camera) in layout.cameras.enumerated() {
                let sequence = record.cameraSequences[c]
                let frame = sequence == noFrameSequence ? nil : frames.recordedFrame(camera: camera.name, sequence: sequence)
                images.append(frame.flatMap { $0.width == camera.width && $0.height == camera.height ? $0.rgb : nil })
            }
            do {
                try writer.append(record, frames: images)
            } catch {
                fail(error)
            }
        case let .close(closing):
            guard let writer else { return }
            self.writer = nil
            do {
                let entry = try writer.close(closing, metadata: metadata, policyMetadata: metadata.policyMetadataJSON())
                try run.appendIndex(entry)
                countersValue.withLock {
                    $0.episodesClosed += 1
                    $0.stepsWritten += entry.length
                    $0.framesMissing += writer.framesMissing
                    $0.bytesWritten += entry.bytes
                }
                onClosed(entry)
            } catch {
                abandoned += writer.abandon()
                fail(error)
            }
        }
    }

    private func fail(_ error: RecordingError) {
        if let writer {
            abandoned += writer.abandon()
            self.writer = nil
        }
        let moved = abandoned.isEmpty ? "" : "; the open episode's files were moved to \(abandoned.joined(separator: ", "))"
        failureText.withLock { $0 = "recording stopped: \(error.description)\(moved)" }
        failureOutOfSpace.store(error.isOutOfSpace, ordering: .relaxed)
        failed.store(true, ordering: .releasing)
    }
}
