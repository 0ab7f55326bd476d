import Testing
import ZeroMQ

/// "No message" is a value, not an exception, and waits are bounded.
@Suite("Timeouts and non-blocking calls")
struct TimeoutTests {
    // libzmq measures with its own millisecond clock; allow 2 ms of rounding below the timeout.
    static let earlyMilliseconds = 2.0

    @Test func receiveTimeoutOptionReturnsNoMessageAfterTheTimeout() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .pull)
        try socket.bind("tcp://127.0.0.1:*")
        try socket.set(.receiveTimeoutMilliseconds, 200)
        let (message, elapsed) = try elapsedMilliseconds { try socket.receive() }
        #expect(message == nil)
        #expect(elapsed >= 200 - Self.earlyMilliseconds && elapsed < 1_200, "\(elapsed) ms")

        var buffer = [UInt8](repeating: 0, count: 8)
        let (size, elapsedInto) = try elapsedMilliseconds {
            try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        }
        #expect(size == nil)
        #expect(elapsedInto >= 200 - Self.earlyMilliseconds && elapsedInto < 1_200, "\(elapsedInto) ms")
    }

    @Test func timedReceiveReturnsNoMessageAfterTheTimeout() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .sub)
        try socket.subscribe()
        try socket.connect("inproc://nobody-publishes")
        let (message, elapsed) = try elapsedMilliseconds { try socket.receive(timeoutMilliseconds: 150) }
        #expect(message == nil)
        #expect(elapsed >= 150 - Self.earlyMilliseconds && elapsed < 1_150, "\(elapsed) ms")
    }

    @Test func pollerTimesOutWithNothingReady() throws {
        let context = try Context()
        let first = try Socket(context: context, type: .pull)
        try first.bind("inproc://quiet-1")
        let second = try Socket(context: context, type: .rep)
        try second.bind("inproc://quiet-2")
        let poller = Poller()
        try poller.add(first)
        try poller.add(second, events: [.readable, .writable])
        let (ready, elapsed) = try elapsedMilliseconds { try poller.poll(timeoutMilliseconds: 120) }
        #expect(ready == 0)
        #expect(elapsed >= 120 - Self.earlyMilliseconds && elapsed < 1_120, "\(elapsed) ms")
    }

    @Test func singleSocketPollTimesOut() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .pull)
        try socket.bind("inproc://quiet-single")
        let (events, elapsed) = try elapsedMilliseconds {
            try socket.poll(.readable, timeoutMilliseconds: 100)
        }
        #expect(events.isEmpty)
        #expect(elapsed >= 100 - Self.earlyMilliseconds && elapsed < 1_100, "\(elapsed) ms")
    }

    @Test func nonBlockingReceiveWithNothingQueuedReturnsNil() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .pull)
        try socket.bind("inproc://empty")
        #expect(try socket.receive(flags: .dontWait) == nil)
        #expect(try socket.receiveMultipart(flags: .dontWait) == nil)
    }

    @Test func nonBlockingSendWithoutPeerReturnsFalse() throws {
        let context = try Context()
        let socket = try Socket(context: context, type: .push)
        try socket.bind("tcp://127.0.0.1:*")
        #expect(try socket.send(bytes("lost"), flags: .dontWait) == false)
        #expect(try socket.send(multipart: [bytes("a"), bytes("b")], flags: .dontWait) == false)
        try socket.set(.sendTimeoutMilliseconds, 50)
        #expect(try socket.send(bytes("lost")) == false)
    }
}
