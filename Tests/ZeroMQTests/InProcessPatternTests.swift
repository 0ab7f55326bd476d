import Testing
import ZeroMQ

/// Patterns whose behaviour does not depend on a second process: DEALER/ROUTER, PAIR, polling.
@Suite("Patterns in one process", .timeLimit(.minutes(1)))
struct InProcessPatternTests {
    @Test func routerSeesDealerRoutingIDAndRepliesToIt() throws {
        let context = try Context()
        let router = try Socket(context: context, type: .router)
        try router.bind("inproc://router-dealer")
        let dealer = try Socket(context: context, type: .dealer)
        try dealer.set(.routingID, bytes("arm-1"))
        #expect(try dealer.get(.routingID) == bytes("arm-1"))
        try dealer.connect("inproc://router-dealer")

        try dealer.send(multipart: [bytes("ping"), bytes("7")])
        let request = try #require(try router.receiveMultipart(timeoutMilliseconds: 2_000))
        #expect(request == [bytes("arm-1"), bytes("ping"), bytes("7")])

        try router.send(multipart: [request[0], bytes("pong")])
        #expect(try dealer.receiveMultipart(timeoutMilliseconds: 2_000) == [bytes("pong")])
    }

    @Test func pairSocketsTalkBothWays() throws {
        let context = try Context()
        let left = try Socket(context: context, type: .pair)
        try left.bind("inproc://pair")
        let right = try Socket(context: context, type: .pair)
        try right.connect("inproc://pair")

        try left.send(bytes("to right"))
        #expect(text(try right.receive(timeoutMilliseconds: 2_000)) == "to right")
        try right.send(bytes("to left")[...])
        #expect(text(try left.receive(timeoutMilliseconds: 2_000)) == "to left")
        try right.send("as utf8 view".utf8)
        #expect(text(try left.receive(timeoutMilliseconds: 2_000)) == "as utf8 view")
    }

    @Test func multipartFramesCarryTheMoreFlag() throws {
        let context = try Context()
        let sender = try Socket(context: context, type: .pair)
        try sender.bind("inproc://more")
        let receiver = try Socket(context: context, type: .pair)
        try receiver.connect("inproc://more")

        try sender.send(bytes("a"), flags: .sendMore)
        try sender.send(bytes("b"))
        #expect(try receiver.receive(flags: []) == bytes("a"))
        #expect(try receiver.hasMoreFrames)
        #expect(try receiver.receive(flags: []) == bytes("b"))
        #expect(try receiver.hasMoreFrames == false)
    }

    @Test func pollerReportsWhichSocketIsReadable() throws {
        let context = try Context()
        let first = try Socket(context: context, type: .pull)
        try first.bind("inproc://poll-first")
        let second = try Socket(context: context, type: .pull)
        try second.bind("inproc://poll-second")
        let feeder = try Socket(context: context, type: .push)
        try feeder.connect("inproc://poll-second")

        let poller = Poller(capacity: 1)
        let firstIndex = try poller.add(first)
        let secondIndex = try poller.add(second)  // grows past the initial capacity
        #expect(poller.count == 2)

        try feeder.send(bytes("x"))
        #expect(try poller.poll(timeoutMilliseconds: 2_000) == 1)
        #expect(poller.isReadable(at: secondIndex))
        #expect(!poller.isReadable(at: firstIndex))
        #expect(try second.receive(flags: .dontWait) == bytes("x"))

        #expect(try poller.poll(timeoutMilliseconds: 0) == 0)
        #expect(poller.events(at: secondIndex).isEmpty)
    }

    @Test func pollerRefusesSocketClosedAfterRegistration() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .pull)
        let poller = Poller()
        try poller.add(socket)
        socket.close()
        let error = try #require(throws: ZMQError.self) { try poller.poll(timeoutMilliseconds: 0) }
        #expect(error.errno == ZMQError.ENOTSOCK)
    }
}
