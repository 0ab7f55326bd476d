import Foundation
import PLDCore
@testable import Runtime
import Synchronization
import Tasks
import TestSupport
import Testing
import ZeroMQ

/// `kind: remote` classifiers against a pyzmq REP service (Tests/Peers/classifier_service.py):
/// a service that answers is scored, one that hangs, talks garbage or is not there at all is
/// unknown — never success.
@Suite(.serialized) struct RemoteClassifierTests {
    /// A channel for `feature.cube_pose` (3 values) with a 0.3 s timeout and its worker.
    static func channel(endpoint: String, timeoutS: Double = 0.3) throws -> (RemoteClassifierChannel, RemoteClassifierWorker, Context) {
        let config = ClassifierConfig(
            name: "lifted", kind: .remote, inputs: [.feature("cube_pose")], endpoint: try Endpoint(configString: endpoint),
            timeoutS: timeoutS)
        let channel = RemoteClassifierChannel(
            config: config, numericSources: [.init(source: .feature("cube_pose"), width: 3)], timeScale: 1)
        let context = try Context()
        let worker = RemoteClassifierWorker(channels: [channel], context: context, log: { print("worker: \($0)") }) { _ in nil }
        return (channel, worker, context)
    }

    /// Offers inputs every 10 ms (as the tick would) for `seconds` and returns the scores seen,
    /// with their times since the start.
    static func drive(_ channel: RemoteClassifierChannel, z: Double, seconds: Double) -> [(t: Double, score: Double)] {
        var seen: [(Double, Double)] = []
        let start = monotonicNanos()
        let values = [0.5, 0.1, z]
        while true {
            let now = monotonicNanos()
            let t = Double(now - start) / 1e9
            if t > seconds { break }
            values.withUnsafeBufferPointer { channel.offer($0, nowNanos: now) }
            seen.append((t, channel.score(nowNanos: now)))
            usleep(10_000)
        }
        return seen
    }

    @Test func aServiceThatAnswersIsScoredAndOneThatHangsBecomesUnknown() throws {
        let port = try SimCell.freePort()
        let service = try PythonPeer.launch(
            "classifier_service.py",
            ["--bind", "tcp://127.0.0.1:\(port)", "--input", "feature.cube_pose", "--index", "2", "--above", "0.1",
             "--stall-after", "20", "--stall-seconds", "3"])
        defer { service.stop() }
        _ = try service.waitForLine(prefix: "READY", timeoutMilliseconds: 10_000)
        let (channel, worker, context) = try Self.channel(endpoint: "tcp://127.0.0.1:\(port)")
        defer { context.shutdown() }
        worker.start()
        defer { worker.stop() }
        let seen = Self.drive(channel, z: 0.2, seconds: 2.5)
        let answered = seen.filter { $0.score == 1 }
        #expect(!answered.isEmpty, "the service's answers were never seen")
        // After the 20th request the service sleeps 3 s per reply: within timeout (0.3 s) plus
        // slack the score must be unknown, and it must stay unknown to the end.
        let lastOne = try #require(answered.last).t
        let after = seen.filter { $0.t > lastOne + 0.5 }
        #expect(!after.isEmpty && after.allSatisfy { $0.score.isNaN }, "scores after the hang: \(after.prefix(5).map(\.score))")
        #expect(!seen.contains { $0.score == 0 }, "z 0.2 is above the rule: never 0")
        #expect(channel.timeouts.load(ordering: .relaxed) >= 1)
        print("remote classifier: \(channel.requests.load(ordering: .relaxed)) requests, \(channel.replies.load(ordering: .relaxed)) replies, \(channel.timeouts.load(ordering: .relaxed)) timeouts; last answer at \(String(format: "%.2f", lastOne)) s, unknown from \(String(format: "%.2f", after.first?.t ?? -1)) s")
    }

    @Test func aServiceThatIsNotThereIsUnknownNeverSuccess() throws {
        let port = try SimCell.freePort()
        let (channel, worker, context) = try Self.channel(endpoint: "tcp://127.0.0.1:\(port)")
        defer { context.shutdown() }
        worker.start()
        defer { worker.stop() }
        let seen = Self.drive(channel, z: 0.2, seconds: 1.2)
        #expect(seen.count > 50 && seen.allSatisfy { $0.score.isNaN })
        #expect(channel.replies.load(ordering: .relaxed) == 0 && channel.timeouts.load(ordering: .relaxed) >= 2)
    }

    @Test func malformedRepliesAreUnknownAndTheNextGoodOneCounts() throws {
        let port = try SimCell.freePort()
        let service = try PythonPeer.launch(
            "classifier_service.py",
            ["--bind", "tcp://127.0.0.1:\(port)", "--input", "feature.cube_pose", "--index", "2", "--above", "0.1", "--garbage-every", "2"])
        defer { service.stop() }
        _ = try service.waitForLine(prefix: "READY", timeoutMilliseconds: 10_000)
        let (channel, worker, context) = try Self.channel(endpoint: "tcp://127.0.0.1:\(port)", timeoutS: 1)
        defer { context.shutdown() }
        worker.start()
        defer { worker.stop() }
        let seen = Self.drive(channel, z: 0.0, seconds: 1.0)
        #expect(channel.malformed.load(ordering: .relaxed) >= 2)
        #expect(seen.contains { $0.score == 0 } && seen.contains { $0.score.isNaN })
        #expect(!seen.contains { $0.score == 1 })
    }

    @Test func repliesOfTheWrongShapeAreRefused() {
        func frame(_ text: String) -> [[UInt8]] { [Array(text.utf8)] }
        #expect(RemoteClassifierWorker.parse(frame(#"{"seq": 7, "score": 0.25}"#), seq: 7) == 0.25)
        for bad in [#"{"seq": 6, "score": 0.25}"#, #"{"seq": 7, "score": 1.5}"#, #"{"seq": 7, "score": -0.1}"#,
                    #"{"seq": 7}"#, #"{"seq": 7, "error": "model not loaded"}"#, #"{"seq": 7, "score": "high"}"#,
                    "[1, 2]", "", "\u{0}\u{1}"] {
            #expect(RemoteClassifierWorker.parse(frame(bad), seq: 7) == nil, "\(bad)")
        }
        #expect(RemoteClassifierWorker.parse(frame(#"{"seq": 7, "score": 0.25}"#) + [[1]], seq: 7) == nil)
        #expect(RemoteClassifierWorker.parse(frame(#"{"seq": 7, "score": 0.25}"#), seq: nil) == nil)
    }
}
