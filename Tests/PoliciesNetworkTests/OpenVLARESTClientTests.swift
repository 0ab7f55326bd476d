import Foundation
import PLDCore
import Policies
import Testing
import Wire

/// The OpenVLA / OpenVLA-OFT REST client against a standard-library Python server that speaks
/// json-numpy (`Tests/Peers/openvla_server.py`).
@Suite("OpenVLA REST client against a Python json-numpy server", .serialized)
struct OpenVLARESTClientTests {
    static func observation(base: Float) throws -> OpenPIDict {
        [
            "full_image": .array(try OpenPIArray([UInt8](repeating: 9, count: 224 * 224 * 3), shape: [224, 224, 3])),
            "state": .array(try OpenPIArray((0..<8).map { base + Float($0) }, shape: [8])),
            "instruction": "pick up the cube",
        ]
    }

    /// The JSON object at the end of the server's `REQUEST <n> <step> {...}` line.
    static func requestSummary(_ server: PeerServer) throws -> [String: Any] {
        let line = try server.requestLine()
        let json = try #require(line.firstIndex(of: "{").map { String(line[$0...]) }, "\(line)")
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func singleActionsChunksErrorBodiesAndGarbage() throws {
        let server = try PeerServer.openVLA(plan: ["single", "chunk", "error", "garbage", "single"])
        let client = OpenVLARESTClient(
            settings: PolicyClientSettings(url: server.url, expectedActionDimensions: 7, unnormKey: "bridge_orig"))
        try client.connect()
        #expect(client.isConnected)
        #expect(client.metadata.isEmpty)

        let single = try client.infer(try Self.observation(base: 1.5))
        #expect(single.steps == 1 && single.dimensions == 7)
        #expect(single.actionDType == "<f4")
        #expect(abs(single[0, 6] - scriptedAction(base: 1.5, step: 0, dimension: 6)) < 1e-6)
        let sent = try Self.requestSummary(server)
        #expect(sent["full_image"] as? String == "(224, 224, 3) |u1")
        #expect(sent["state"] as? String == "(8,) <f4")
        #expect(sent["instruction"] as? String == "pick up the cube")
        #expect(sent["unnorm_key"] as? String == "bridge_orig")

        let chunk = try client.infer(try Self.observation(base: -2))
        #expect(chunk.steps == 8 && chunk.dimensions == 7)
        #expect(abs(chunk[7, 3] - scriptedAction(base: -2, step: 7, dimension: 3)) < 1e-6)

        let error = expectPolicyError(.serverError) { try client.infer(try Self.observation(base: 0)) }
        #expect(error?.description == "policy server \(server.url): server answered \"error\" (its log has the traceback)")
        #expect(!client.isConnected)

        _ = expectPolicyError(.malformedReply) { try client.infer(try Self.observation(base: 0)) }
        #expect(client.isConnected, "the server answered; only its reply was refused")

        #expect(try client.infer(try Self.observation(base: 0)).steps == 1)
        #expect(client.isConnected)
    }

    @Test func wrongWidthAndRefusedServerAreClearErrors() throws {
        let server = try PeerServer.openVLA(plan: ["chunk"])
        let client = OpenVLARESTClient(settings: PolicyClientSettings(url: server.url, expectedActionDimensions: 14))
        let wide = expectPolicyError(.wrongDimensions) { try client.infer(try Self.observation(base: 0)) }
        #expect(wide?.detail == "actions are 7 wide, expected 14 (shape 8 × 7)")

        let nobody = OpenVLARESTClient(
            settings: PolicyClientSettings(url: try ServiceURL(configString: "http://127.0.0.1:1/act"), connectTimeoutSeconds: 2))
        let refused = expectPolicyError(.refused) { try nobody.connect() }
        #expect(refused?.description == "policy server http://127.0.0.1:1/act: connection refused (is the policy server running?)")
    }
}
