import Foundation
import TestSupport
import Testing
import ZeroMQ

@Suite("CONFLATE", .timeLimit(.minutes(1)))
struct ConflateTests {
    @Test func conflatingSubscriberKeepsOnlyTheNewestMessage() throws {
        let peer = try TestPeer.launch("pub", "tcp://127.0.0.1:*", "200")
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let subscriber = try Socket(context: context, type: .sub)
        try subscriber.set(.conflate, true)
        try subscriber.subscribe()
        try subscriber.connect(endpoint)

        // The peer publishes 1...200 back to back once our subscription reaches it; we only
        // look after it is done and the messages had time to cross the loopback.
        try peer.waitForLine(prefix: "SENT 200")
        Thread.sleep(forTimeInterval: 0.2)
        #expect(text(try subscriber.receive(timeoutMilliseconds: 1_000)) == "200")
        #expect(try subscriber.receive(flags: .dontWait) == nil)
    }

    @Test func withoutConflateEveryMessageIsQueued() throws {
        let peer = try TestPeer.launch("pub", "tcp://127.0.0.1:*", "200")
        defer { peer.stop() }
        let endpoint = try peer.waitForReady()

        let context = try Context()
        let subscriber = try Socket(context: context, type: .sub)
        try subscriber.subscribe()
        try subscriber.connect(endpoint)
        try peer.waitForLine(prefix: "SENT 200")
        #expect(text(try subscriber.receive(timeoutMilliseconds: 1_000)) == "1")
    }
}
