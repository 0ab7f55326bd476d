import Foundation
import PLDCore
import Synchronization
import Wire

/// The thread between the control loop and the base policy server (DESIGN.md §2–3).
///
/// Contract:
/// - The control thread pushes `PolicyRequest`s into `requests` and pops `BaseChunk`s from
///   `chunks`; both are SPSC queues, so neither side ever waits for the other. The worker is
///   the only consumer of `requests` and the only producer of `chunks`.
/// - The worker owns `client` and makes every blocking network call. For each request it
///   builds the observation (`ObservationPlan`: numeric values from the request, the newest
///   frame of each camera resized with padding, the prompt by index), calls `infer`, checks the
///   reply (width = the expected action width, 1…`baseChunkMaxSteps` steps, finite values) and
///   pushes a stamped `BaseChunk`. When several requests are queued only the newest is sent.
/// - When the chunk queue is full the new chunk waits in one slot and is pushed as soon as
///   there is room; a newer chunk replaces a waiting one (counted in `chunksDropped`). The SPSC
///   contract forbids the worker from popping, so chunks already queued stay there; the chunk
///   scheduler takes the newest.
/// - Errors are counted by kind with the last error line. Transport errors close the
///   connection; the worker then reconnects with exponential backoff (`BackoffConfig`), reading
///   the metadata frame again, and keeps going. Reply content errors (malformed, wrong width,
///   NaN) keep the connection. While disconnected, requests are held (newest only) and dropped
///   as stale if older than `max_chunk_age_s` by the time they could be sent.
/// - `status()` and `drainRequestRecords()` are thread-safe (status and recorder threads).
/// - `stop()` returns once the thread has ended: at most about one request or connect timeout.
public final class PolicyWorker: @unchecked Sendable {
    // @unchecked: `client`, `plan`, `pendingChunk`, `heldRequest` and the loop's locals are
    // confined to the worker thread after `start()`; shared state is in Mutex / Atomic.
    private let client: any BasePolicyClient
    public let plan: ObservationPlan
    private let prompts: [String]
    private let cameras: (any CameraImageSource)?
    private let requests: SPSCQueue<PolicyRequest>
    private let chunks: SPSCQueue<BaseChunk>
    private let expectedActionDimensions: Int
    private let backoff: BackoffConfig
    private let maxRequestAgeNanos: UInt64
    private let idleSleepMicroseconds: UInt32

    private let stopRequested = Atomic<Bool>(false)
    private let state: Mutex<PolicyWorkerStatus>
    private let latencySamples = Mutex<(samples: [Double], next: Int)>(([], 0))
    private let records = Mutex<[PolicyRequestRecord]>([])
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    /// Most request records kept for `drainRequestRecords()`; older ones are dropped.
    public static let maxRecords = 1024

    /// - Parameters:
    ///   - client: used only by the worker thread once started.
    ///   - config: the policy section (observation layout, timeouts, backoff, chunk age).
    ///   - expectedActionDimensions: width every chunk must have (`RobotConfig.actionDimension`,
    ///     or `policy.action_dim`).
    ///   - sourceWidth: width of each non-image observation source (`RobotConfig.dimension(of:)`).
    ///   - prompts: the prompt table; `PolicyRequest.promptIndex` selects one. Empty = no prompt.
    ///   - idleSleepMicroseconds: how long the worker sleeps when there is nothing to do.
    public init(
        client: any BasePolicyClient, config: PolicyConfig, expectedActionDimensions: Int,
        sourceWidth: (ObservationSource) -> Int?, prompts: [String], cameras: (any CameraImageSource)?,
        requests: SPSCQueue<PolicyRequest>, chunks: SPSCQueue<BaseChunk>, idleSleepMicroseconds: UInt32 = 1_000
    ) throws(PolicySetupError) {
        guard (1...actionMaxDimensions).contains(expectedActionDimensions) else {
            throw PolicySetupError("policy action width \(expectedActionDimensions) is outside 1...\(actionMaxDimensions)")
        }
        if let actionDim = config.actionDim, actionDim != expectedActionDimensions {
            throw PolicySetupError("policy.action_dim is \(actionDim) but the action space is \(expectedActionDimensions) wide")
        }
        plan = try ObservationPlan(config: config.observation, sourceWidth: sourceWidth)
        if !plan.cameras.isEmpty && cameras == nil {
            throw PolicySetupError("policy.observation sends camera images (\(plan.cameras.joined(separator: ", "))) but no camera source was given")
        }
        self.client = client
        self.prompts = prompts
        self.cameras = cameras
        self.requests = requests
        self.chunks = chunks
        self.expectedActionDimensions = expectedActionDimensions
        self.backoff = config.reconnect
        self.maxRequestAgeNanos = UInt64(max(config.chunks.maxChunkAgeS, 0) * 1e9)
        self.idleSleepMicroseconds = idleSleepMicroseconds
        state = Mutex(PolicyWorkerStatus(url: client.url.description))
    }

