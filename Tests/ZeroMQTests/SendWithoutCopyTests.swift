import Foundation
import Testing
import ZeroMQ

/// `sendWithoutCopy` lets libzmq read the caller's bytes later, possibly after the socket was
/// closed (LINGER); `Context.keepAliveUntilTerminated` keeps their owner until that is over.
@Suite("Send without copy")
struct SendWithoutCopyTests {
    final class Owner: @unchecked Sendable {  // immutable after init
        let bytes: UnsafeMutableRawBufferPointer
        init(_ values: [UInt8]) {
            bytes = .allocate(byteCount: values.count, alignment: 8)
            values.withUnsafeBytes { bytes.copyMemory(from: $0) }
        }
        deinit {
            // Scribble before freeing, so a message read after this would arrive corrupted.
            bytes.initializeMemory(as: UInt8.self, repeating: 0xEE)
            bytes.deallocate()
        }
    }

    @Test func contextKeepsTheOwnerUntilItTerminates() throws {
        weak var weakOwner: Owner?
        do {
            let context = try Context()
            do {
                let push = try Socket(context: context, type: .push)
                try push.connect("inproc://send-without-copy-owner")
                let owner = Owner(Array(repeating: 7, count: 512))
                weakOwner = owner
                context.keepAliveUntilTerminated(owner)
                #expect(try push.sendWithoutCopy(UnsafeRawBufferPointer(owner.bytes), flags: .dontWait))
                push.close()
            }
            #expect(weakOwner != nil, "the context must keep the owner while it lives")
        }
        #expect(weakOwner == nil, "the owner must be released once the context has terminated")
    }

    @Test func bytesArriveIntactAfterTheSenderClosedAndDroppedItsBuffer() throws {
        let context = try Context()
        let pull = try Socket(context: context, type: .pull)
        try pull.bind("tcp://127.0.0.1:*")
        let endpoint = try pull.lastEndpoint
        let payload = (0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let sender = try Context()
        do {
            let push = try Socket(context: sender, type: .push)
            try push.connect(endpoint)
            let owner = Owner(payload)
            sender.keepAliveUntilTerminated(owner)
            #expect(try push.sendWithoutCopy(UnsafeRawBufferPointer(owner.bytes)))
            try push.set(.lingerMilliseconds, Int32(2000))
            push.close()
        }
        let received = try pull.receive(timeoutMilliseconds: 3000)
        #expect(received == payload)
        _ = sender
    }
}
