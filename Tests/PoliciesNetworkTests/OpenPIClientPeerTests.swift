import Foundation
import PLDCore
import Policies
import Testing
import Wire

/// Our openpi client against a minimal Python server built like openpi's own
/// (`websockets` + `openpi_client.msgpack_numpy`, `Tests/Peers/openpi_server_scripted.py`).
@Suite("openpi client against a Python openpi server", .serialized)
struct OpenPIClientPeerTests {
    @Test(arguments: ["f4", "f8"])
    func readsMetadataThenDecodesChunksOfEitherFloatWidth(dtype: String) throws {
        let server = try PeerServer.openpi(metadata: #"{"reset_pose": [0, -1.5, 1.5, 0, 0, 0]}"#, horizon: 10, dims: 7, dtype: dtype)
        let client = OpenPIWebSocketClient(settings: PolicyClientSettings(url: server.url, expectedActionDimensions: 7))
        defer { client.close() }
        try client.checkHealth()
        try client.connect()
        #expect(client.isConnected)
        let resetPose = try #require(client.metadata["reset_pose"]?.listValue)
        #expect(resetPose.compactMap(\.doubleValue) == [0, -1.5, 1.5, 0, 0, 0])

        let first = try client.infer(try liberoObservation(base: 2))
        #expect(first.steps == 10 && first.dimensions == 7)
        #expect(first.actionDType == "<\(dtype)")
        for step in [0, 4, 9] {
            for d in [0, 3, 6] {
                #expect(abs(first[step, d] - scriptedAction(base: 2, step: step, dimension: d)) < 1e-5)
            }
        }
        #expect(first.policyInferMilliseconds == 1.5)
        #expect(first.serverInferMilliseconds == 2.5)
        #expect(first.serverPreviousTotalMilliseconds == nil)
        #expect(first.roundTripMilliseconds > 0)

        let second = try client.infer(try liberoObservation(base: -1))
        #expect(abs(second[9, 6] - scriptedAction(base: -1, step: 9, dimension: 6)) < 1e-5)
        #expect(second.serverPreviousTotalMilliseconds == 3.0)
        _ = try server.requestLine()
        _ = try server.requestLine()
    }

    @Test func textFrameBecomesOneLineServerErrorAndReconnectReadsMetadataAgain() throws {
        let server = try PeerServer.openpi(plan: ["error", "ok"], metadata: #"{"generation": 1}"#)
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("pld-openpi-\(UUID().uuidString.prefix(8)).key")
        try "secret-key\n".write(to: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let config = try policyConfig(
            """
            kind: openpi
            url: \(server.url)
            api_key_file: \(keyFile.path)
            observation:
              layout: libero
              inputs:
                - key: observation/state
                  from: [feature.state]
            """)
        let client = OpenPIWebSocketClient(settings: try PolicyClientSettings(config: config, expectedActionDimensions: 7))
        defer { client.close() }
        try client.connect()
        #expect(try server.connectLine() == "CONNECT 1 auth=Api-Key secret-key extensions=-", "API key sent, no permessage-deflate offered")
        let error = expectPolicyError(.serverError) { try client.infer(try liberoObservation(base: 0)) }
        let line = error?.description ?? ""
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("policy server \(server.url):"))
        #expect(line.contains("Traceback (most recent call last): … ValueError: scripted failure in policy.infer"), "\(line)")
        #expect(!client.isConnected)

        #expect(try server.requestLine().hasSuffix(" 1 error"))
        try client.connect()
        #expect(try server.connectLine().hasPrefix("CONNECT 2 "), "a new connection, with its own metadata frame")
        #expect(client.metadata["generation"]?.int64Value == 1)
        #expect(try client.infer(try liberoObservation(base: 1)).steps == 10)
        #expect(try server.requestLine().hasSuffix(" 2 ok"))
    }

    @Test func droppedConnectionIsConnectionLostThenReconnectContinues() throws {
        let server = try PeerServer.openpi(plan: ["ok", "drop", "ok"])
        let client = OpenPIWebSocketClient(settings: PolicyClientSettings(url: server.url))
        defer { client.close() }
        try client.connect()
        #expect(try client.infer(try liberoObservation(base: 0)).steps == 10)
        _ = expectPolicyError(.connectionLost) { try client.infer(try liberoObservation(base: 0)) }
        #expect(!client.isConnected)
        _ = expectPolicyError(.connectionLost) { try client.infer(try liberoObservation(base: 0)) }
        try client.connect()
        #expect(abs(try client.infer(try liberoObservation(base: 5))[0, 0] - 5) < 1e-6)
    }

    @Test func slowServerGivesTimeoutWithinTheRequestTimeout() throws {
        let server = try PeerServer.openpi(plan: ["sleep2", "ok"])
        let client = OpenPIWebSocketClient(settings: PolicyClientSettings(url: server.url, requestTimeoutSeconds: 0.5))
        defer { client.close() }
        try client.connect()
        let start = PolicyClock.monotonicNanos()
        let error = expectPolicyError(.timeout) { try client.infer(try liberoObservation(base: 0)) }
        let elapsed = secondsSince(start)
        #expect(elapsed >= 0.45 && elapsed < 1.2, "timed out after \(elapsed) s")
        #expect(error?.description.contains("0.5 s") == true, "\(String(describing: error))")
        #expect(!client.isConnected, "a late reply must not be read as the next one")
    }

    @Test func refusedConnectionAndWrongSchemeNameTheURL() throws {
        let refused = OpenPIWebSocketClient(
            settings: PolicyClientSettings(url: try ServiceURL(configString: "ws://127.0.0.1:1"), connectTimeoutSeconds: 2))
        let error = expectPolicyError(.refused) { try refused.connect() }
        #expect(error?.description == "policy server ws://127.0.0.1:1: connection refused (is the policy server running?)")
        _ = expectPolicyError(.refused) { try refused.checkHealth() }

        let tls = OpenPIWebSocketClient(settings: PolicyClientSettings(url: try ServiceURL(configString: "wss://example.invalid:8000")))
        let tlsError = expectPolicyError(.protocolError) { try tls.connect() }
        #expect(tlsError?.description.contains("needs TLS") == true)
    }

    /// Non-msgpack frames, wrong widths, NaN, a text frame and a 100 MB frame: each a clear
    /// error, never a crash; the client recovers by reconnecting where the connection died.
    @Test func garbageRepliesBecomeClearErrors() throws {
        let server = try PeerServer.openpi(plan: ["notmsgpack", "wrongdims", "nan", "text", "huge", "ok"])
        let client = OpenPIWebSocketClient(
            settings: PolicyClientSettings(url: server.url, requestTimeoutSeconds: 10, expectedActionDimensions: 7))
        defer { client.close() }
        try client.connect()
        let observation = try liberoObservation(base: 0)

        let malformed = expectPolicyError(.malformedReply) { try client.infer(observation) }
        #expect(malformed?.description.contains("not an openpi msgpack dict") == true, "\(String(describing: malformed))")
        #expect(client.isConnected, "the exchange completed; the connection is still usable")

        let wide = expectPolicyError(.wrongDimensions) { try client.infer(observation) }
        #expect(wide?.description.contains("actions are 10 wide, expected 7") == true, "\(String(describing: wide))")

        let nan = expectPolicyError(.nonFiniteActions) { try client.infer(observation) }
        #expect(nan?.description.contains("action 1 dimension 0 is nan") == true, "\(String(describing: nan))")

        let text = expectPolicyError(.serverError) { try client.infer(observation) }
        #expect(text?.description.hasSuffix("server error: not a traceback") == true, "\(String(describing: text))")
        try client.connect()

        let huge = expectPolicyError(.tooLarge) { try client.infer(observation) }
        #expect(huge?.description.contains("size cap") == true, "\(String(describing: huge))")
        #expect(!client.isConnected)
        try client.connect()
        #expect(try client.infer(observation).steps == 10)
    }
}
