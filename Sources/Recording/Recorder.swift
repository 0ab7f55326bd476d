import CGlibcMalloc
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

/// The recorder: takes `RecorderMessage`s from the control thread through a bounded SPSC queue
/// and writes one episode file at a time (EpisodeWriter), then the run's index.
///
/// Two threads, so that a slow write never costs a camera frame: `pld recorder` drains the
/// queue continuously and takes each step's camera frames from the sensor thread's short
/// history at once (holding them costs no copy), staging the steps; `pld recorder writer`
/// writes the staged steps, and may lag behind — a disk hiccup, an encoder busy at an episode
/// boundary — by as much as `stagedFrameBytesLimit` of frames, past which frames are dropped
/// (recorded black and counted in `frames_missing`) rather than memory growing without bound.
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

    /// A message with the frames its step uses, handed from the resolver to the writer.
    private enum Staged {
        case open(EpisodeOpening)
        case step(TickRecord, [[UInt8]?])
        case close(EpisodeClosing)
        case finish
    }
    private let staged = Mutex<(items: [Staged], head: Int, frameBytes: Int)>(([], 0, 0))
    private let stagedSignal = DispatchSemaphore(value: 0)
    private let writerFinished = DispatchSemaphore(value: 0)
    /// Camera frames the writer may be behind by before frames are dropped (512 MiB: about a
    /// minute of three 224² cameras at 30 Hz).
    public static let stagedFrameBytesLimit = 512 << 20
    /// Steps staged for the writer (any thread reads it, lock-free).
    private let stagedSteps = Atomic<Int>(0)
    /// Steps staged at most; past it the resolver drops steps (counted like the tick's drops).
    private var stagedStepsLimit: Int { 16 * queue.capacity }
    /// Steps the resolver dropped in the episode it is staging.
    private var resolverDropped = 0

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

    /// True when a new episode may start: the queue is at most half full, the writer is not
    /// far behind, and nothing failed. Lock-free.
    public var canOpenEpisode: Bool {
        queue.count <= queue.capacity / 2 && stagedSteps.load(ordering: .relaxed) <= stagedStepsLimit / 2 && !hasFailed
    }

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
        let writerThread = Thread { [self] in
            writeLoop()
            writerFinished.signal()
        }
        writerThread.name = "pld recorder writer"
        writerThread.start()
        let thread = Thread { [self] in
            resolveLoop()
            finished.signal()
        }
        thread.name = "pld recorder"
        thread.start()
    }

    /// Writes everything queued, closes the threads. Call after the producer stopped.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
        writerFinished.wait()
    }

    /// `pld recorder`: drains the control thread's queue and pins each step's frames.
    private func resolveLoop() {
        while true {
            let wasRunning = running.load(ordering: .acquiring)
            var handled = 0
            while let message = queue.pop() {
                stage(message)
                handled += 1
            }
            if handled > 0 {
                countersValue.withLock { $0.queueHighWater = max($0.queueHighWater, handled) }
                stagedSignal.signal()
            } else if !wasRunning {
                break
            } else {
                usleep(1000)
            }
        }
        staged.withLock { $0.items.append(.finish) }
        stagedSignal.signal()
    }

    private func stage(_ message: RecorderMessage) {
        let item: Staged
        switch message {
        case let .open(opening):
            resolverDropped = 0
            item = .open(opening)
        case var .close(closing):
            closing.droppedSteps += resolverDropped
            item = .close(closing)
        case let .step(record):
            guard !hasFailed else { return }
            guard stagedSteps.load(ordering: .relaxed) < stagedStepsLimit else {
                resolverDropped += 1
                dropped.add(1, ordering: .relaxed)
                return
            }
            stagedSteps.add(1, ordering: .relaxed)
            let backlog = staged.withLock { $0.frameBytes }
            var images: [[UInt8]?] = []
            images.reserveCapacity(layout.cameras.count)
            var bytes = 0
            for (c, camera) in layout.cameras.enumerated() {
                let sequence = record.cameraSequences[c]
                guard sequence != noFrameSequence, backlog < Self.stagedFrameBytesLimit,
                    let frame = frames.recordedFrame(camera: camera.name, sequence: sequence),
                    frame.width == camera.width, frame.height == camera.height
                else {
                    images.append(nil)
                    continue
                }
                images.append(frame.rgb)
                bytes += frame.rgb.count
            }
            item = .step(record, images)
            staged.withLock { $0.frameBytes += bytes }
        }
        staged.withLock { $0.items.append(item) }
    }

    /// `pld recorder writer`: writes what the resolver staged, in order.
    private func writeLoop() {
        var done = false
        while !done {
            stagedSignal.wait()
            while true {
                let next: Staged? = staged.withLock { state in
                    guard state.head < state.items.count else {
                        state.items.removeAll(keepingCapacity: true)
                        state.head = 0
                        return nil
                    }
                    let item = state.items[state.head]
                    state.head += 1
                    if case let .step(_, images) = item {
                        state.frameBytes -= images.reduce(0) { $0 + ($1?.count ?? 0) }
                        stagedSteps.subtract(1, ordering: .relaxed)
                    }
                    // Keep the array from growing forever while the writer keeps up.
                    if state.head > 4096 {
                        state.items.removeFirst(state.head)
                        state.head = 0
                    }
                    return item
                }
                guard let next else { break }
                if case .finish = next {
                    done = true
                    break
                }
                handle(next)
            }
        }
        if let writer {
            // The producer stopped without closing (it always closes; this is a safety net).
            let moved = writer.abandon()
            abandoned += moved
            self.writer = nil
        }
    }

    private func handle(_ message: Staged) {
        guard !hasFailed else { return }
        switch message {
        case .finish:
            return
        case let .open(opening):
            if let writer { abandoned += writer.abandon() }
            do {
                writer = try EpisodeWriter(run: run, layout: layout, config: config, opening: opening, reserveSteps: reserveSteps)
            } catch {
                fail(error)
            }
        case let .step(record, images):
            guard let writer else { return }
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
                returnFreedMemoryWhenCaughtUp()
            } catch {
                abandoned += writer.abandon()
                fail(error)
            }
        }
    }

    /// Hands the heap's free pages back to the OS (glibc `malloc_trim`) when an episode closes
    /// with nothing staged behind it.
    ///
    /// Why: while the writer lags (an encoder starting at an episode boundary, a slow disk) up to
    /// `stagedFrameBytesLimit` of camera frames wait here. They are freed once written, but glibc
    /// keeps its arenas' high-water mark, so without this an hour-long run holds on to its worst
    /// backlog for good (the soak saw a 25 MB step in its first sim minutes). Runs on the writer
    /// thread between episodes; the control thread never allocates in steady state, so it never
    /// waits on an arena lock this takes.
    private func returnFreedMemoryWhenCaughtUp() {
        guard staged.withLock({ $0.frameBytes == 0 && $0.head >= $0.items.count }) else { return }
        _ = malloc_trim(0)
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
