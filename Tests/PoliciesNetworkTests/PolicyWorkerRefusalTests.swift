import Foundation
import PLDCore
import Policies
import Synchronization
import Testing
import Wire

/// The worker's own checks, with a scripted in-memory client (no sockets): what never reaches
/// the control thread, and what happens when the control side stops taking chunks.
@Suite("Policy worker refusals and a full chunk queue", .serialized)
struct PolicyWorkerRefusalTests {
    /// Answers each `infer` with the next scripted result (then a 2 × 7 chunk of the tick).
    final class ScriptedClient: BasePolicyClient, @unchecked Sendable {
        let url = try! ServiceURL(configString: "ws://scripted.invalid:8000")
        let metadata: OpenPIDict = ["scripted": true]
        private(set) var isConnected = false
        private let script: Mutex<[Result<PolicyReply, PolicyClientError>]>
        let observations = Mutex<[OpenPIDict]>([])

        init(_ script: [Result<PolicyReply, PolicyClientError>]) { self.script = Mutex(script) }

        func connect() throws(PolicyClientError) { isConnected = true }
        func checkHealth() throws(PolicyClientError) {}
        func close() { isConnected = false }

        func infer(_ observation: OpenPIDict) throws(PolicyClientError) -> PolicyReply {
            observations.withLock { $0.append(observation) }
            let value = (try? observation["observation/joint_position"]?.arrayValue?.doubleValues().first) ?? 0
            let next = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            switch next {
            case .success(let reply): return reply
            case .failure(let error): throw error
            case nil: return PolicyReply(steps: 2, dimensions: 7, actions: Array(repeating: value, count: 14), actionDType: "<f4", roundTripMilliseconds: 1)
            }
        }
    }

    static let droidObservation = """
        kind: openpi
        url: ws://scripted.invalid:8000
        observation:
          layout: droid
          inputs:
            - key: observation/exterior_image_1_left
              from: [camera.exterior]
            - key: observation/joint_position
              from: [arm.franka.joint_position]
            - key: observation/gripper_position
              from: [arm.franka.gripper_position]
        """

    static func widths(_ source: ObservationSource) -> Int? {
        switch source {
        case .arm(_, .jointPosition): 7
        case .arm(_, .gripperPosition): 1
        default: nil
        }
    }

    static func request(tick: UInt64, count: Int = 8) -> PolicyRequest {
        var request = PolicyRequest(tick: tick, takenAtNanos: PolicyClock.monotonicNanos())
        for i in 0..<count { request.append(i == 0 ? Double(tick) : 0.1) }
        return request
    }

    static func reply(steps: Int, dims: Int, fill: Double) -> PolicyReply {
        PolicyReply(steps: steps, dimensions: dims, actions: Array(repeating: fill, count: steps * dims), actionDType: "<f8", roundTripMilliseconds: 1)
    }

    func makeWorker(_ client: ScriptedClient, cameras: (any CameraImageSource)?, chunks: SPSCQueue<BaseChunk>, requests: SPSCQueue<PolicyRequest>)
        throws -> PolicyWorker
    {
        try PolicyWorker(
            client: client, config: try policyConfig(Self.droidObservation), expectedActionDimensions: 7, sourceWidth: Self.widths,
            prompts: ["pick up the cube"], cameras: cameras, requests: requests, chunks: chunks)
    }

    @Test func refusedRepliesAndRequestsAreCountedByKindAndNeverPushed() throws {
        let client = ScriptedClient([
            .success(Self.reply(steps: 3, dims: 7, fill: .nan)),
            .success(Self.reply(steps: 3, dims: 8, fill: 0)),
            .success(Self.reply(steps: baseChunkMaxSteps + 1, dims: 7, fill: 0)),
            .failure(PolicyClientError(.malformedReply, url: "ws://scripted.invalid:8000", "scripted")),
        ])
        let cameras = FixedCameras(["exterior": (FixedCameras.pattern(width: 64, height: 48), 64, 48)])
        let requests = SPSCQueue<PolicyRequest>(capacity: 8), chunks = SPSCQueue<BaseChunk>(capacity: 8)
        let worker = try makeWorker(client, cameras: cameras, chunks: chunks, requests: requests)
        worker.start()
        defer { worker.stop() }

        for tick in UInt64(1)...4 {
            requests.push(Self.request(tick: tick))
            #expect(eventually { worker.status().errorCount == Int(tick) })
        }
        requests.push(Self.request(tick: 5, count: 3))  // wrong number of values
        #expect(eventually { worker.status().errors[.invalidRequest] == 1 })
        requests.push(Self.request(tick: 6))
        var chunk: BaseChunk?
        #expect(eventually { chunk = chunks.pop(); return chunk != nil })
        #expect(chunk?.observationTick == 6, "only the good reply became a chunk")
        #expect(chunks.pop() == nil)

        let status = worker.status()
        #expect(status.errors == [.nonFiniteActions: 1, .wrongDimensions: 2, .malformedReply: 1, .invalidRequest: 1])
        #expect(status.connections == 1, "content errors keep the connection")
        #expect(status.chunksPushed == 1)
        let sent = client.observations.withLock { $0.last }
        #expect(sent?.keys == ["observation/exterior_image_1_left", "observation/joint_position", "observation/gripper_position", "prompt"])
        #expect(sent?["observation/exterior_image_1_left"]?.arrayValue?.shape == [224, 224, 3])
        #expect(sent?["observation/gripper_position"]?.arrayValue?.shape == [1])
    }

    @Test func missingCameraFrameIsCountedAndNothingIsSent() throws {
        let client = ScriptedClient([])
        let requests = SPSCQueue<PolicyRequest>(capacity: 2), chunks = SPSCQueue<BaseChunk>(capacity: 2)
        let worker = try makeWorker(client, cameras: FixedCameras([:]), chunks: chunks, requests: requests)
        worker.start()
        defer { worker.stop() }
        requests.push(Self.request(tick: 1))
        #expect(eventually { worker.status().errors[.missingCameraFrame] == 1 })
        #expect(client.observations.withLock { $0.isEmpty })
        #expect(worker.status().lastError == "policy server ws://scripted.invalid:8000: camera `exterior` (for observation/exterior_image_1_left) has no frame yet")

        #expect(throws: PolicySetupError.self) { try makeWorker(client, cameras: nil, chunks: chunks, requests: requests) }
    }

    @Test func fullChunkQueueKeepsOnlyTheNewestWaitingChunk() throws {
        let client = ScriptedClient([])
        let cameras = FixedCameras(["exterior": (FixedCameras.pattern(width: 32, height: 32), 32, 32)])
        let requests = SPSCQueue<PolicyRequest>(capacity: 4), chunks = SPSCQueue<BaseChunk>(capacity: 1)
        let worker = try makeWorker(client, cameras: cameras, chunks: chunks, requests: requests)
        worker.start()
        defer { worker.stop() }
        for tick in UInt64(1)...3 {
            requests.push(Self.request(tick: tick))
            #expect(eventually { worker.status().replies == Int(tick) })
        }
        let status = worker.status()
        #expect(status.chunksPushed == 1)
        #expect(status.chunksDropped == 1, "chunk 2 waited and was replaced by chunk 3")
        #expect(chunks.pop()?.observationTick == 1)
        var next: BaseChunk?
        #expect(eventually { next = chunks.pop(); return next != nil })
        #expect(next?.observationTick == 3)
        #expect(worker.status().chunksPushed == 2)
    }
}
