import Foundation
import PLDCore
import Policies
import Simulation
import TestSupport
import Testing
import Wire

/// The simulator's openpi-protocol server, checked with openpi's own Python client
/// (`openpi_client.WebsocketClientPolicy`) and with our client's fault handling.
@Suite("Simulator policy server speaks the openpi protocol", .serialized)
struct PolicyServerPeerTests {
    struct ScriptedFailure: Error, CustomStringConvertible {
        var description: String { "the scripted policy refused this observation" }
    }

    /// Replies a (10, 8) float32 chunk: actions[i][j] = state[0] + 0.5 i + 0.01 j.
    static func chunkPolicy(_ observation: OpenPIDict) throws -> OpenPIDict {
        let state = try observation["observation/state"]?.arrayValue?.doubleValues() ?? [0]
        var values: [Float] = []
        for i in 0..<10 {
            for j in 0..<8 { values.append(Float(scriptedAction(base: state[0], step: i, dimension: j))) }
        }
        return ["actions": .array(try OpenPIArray(values, shape: [10, 8])), "policy_timing": ["infer_ms": 0.25]]
    }

    static func startServer(metadata: OpenPIDict = [:], handler: @escaping OpenPIPolicyServer.Handler = chunkPolicy)
        throws -> OpenPIPolicyServer
    {
        let server = OpenPIPolicyServer(host: "127.0.0.1", port: 0, metadata: metadata, handler: handler)
        try server.start()
        return server
    }

    static func runConformance(_ server: OpenPIPolicyServer, _ arguments: [String]) throws -> [String: Any] {
        let result = try PythonPeer.runScript("openpi_server_conformance.py", [server.url.description] + arguments, timeoutSeconds: 60)
        try #require(result.status == 0, "openpi client: \(result.stderr)")
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "stdout: \(result.stdout)")
    }

    @Test func openpiClientReadsMetadataAndWellFormedChunks() throws {
        let server = try Self.startServer(metadata: ["reset_pose": .list([0, -1.5, 1.5, 0, 0, 0])])
        defer { server.stop() }
        let summary = try Self.runConformance(server, ["infer", "3"])

        let metadata = try #require(summary["metadata"] as? [String: Any])
        #expect((metadata["reset_pose"] as? [NSNumber])?.map(\.doubleValue) == [0, -1.5, 1.5, 0, 0, 0])
        let replies = try #require(summary["replies"] as? [[String: Any]])
        #expect(replies.count == 3)
        for (k, reply) in replies.enumerated() {
            #expect(reply["shape"] as? [Int] == [10, 8])
            #expect(reply["dtype"] as? String == "<f4")
            let first = (reply["first"] as? [NSNumber])?.map(\.doubleValue) ?? []
            #expect(first.count == 8 && abs(first[7] - scriptedAction(base: Double(k), step: 0, dimension: 7)) < 1e-5)
            #expect(reply["keys"] as? [String] == ["actions", "policy_timing", "server_timing"])
            let timing = try #require(reply["server_timing"] as? [String: Any])
            #expect(timing["infer_ms"] != nil)
            #expect((timing["prev_total_ms"] != nil) == (k > 0), "prev_total_ms from the second reply on")
        }
        let health = try Self.runConformance(server, ["health"])
        #expect(health["status"] as? Int == 200)
        #expect(health["body"] as? String == "OK\n")
        #expect(server.statistics().connections == 1)
        #expect(server.statistics().replies == 3)
        #expect(server.statistics().healthChecks == 1)
    }

    @Test func handlerErrorReachesOpenpiClientAsItsDocumentedRuntimeError() throws {
        let server = try Self.startServer { _ in throw ScriptedFailure() }
        defer { server.stop() }
        let summary = try Self.runConformance(server, ["error"])
        #expect(summary["error_type"] as? String == "RuntimeError")
        #expect(summary["message_first_line"] as? String == "Error in inference server:")
        #expect(summary["message_last_line"] as? String == "ScriptedFailure: the scripted policy refused this observation")
        #expect(server.statistics().errorFrames == 1)
    }

    @Test func injectedFaultsAndLatencyReachOurClient() throws {
        let server = try Self.startServer(metadata: ["server": "sim"])
        defer { server.stop() }
        let client = OpenPIWebSocketClient(
            // 0.6 s: under the 1 s stall below, with room for a debug build on a loaded machine.
            settings: PolicyClientSettings(url: server.url, requestTimeoutSeconds: 0.6, expectedActionDimensions: 8))
        defer { client.close() }
        let observation = try liberoObservation(base: 1)
        try client.checkHealth()
        try client.connect()
        #expect(client.metadata["server"]?.stringValue == "sim")
        #expect(abs(try client.infer(observation)[9, 7] - scriptedAction(base: 1, step: 9, dimension: 7)) < 1e-5)

        server.inject(.errorFrame("Traceback (most recent call last):\n  File \"x\"\nRuntimeError: CUDA out of memory"))
        let error = expectPolicyError(.serverError) { try client.infer(observation) }
        #expect(error?.detail == "server error: Traceback (most recent call last): … RuntimeError: CUDA out of memory")

        try client.connect()
        server.inject(.dropConnection)
        _ = expectPolicyError(.connectionLost) { try client.infer(observation) }

        try client.connect()
        server.inject(.stall(seconds: 1))
        _ = expectPolicyError(.timeout) { try client.infer(observation) }

        // The server handles one request at a time, like openpi: let the stalled one finish.
        usleep(800_000)
        try client.connect()
        server.latencySeconds = 0.15
        let reply = try client.infer(observation)
        #expect(reply.roundTripMilliseconds >= 150, "latency \(reply.roundTripMilliseconds) ms")
        #expect(server.statistics().connections == 4)
        #expect(server.statistics().droppedConnections == 1)
    }

    @Test func bindFailureNamesTheAddress() throws {
        let first = try Self.startServer()
        defer { first.stop() }
        let second = OpenPIPolicyServer(host: "127.0.0.1", port: first.port) { _ in [:] }
        #expect(throws: PolicyServerError.self) { try second.start() }
        do { try second.start() } catch {
            #expect(error.description.hasPrefix("cannot bind the policy server to 127.0.0.1:\(first.port)"))
        }
    }
}
