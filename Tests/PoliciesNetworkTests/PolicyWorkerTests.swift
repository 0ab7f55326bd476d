import Foundation
import PLDCore
import Policies
import Simulation
import Synchronization
import Testing
import Wire

/// The policy worker between SPSC queues and a real server: observation assembly, chunk
/// stamping, reconnects, and a control side that never waits.
@Suite("Policy worker", .serialized)
struct PolicyWorkerTests {
    static func config(url: ServiceURL, observation: String, timeout: Double = 2, actionDim: Int = 7) throws -> PolicyConfig {
        try policyConfig(
            """
            kind: openpi
            url: \(url)
            request_timeout_s: \(timeout)
            connect_timeout_s: 2
            reconnect: {initial_s: 0.05, max_s: 0.2, multiplier: 2}
            action_dim: \(actionDim)
            \(observation)
            """)
    }

    static let alohaObservation = """
        observation:
          layout: aloha
          image_size: 224
          inputs:
            - key: state
              from: [arm.left.joint_position, arm.left.gripper_position]
            - key: images.cam_high
              from: [camera.top]
            - key: images.cam_left_wrist
              from: [camera.wrist]
        """

    /// A custom layout with one 8-value numeric input and no images.
    static let stateOnlyObservation = """
        observation:
          layout: custom
          inputs:
            - key: observation/state
              from: [feature.state]
        """

    static func widths(_ source: ObservationSource) -> Int? {
        switch source {
        case .arm(_, .jointPosition): 6
        case .arm(_, .gripperPosition): 1
        case .feature: 8
        default: nil
        }
    }

    static func request(tick: UInt64, values: [Double], prompt: Int = 0) -> PolicyRequest {
        var request = PolicyRequest(tick: tick, takenAtNanos: PolicyClock.monotonicNanos())
        for value in values { request.append(value) }
        request.promptIndex = prompt
        return request
    }

    @Test func assemblesTheObservationPerConfigAndStampsTheChunk() throws {
        let seen = Mutex<OpenPIDict?>(nil)
        let server = OpenPIPolicyServer(host: "127.0.0.1", port: 0, metadata: ["reset_pose": .list([0, 1])]) { observation in
            seen.withLock { $0 = observation }
            let state = try observation["state"]?.arrayValue?.doubleValues() ?? [0]
            var values: [Double] = []
            for i in 0..<5 { for j in 0..<7 { values.append(scriptedAction(base: state[0], step: i, dimension: j)) } }
            return ["actions": .array(try OpenPIArray(values, shape: [5, 7]))]
        }
        try server.start()
        defer { server.stop() }
        let top = FixedCameras.pattern(width: 640, height: 480), wrist = FixedCameras.pattern(width: 320, height: 240)
        let cameras = FixedCameras(["top": (top, 640, 480), "wrist": (wrist, 320, 240)])
        let requests = SPSCQueue<PolicyRequest>(capacity: 4), chunks = SPSCQueue<BaseChunk>(capacity: 4)
        let config = try Self.config(url: server.url, observation: Self.alohaObservation)
        let client = OpenPIWebSocketClient(settings: try PolicyClientSettings(config: config, expectedActionDimensions: 7))
        let worker = try PolicyWorker(
            client: client, config: config, expectedActionDimensions: 7, sourceWidth: Self.widths,
            prompts: ["fold the towel", "hand over the towel"], cameras: cameras, requests: requests, chunks: chunks)
        #expect(worker.plan.numericValueCount == 7)
        worker.start()
        defer { worker.stop() }

        let request = Self.request(tick: 42, values: [0.25, 1, 2, 3, 4, 5, 0.5], prompt: 1)
        #expect(requests.push(request))
        var chunk: BaseChunk?
        #expect(eventually { chunk = chunks.pop(); return chunk != nil })
        let received = try #require(chunk)
        #expect(received.steps == 5 && received.dimensions == 7)
        #expect(received.observationTick == 42)
        #expect(received.observationNanos == request.takenAtNanos)
        #expect(received.receivedNanos > request.takenAtNanos)
        #expect(received.roundTripMilliseconds > 0)
        #expect(!received.serverInferMilliseconds.isNaN, "server_timing.infer_ms is stamped")
        #expect(abs(received[4, 6] - scriptedAction(base: 0.25, step: 4, dimension: 6)) < 1e-6)

        let observation = try #require(seen.withLock { $0 })
        #expect(observation.keys == ["state", "images", "prompt"])
        let state = try #require(observation["state"]?.arrayValue)
        #expect(state.dtype == .float32 && state.shape == [7])
        #expect(try state.doubleValues() == [0.25, 1, 2, 3, 4, 5, 0.5])
        #expect(observation["images"]?.dictValue?.keys == ["cam_high", "cam_left_wrist"])
        let high = try #require(observation["images"]?["cam_high"]?.arrayValue)
        #expect(high.dtype == .uint8 && high.shape == [3, 224, 224])
        let expected = ImageResize.chw(
            fromHWC: ImageResize.resizeWithPad(top, width: 640, height: 480, targetWidth: 224, targetHeight: 224),
            width: 224, height: 224)
        #expect(high.data == expected)
        #expect(observation["prompt"]?.stringValue == "hand over the towel")

        let status = worker.status()
        #expect(status.connected && status.connections == 1)
        #expect(status.metadata["reset_pose"]?.listValue?.count == 2)
        #expect(status.requestsSent == 1 && status.replies == 1 && status.chunksPushed == 1)
        #expect(status.lastCameraFrames.map(\.camera) == ["top", "wrist"])
        #expect(status.latency.count == 1)
        let records = worker.drainRequestRecords()
        #expect(records.count == 1)
        #expect(records.first?.tick == 42 && records.first?.error == nil && records.first?.steps == 5)
        #expect(records.first?.cameraFrames == status.lastCameraFrames)
    }

