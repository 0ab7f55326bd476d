import Testing
import ZeroMQ

/// `receive(into:)` is the control loop's receive: caller-owned buffer, `zmq_recv` semantics.
@Suite("Receive into a caller buffer")
struct ReceiveIntoBufferTests {
    @Test func tooSmallBufferReportsTheTrueSize() throws {
        let context = try Context()
        let sender = try Socket(context: context, type: .pair)
        try sender.bind("inproc://truncate")
        let receiver = try Socket(context: context, type: .pair)
        try receiver.connect("inproc://truncate")

        let message = (0..<100).map { UInt8($0) }
        #expect(try message.withUnsafeBytes { try sender.send($0) })
        var buffer = [UInt8](repeating: 0xFF, count: 16)
        let size = try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0, flags: []) }
        #expect(size == 100)
        #expect(buffer == Array(message.prefix(16)))
    }

    @Test func largeEnoughBufferHoldsTheWholeMessage() throws {
        let context = try Context()
        let sender = try Socket(context: context, type: .pair)
        try sender.bind("inproc://fits")
        let receiver = try Socket(context: context, type: .pair)
        try receiver.connect("inproc://fits")

        try sender.send(bytes("0123456789"))
        var buffer = [UInt8](repeating: 0, count: 64)
        let size = try #require(try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0) })
        #expect(size == 10)
        #expect(Array(buffer.prefix(size)) == bytes("0123456789"))
    }

    @Test func emptyFrameHasSizeZero() throws {
        let context = try Context()
        let sender = try Socket(context: context, type: .pair)
        try sender.bind("inproc://empty-frame")
        let receiver = try Socket(context: context, type: .pair)
        try receiver.connect("inproc://empty-frame")

        try sender.send([UInt8]())
        var buffer = [UInt8](repeating: 0, count: 4)
        #expect(try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0) } == 0)
    }

    @Test func timedReceiveIntoBufferWaitsThenReportsSize() throws {
        let context = try Context()
        let sender = try Socket(context: context, type: .pair)
        try sender.bind("inproc://timed-into")
        let receiver = try Socket(context: context, type: .pair)
        try receiver.connect("inproc://timed-into")

        var buffer = [UInt8](repeating: 0, count: 4)
        let (nothing, elapsed) = try elapsedMilliseconds {
            try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0, timeoutMilliseconds: 80) }
        }
        #expect(nothing == nil)
        #expect(elapsed >= 78 && elapsed < 1_080, "\(elapsed) ms")

        try sender.send(bytes("state:42"))
        let size = try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0, timeoutMilliseconds: 1_000) }
        #expect(size == 8)
        #expect(buffer == bytes("stat"))
    }
}
