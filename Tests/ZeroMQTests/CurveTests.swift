import TestSupport
import Testing
import ZeroMQ

/// CURVE: the server in a `pld-test-peer` process answers only clients that know its public key.
@Suite("CURVE security", .timeLimit(.minutes(1)))
struct CurveTests {
    @Test func clientWithTheServerKeyGetsAReply() throws {
        let server = try CurveKeyPair.generate()
        let peer = try TestPeer.launch("curve-server", "tcp://127.0.0.1:*", server.secretKey.z85)
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let client = try Socket(context: context, type: .req)
        try client.makeCurveClient(serverKey: server.publicKey, keyPair: try CurveKeyPair.generate())
        let monitor = try client.monitor()
        try client.connect(endpoint)
        try client.send(bytes("status"))
        #expect(text(try client.receive(timeoutMilliseconds: 3_000)) == "status")
        #expect(try monitor.waitFor(.handshakeSucceeded, timeoutMilliseconds: 1_000) != nil)
        try peer.waitForLine(prefix: "EVENT handshakeSucceeded")
    }

    @Test func clientWithAWrongServerKeyNeverGetsAReply() throws {
        let server = try CurveKeyPair.generate()
        let peer = try TestPeer.launch("curve-server", "tcp://127.0.0.1:*", server.secretKey.z85)
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let client = try Socket(context: context, type: .req)
        let impostor = try CurveKeyPair.generate()
        try client.makeCurveClient(serverKey: impostor.publicKey, keyPair: try CurveKeyPair.generate())
        try client.connect(endpoint)
        try client.send(bytes("status"))
        #expect(try client.receive(timeoutMilliseconds: 500) == nil)
        let event = try peer.waitForLine(prefix: "EVENT handshakeFailed", timeoutMilliseconds: 3_000)
        #expect(event.hasPrefix("EVENT handshakeFailedProtocol"))
    }

    @Test func plainClientIsRefused() throws {
        let server = try CurveKeyPair.generate()
        let peer = try TestPeer.launch("curve-server", "tcp://127.0.0.1:*", server.secretKey.z85)
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let client = try Socket(context: context, type: .req)
        let monitor = try client.monitor()
        try client.connect(endpoint)
        try client.send(bytes("status"))
        #expect(try client.receive(timeoutMilliseconds: 500) == nil)
        #expect(try monitor.waitFor(\.isHandshakeFailure, timeoutMilliseconds: 2_000) != nil)
        try peer.waitForLine(prefix: "EVENT handshakeFailed", timeoutMilliseconds: 3_000)
    }

    @Test func publicKeyIsDerivedFromTheSecretKey() throws {
        let pair = try CurveKeyPair.generate()
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(pair.publicKey != pair.secretKey)
    }

    @Test func z85TextAndBinaryFormsAgree() throws {
        // The test vector of ZeroMQ RFC 32 (Z85): 8 bytes ↔ "HelloWorld", here padded to a key.
        let key = try CurveKey(z85: "HelloWorld" + String(repeating: "0", count: 30))
        #expect(Array(key.bytes.prefix(8)) == [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
        #expect(try CurveKey(bytes: key.bytes).z85 == key.z85)
        #expect(key.z85.hasPrefix("HelloWorld"))
        #expect(!key.description.contains(key.z85))
    }

    @Test func z85KeyOfWrongLengthIsAClearError() {
        let error = #expect(throws: ZMQError.self) { try CurveKey(z85: "tooShort") }
        #expect(error?.errno == ZMQError.EINVAL)
        #expect(error?.description == "zmq decode CURVE key: Z85 key must be 40 characters, got 8 (errno 22)")
    }

    @Test func z85KeyWithForeignCharacterIsAClearError() {
        let text = String(repeating: "a", count: 12) + "~" + String(repeating: "a", count: 27)
        let error = #expect(throws: ZMQError.self) { try CurveKey(z85: text) }
        #expect(error?.errno == ZMQError.EINVAL)
        #expect(error?.message.contains("offset 12") == true)
        #expect(error?.message.contains("\"~\"") == true)
    }

    @Test func binaryKeyOfWrongLengthIsAClearError() {
        let error = #expect(throws: ZMQError.self) { try CurveKey(bytes: [1, 2, 3]) }
        #expect(error?.message == "binary key must be 32 bytes, got 3")
    }
}
