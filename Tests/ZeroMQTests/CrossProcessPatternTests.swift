import Foundation
import TestSupport
import Testing
import ZeroMQ

/// PUB/SUB, REQ/REP and PUSH/PULL between this process and a `pld-test-peer` child, over tcp
/// loopback and ipc.
@Suite("Patterns across processes", .timeLimit(.minutes(1)))
struct CrossProcessPatternTests {
    @Test(arguments: Transport.allCases)
    func subscriberReceivesEveryPublishedMessageInOrder(transport: Transport) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let peer = try TestPeer.launch("pub", transport.bindEndpoint(in: scratch, name: "pub"), "5")
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let subscriber = try Socket(context: context, type: .sub)
        try subscriber.subscribe()
        try subscriber.connect(endpoint)

        var received: [String] = []
        for _ in 1...5 {
            received.append(try #require(text(try subscriber.receive(timeoutMilliseconds: 3_000))))
        }
        #expect(received == ["1", "2", "3", "4", "5"])
        #expect(try subscriber.receive(timeoutMilliseconds: 50) == nil)
    }

    @Test func prefixSubscriptionDropsOtherTopics() throws {
        let peer = try TestPeer.launch("pub", "tcp://127.0.0.1:*", "4", "arm/", "cam/")
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let subscriber = try Socket(context: context, type: .sub)
        try subscriber.subscribe(prefix: "arm/")
        try subscriber.connect(endpoint)

        try peer.waitForLine(prefix: "SENT 8")
        var received: [String] = []
        while let message = try subscriber.receive(timeoutMilliseconds: 300) {
            received.append(text(message)!)
        }
        #expect(received == ["arm/1", "arm/2", "arm/3", "arm/4"])
    }

    @Test(arguments: Transport.allCases)
    func requestGetsItsMultipartReply(transport: Transport) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let peer = try TestPeer.launch("rep", transport.bindEndpoint(in: scratch, name: "rep"))
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let requester = try Socket(context: context, type: .req)
        try requester.connect(endpoint)

        let large = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let request: [[UInt8]] = [bytes("header"), [], large, bytes("end")]
        #expect(try requester.send(multipart: request))
        let reply = try #require(try requester.receiveMultipart(timeoutMilliseconds: 3_000))
        #expect(reply.count == 4)
        #expect(reply == request)

        // And a second round trip on the same REQ socket: the lockstep is back at "send".
        try requester.send(bytes("again"))
        #expect(text(try requester.receive(timeoutMilliseconds: 3_000)) == "again")
    }

    @Test(arguments: Transport.allCases)
    func pushedMessagesArriveAtPeerInOrder(transport: Transport) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let peer = try TestPeer.launch("pull", transport.bindEndpoint(in: scratch, name: "pull"), "100")
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let pusher = try Socket(context: context, type: .push)
        try pusher.connect(endpoint)
        for number in 1...100 {
            #expect(try pusher.send(bytes("\(number)")))
        }
        #expect(try peer.waitForLine(prefix: "RECEIVED") == "RECEIVED 100 in-order")
    }

    @Test(arguments: Transport.allCases)
    func pulledMessagesArriveFromPeerInOrder(transport: Transport) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let peer = try TestPeer.launch("push", transport.bindEndpoint(in: scratch, name: "push"), "50")
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let puller = try Socket(context: context, type: .pull)
        try puller.connect(endpoint)
        var received: [String] = []
        for _ in 1...50 {
            received.append(try #require(text(try puller.receive(timeoutMilliseconds: 3_000))))
        }
        #expect(received == (1...50).map { "\($0)" })
    }
}