    @Test func reconnectsWithBackoffAfterDropsAndServerErrorsAndKeepsProducing() throws {
        let server = try PeerServer.openpi(plan: ["ok", "drop", "error", "ok", "ok"], metadata: #"{"m": 1}"#)
        let config = try Self.config(url: server.url, observation: Self.stateOnlyObservation)
        let requests = SPSCQueue<PolicyRequest>(capacity: 4), chunks = SPSCQueue<BaseChunk>(capacity: 8)
        let worker = try PolicyWorker(
            client: OpenPIWebSocketClient(settings: try PolicyClientSettings(config: config, expectedActionDimensions: 7)),
            config: config, expectedActionDimensions: 7, sourceWidth: Self.widths, prompts: [], cameras: nil,
            requests: requests, chunks: chunks)
        worker.start()
        defer { worker.stop() }

        var ticks: [UInt64] = []
        var tick: UInt64 = 0
        let start = PolicyClock.monotonicNanos()
        while ticks.count < 3 && secondsSince(start) < 10 {
            tick += 1
            requests.push(Self.request(tick: tick, values: [Double(tick), 0, 0, 0, 0, 0, 0, 0]))
            usleep(60_000)
            while let chunk = chunks.pop() {
                ticks.append(chunk.observationTick)
                #expect(abs(chunk[0, 0] - Double(chunk.observationTick)) < 1e-6, "chunk answers its own request")
            }
        }
        #expect(ticks.count >= 3, "chunks for ticks \(ticks)")
        let status = worker.status()
        #expect(status.errors[.connectionLost, default: 0] >= 1, "\(status.errors)")
        #expect(status.errors[.serverError, default: 0] == 1, "\(status.errors)")
        #expect(status.connections >= 3, "connect, reconnect after the drop, reconnect after the error")
        #expect(status.metadata["m"]?.int64Value == 1)
        #expect(status.lastError?.contains("ValueError: scripted failure in policy.infer") == true, "\(status.lastError ?? "")")
    }

    /// The server sleeps 2 s on the first request; the worker times out after 0.5 s,
    /// reconnects and continues, while the control side pushes and pops without ever waiting.
    @Test func controlSideNeverWaitsWhileTheServerStalls() throws {
        let server = try PeerServer.openpi(plan: ["sleep2"])
        let config = try Self.config(url: server.url, observation: Self.stateOnlyObservation, timeout: 0.5)
        let requests = SPSCQueue<PolicyRequest>(capacity: 2), chunks = SPSCQueue<BaseChunk>(capacity: 2)
        let worker = try PolicyWorker(
            client: OpenPIWebSocketClient(settings: try PolicyClientSettings(config: config, expectedActionDimensions: 7)),
            config: config, expectedActionDimensions: 7, sourceWidth: Self.widths, prompts: [], cameras: nil,
            requests: requests, chunks: chunks)
        worker.start()
        defer { worker.stop() }

        var slowestCallNanos: UInt64 = 0
        var firstChunkSeconds: Double?
        var tick: UInt64 = 0
        let start = PolicyClock.monotonicNanos()
        while firstChunkSeconds == nil && secondsSince(start) < 6 {
            tick += 1
            let before = PolicyClock.monotonicNanos()
            requests.push(Self.request(tick: tick, values: [1, 0, 0, 0, 0, 0, 0, 0]))
            let chunk = chunks.pop()
            slowestCallNanos = max(slowestCallNanos, PolicyClock.monotonicNanos() - before)
            if chunk != nil { firstChunkSeconds = secondsSince(start) }
            usleep(10_000)
        }
        let arrival = try #require(firstChunkSeconds, "no chunk after the stall")
        #expect(arrival > 0.45, "the first request stalled; chunk at \(arrival) s")
        #expect(slowestCallNanos < 20_000_000, "push + pop took up to \(Double(slowestCallNanos) / 1e6) ms")
        let status = worker.status()
        #expect(status.errors[.timeout] == 1, "\(status.errors)")
        #expect(status.requestsSuperseded > 0, "requests queued during the stall collapse to the newest")
    }
}
