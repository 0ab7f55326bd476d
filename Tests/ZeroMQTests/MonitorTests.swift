import TestSupport
import Testing
import ZeroMQ

/// Connection state from `zmq_socket_monitor` as a peer process comes and goes.
@Suite("Socket monitor", .timeLimit(.minutes(1)))
struct MonitorTests {
    @Test func connectedWhenPeerStartsAndDisconnectedWhenItIsKilled() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let endpoint = scratch.ipcEndpoint("late-peer")

        let context = try Context()
        let dealer = try Socket(context: context, type: .dealer)
        try dealer.set(.reconnectIntervalMilliseconds, 20)
        let monitor = try dealer.monitor()
        try dealer.connect(endpoint)  // nobody listens yet: libzmq keeps retrying
        #expect(try monitor.waitFor(.connectRetried, timeoutMilliseconds: 2_000)?.endpoint == endpoint)

        let peer = try TestPeer.launch("rep", endpoint)
        defer { peer.stop() }
        #expect(try peer.waitForReady() == endpoint)
        let connected = try monitor.waitFor(.connected, timeoutMilliseconds: 2_000)
        #expect(connected?.endpoint == endpoint)

        peer.kill()
        let disconnected = try monitor.waitFor(.disconnected, timeoutMilliseconds: 2_000)
        #expect(disconnected?.endpoint == endpoint)
    }

    @Test func tcpPeerKilledIsReportedAsDisconnected() throws {
        let peer = try TestPeer.launch("rep", "tcp://127.0.0.1:*")
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let requester = try Socket(context: context, type: .req)
        let monitor = try requester.monitor([.connected, .disconnected])
        try requester.connect(endpoint)
        #expect(try monitor.waitFor(.connected, timeoutMilliseconds: 2_000)?.endpoint == endpoint)
        try requester.send(bytes("up?"))
        #expect(text(try requester.receive(timeoutMilliseconds: 2_000)) == "up?")

        peer.kill()
        #expect(try monitor.waitFor(.disconnected, timeoutMilliseconds: 2_000)?.endpoint == endpoint)
    }

    @Test func listeningIsReportedForABind() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .pub)
        let monitor = try socket.monitor()
        try socket.bind("tcp://127.0.0.1:*")
        let event = try #require(try monitor.next(timeoutMilliseconds: 1_000))
        #expect(event.kind == .listening)
        #expect(event.endpoint == (try socket.lastEndpoint))
        #expect(try monitor.next(timeoutMilliseconds: 0) == nil)
    }
}