    /// A worker for `robot.policy`, with widths and the action dimension from the robot config.
    public convenience init(
        robot: RobotConfig, client: any BasePolicyClient, prompts: [String], cameras: (any CameraImageSource)?,
        requests: SPSCQueue<PolicyRequest>, chunks: SPSCQueue<BaseChunk>
    ) throws(PolicySetupError) {
        try self.init(
            client: client, config: robot.policy, expectedActionDimensions: robot.policy.actionDim ?? robot.actionDimension,
            sourceWidth: { robot.dimension(of: $0) }, prompts: prompts, cameras: cameras, requests: requests, chunks: chunks)
    }

    /// Starts the worker thread (once).
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        state.withLock { $0.running = true }
        let thread = Thread { [self] in
            run()
            state.withLock {
                $0.running = false
                $0.connected = false
            }
            finished.signal()
        }
        thread.name = "pld policy worker"
        thread.start()
    }

    /// Asks the thread to end and waits for it (at most about one request or connect timeout).
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        guard started.load(ordering: .acquiring) else { return }
        finished.wait()
        finished.signal()
    }

    public func status() -> PolicyWorkerStatus {
        var snapshot = state.withLock { $0 }
        snapshot.latency = latencySamples.withLock { ring in
            guard !ring.samples.isEmpty else { return PolicyLatencyStats() }
            let lastIndex = (ring.next - 1 + ring.samples.count) % ring.samples.count
            return PolicyLatencyStats(samples: ring.samples, last: ring.samples[lastIndex])
        }
        return snapshot
    }

    /// The request records since the last call, oldest first (at most `maxRecords`).
    public func drainRequestRecords() -> [PolicyRequestRecord] {
        records.withLock { stored in
            defer { stored.removeAll(keepingCapacity: true) }
            return stored
        }
    }

    // MARK: The loop (worker thread only)

    private var pendingChunk: BaseChunk?
    private var heldRequest: PolicyRequest?
    private var previousFrames: [CameraFrameUse] = []
    private var frames: [CameraFrameUse] = []

    private var stopping: Bool { stopRequested.load(ordering: .acquiring) }

    private func run() {
        var nextConnectNanos: UInt64 = 0
        var delaySeconds = backoff.initialS
        while !stopping {
            flushPendingChunk()
            takeNewestRequest()
            if !client.isConnected {
                let now = PolicyClock.monotonicNanos()
                if now < nextConnectNanos {
                    sleep(untilNanos: min(nextConnectNanos, now + 10_000_000))
                    continue
                }
                state.withLock {
                    $0.connectAttempts += 1
                    $0.connected = false
                }
                do {
                    try client.connect()
                    let metadata = client.metadata
                    state.withLock {
                        $0.connections += 1
                        $0.connected = true
                        $0.metadata = metadata
                        $0.backoffSeconds = 0
                    }
                } catch {
                    record(error)
                    nextConnectNanos = PolicyClock.monotonicNanos() + UInt64(delaySeconds * 1e9)
                    state.withLock { $0.backoffSeconds = delaySeconds }
                    delaySeconds = min(delaySeconds * backoff.multiplier, backoff.maxS)
                    continue
                }
            }
            guard let request = heldRequest else {
                usleep(idleSleepMicroseconds)
                continue
            }
            heldRequest = nil
            let now = PolicyClock.monotonicNanos()
            if maxRequestAgeNanos > 0, now > request.takenAtNanos, now - request.takenAtNanos > maxRequestAgeNanos {
                state.withLock { $0.requestsStale += 1 }
                continue
            }
            if serve(request) {
                delaySeconds = backoff.initialS
            } else if !client.isConnected {
                nextConnectNanos = PolicyClock.monotonicNanos() + UInt64(delaySeconds * 1e9)
                state.withLock {
                    $0.connected = false
                    $0.backoffSeconds = delaySeconds
                }
                delaySeconds = min(delaySeconds * backoff.multiplier, backoff.maxS)
            }
        }
        client.close()
    }

    /// Pops every queued request, keeping the newest in `heldRequest`.
    private func takeNewestRequest() {
        var received = 0, superseded = 0
        while let request = requests.pop() {
            received += 1
            if heldRequest != nil { superseded += 1 }
            heldRequest = request
        }
        if received > 0 {
            state.withLock {
                $0.requestsReceived += received
                $0.requestsSuperseded += superseded
            }
        }
    }

    /// One request → one chunk. True when a chunk was produced.
    private func serve(_ request: PolicyRequest) -> Bool {
        let url = client.url.description
        let observation: OpenPIDict
        do {
            observation = try plan.observation(for: request, images: cameras, prompts: prompts, url: url, frames: &frames)
        } catch {
            record(error)
            return false
        }
        let repeated = frames.contains { used in previousFrames.contains { $0.camera == used.camera && $0.sequence == used.sequence } }
        previousFrames = frames
        let usedFrames = frames
        state.withLock {
            $0.requestsSent += 1
            $0.lastObservationTick = request.tick
            $0.lastCameraFrames = usedFrames
            if repeated { $0.repeatedCameraFrames += 1 }
        }
        let sent = PolicyClock.monotonicNanos()
        var entry = PolicyRequestRecord(
            tick: request.tick, takenAtNanos: request.takenAtNanos, sentNanos: sent, replyNanos: nil, cameraFrames: usedFrames,
            error: nil, steps: 0, roundTripMilliseconds: .nan, serverInferMilliseconds: nil)
        do {
            let reply = try client.infer(observation)
            let received = PolicyClock.monotonicNanos()
            try reply.check(expectedDimensions: expectedActionDimensions, maxSteps: baseChunkMaxSteps, url: url)
            var chunk = BaseChunk(
                steps: reply.steps, dimensions: reply.dimensions, observationTick: request.tick,
                observationNanos: request.takenAtNanos)
            for step in 0..<reply.steps {
                for d in 0..<reply.dimensions { chunk[step, d] = reply[step, d] }
            }
            chunk.receivedNanos = received
            chunk.roundTripMilliseconds = reply.roundTripMilliseconds
            chunk.serverInferMilliseconds = reply.serverInferMilliseconds ?? reply.policyInferMilliseconds ?? .nan
            push(chunk)
            entry.replyNanos = received
            entry.steps = reply.steps
            entry.roundTripMilliseconds = reply.roundTripMilliseconds
            entry.serverInferMilliseconds = reply.serverInferMilliseconds
            addRecord(entry)
            addLatency(reply.roundTripMilliseconds)
            state.withLock {
                $0.replies += 1
                $0.connected = client.isConnected
                $0.lastServerInferMilliseconds = reply.serverInferMilliseconds ?? reply.policyInferMilliseconds
                $0.lastChunkSteps = reply.steps
                $0.lastChunkDimensions = reply.dimensions
            }
            return true
        } catch {
            entry.error = error.kind
            addRecord(entry)
            record(error)
            return false
        }
    }

    private func push(_ chunk: BaseChunk) {
        if pendingChunk != nil {
            // A newer chunk replaces the one still waiting for room.
            state.withLock { $0.chunksDropped += 1 }
            pendingChunk = nil
        }
        if chunks.push(chunk) {
            state.withLock { $0.chunksPushed += 1 }
        } else {
            pendingChunk = chunk
        }
    }

    private func flushPendingChunk() {
        guard let chunk = pendingChunk, chunks.push(chunk) else { return }
        pendingChunk = nil
        state.withLock { $0.chunksPushed += 1 }
    }

    private func record(_ error: PolicyClientError) {
        let connected = client.isConnected
        state.withLock {
            $0.errors[error.kind, default: 0] += 1
            $0.lastError = error.description
            $0.lastErrorKind = error.kind
            $0.connected = connected
        }
    }

    private func addRecord(_ entry: PolicyRequestRecord) {
        records.withLock { stored in
            if stored.count >= Self.maxRecords { stored.removeFirst(stored.count - Self.maxRecords + 1) }
            stored.append(entry)
        }
    }

    private func addLatency(_ milliseconds: Double) {
        latencySamples.withLock { ring in
            if ring.samples.count < PolicyLatencyStats.window {
                ring.samples.append(milliseconds)
                ring.next = ring.samples.count % PolicyLatencyStats.window
            } else {
                ring.samples[ring.next] = milliseconds
                ring.next = (ring.next + 1) % PolicyLatencyStats.window
            }
        }
    }

    private func sleep(untilNanos deadline: UInt64) {
        let now = PolicyClock.monotonicNanos()
        guard deadline > now else { return }
        usleep(UInt32(min((deadline - now) / 1_000, 10_000)))
    }
}
