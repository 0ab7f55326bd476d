import Testing
import ZeroMQ

@Suite("Socket options")
struct SocketOptionTests {
    @Test func newSocketsDoNotLinger() throws {
        let context = try Context()
        for type in SocketType.allCases {
            let socket = try Socket(context: context, type: type)
            #expect(try socket.get(.lingerMilliseconds) == 0, "\(type)")
        }
    }

    @Test func integerOptionsRoundTrip() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .dealer)
        let values: [(SocketOption<Int32>, Int32)] = [
            (.lingerMilliseconds, 250),
            (.sendHighWaterMark, 10),
            (.receiveHighWaterMark, 20),
            (.receiveTimeoutMilliseconds, 150),
            (.sendTimeoutMilliseconds, 160),
            (.heartbeatIntervalMilliseconds, 500),
            (.heartbeatTimeoutMilliseconds, 1_500),
            (.heartbeatTTLMilliseconds, 3_000),
            (.reconnectIntervalMilliseconds, 50),
            (.handshakeIntervalMilliseconds, 2_000),
        ]
        for (option, value) in values {
            try socket.set(option, value)
            #expect(try socket.get(option) == value, "option \(option.rawValue)")
        }
        try socket.set(.maxMessageSizeBytes, 1 << 20)
        #expect(try socket.get(.maxMessageSizeBytes) == 1 << 20)
    }

    @Test func booleanOptionsRoundTrip() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .sub)
        for option in [SocketOption<Bool>.conflate, .immediate, .curveServer, .ipv6] {
            #expect(try socket.get(option) == false, "option \(option.rawValue)")
            try socket.set(option, true)
            #expect(try socket.get(option) == true, "option \(option.rawValue)")
        }
    }

    @Test func curveKeyOptionsRoundTrip() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .req)
        let client = try CurveKeyPair.generate()
        let server = try CurveKeyPair.generate()
        try socket.makeCurveClient(serverKey: server.publicKey, keyPair: client)
        #expect(try socket.get(.curveServerKey) == server.publicKey)
        #expect(try socket.get(.curvePublicKey) == client.publicKey)
        #expect(try socket.get(.curveSecretKey) == client.secretKey)
    }

    @Test func invalidOptionValueNamesTheOption() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .pub)
        let error = try #require(throws: ZMQError.self) { try socket.set(.lingerMilliseconds, -5) }
        #expect(error.errno == ZMQError.EINVAL)
        #expect(error.description == "zmq set ZMQ_LINGER = -5 on PUB socket: Invalid argument (errno 22)")
    }

    @Test func unsubscribeStopsDelivery() throws {
        let context = try Context()
        let publisher = try Socket(context: context, type: .pub)
        try publisher.bind("inproc://unsubscribe")
        let subscriber = try Socket(context: context, type: .sub)
        try subscriber.subscribe(prefix: "a")
        try subscriber.subscribe(prefix: bytes("b"))
        try subscriber.connect("inproc://unsubscribe")
        try subscriber.unsubscribe(prefix: "a")
        // inproc subscriptions are delivered synchronously on connect; give the pipe a moment.
        _ = try subscriber.receive(timeoutMilliseconds: 20)

        try publisher.send(bytes("a1"))
        try publisher.send(bytes("c1"))
        try publisher.send(bytes("b1"))
        #expect(text(try subscriber.receive(timeoutMilliseconds: 1_000)) == "b1")
        #expect(try subscriber.receive(timeoutMilliseconds: 20) == nil)
    }

    @Test func contextReportsItsIOThreads() throws {
        #expect(try Context(ioThreads: 2).ioThreads == 2)
        #expect(try Context().maxSockets > 0)
    }
}
