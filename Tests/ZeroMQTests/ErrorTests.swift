import TestSupport
import Testing
import ZeroMQ

/// Misuse and environment failures become `ZMQError`s with the right errno and one readable line.
@Suite("Errors", .timeLimit(.minutes(1)))
struct ErrorTests {
    @Test func bindToMalformedEndpointIsInvalid() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .rep)
        let error = try #require(throws: ZMQError.self) { try socket.bind("tcp://127.0.0.1") }
        #expect(error.errno == ZMQError.EINVAL)
        #expect(error.description == "zmq bind tcp://127.0.0.1: Invalid argument (errno 22)")
    }

    @Test func connectWithUnknownTransportIsUnsupported() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .req)
        let error = try #require(throws: ZMQError.self) { try socket.connect("carrier-pigeon://roof:1") }
        #expect(error.errno == ZMQError.EPROTONOSUPPORT)
        #expect(error.description.hasPrefix("zmq connect carrier-pigeon://roof:1: "))
        #expect(error.description.hasSuffix("(errno \(ZMQError.EPROTONOSUPPORT))"))
    }

    @Test func bindToPortHeldByAnotherProcessIsAddressInUse() throws {
        let peer = try TestPeer.launch("rep", "tcp://127.0.0.1:*")
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let socket = try Socket(context: context, type: .rep)
        let error = try #require(throws: ZMQError.self) { try socket.bind(endpoint) }
        #expect(error.errno == ZMQError.EADDRINUSE)
        #expect(error.operation == "bind \(endpoint)")
        #expect(error.description == "zmq bind \(endpoint): Address already in use (errno \(ZMQError.EADDRINUSE))")
    }

    @Test func bindToIpcPathInMissingDirectoryFails() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .pull)
        let error = try #require(throws: ZMQError.self) {
            try socket.bind("ipc:///tmp/pld-zmq-no-such-dir-\(UInt32.random(in: 0...UInt32.max))/socket")
        }
        #expect(error.errno == ZMQError.ENOENT)
    }

    @Test func requestSocketRefusesTwoSendsInARow() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .req)
        try socket.connect("inproc://nobody-answers")
        try socket.send(bytes("first"), flags: .dontWait)
        let error = try #require(throws: ZMQError.self) { try socket.send(bytes("second")) }
        #expect(error.errno == ZMQError.EFSM)
        #expect(error.operation == "send on REQ socket")
    }

    @Test func closedSocketThrowsInsteadOfCrashing() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .push)
        socket.close()
        socket.close()
        #expect(!socket.isOpen)
        let error = try #require(throws: ZMQError.self) { try socket.send(bytes("x")) }
        #expect(error.errno == ZMQError.ENOTSOCK)
        #expect(throws: ZMQError.self) { try socket.bind("inproc://closed") }
        #expect(throws: ZMQError.self) { try socket.receive(flags: .dontWait) }
        #expect(throws: ZMQError.self) { try socket.get(.lingerMilliseconds) }
    }

    @Test func contextShutdownEndsBlockingCallsWithETERM() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .pull)
        try socket.bind("inproc://shutdown")
        context.shutdown()
        let error = try #require(throws: ZMQError.self) { try socket.receive() }
        #expect(error.errno == ZMQError.ETERM)
    }

    @Test func emptyMultipartMessageIsInvalid() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .push)
        let error = try #require(throws: ZMQError.self) { try socket.send(multipart: [[UInt8]]()) }
        #expect(error.errno == ZMQError.EINVAL)
    }
}
