import Foundation
import PLDCore
import Synchronization
import Tasks
import ZeroMQ

/// The inputs the control thread offers a remote classifier, inline (no allocation to copy).
struct RemoteClassifierInputs: Sendable {
    var values = InlineArray<512, Double>(repeating: .nan)
    var count = 0
}

/// One `kind: remote` classifier as the control thread sees it: inputs go out through a
/// triple buffer, the newest answered score comes back through atomics
/// (`Sources/Tasks/RemoteClassifierProtocol.md`).
///
/// Threading: `offer` and `score` on the control thread (lock-free, no allocation); everything
/// else on the classifier worker's thread.
final class RemoteClassifierChannel: RemoteScoreChannel, @unchecked Sendable {
    // @unchecked: `scratch` is the control thread's; the rest are atomics or a triple buffer.
    let config: ClassifierConfig
    /// Numeric inputs in order, and the camera sources to attach.
    let numericSources: [RewardClassifiers.Input]
    let cameras: [String]
    let timeoutNanos: UInt64
    let inputs = TripleBuffer(initial: RemoteClassifierInputs())
    private var scratch = RemoteClassifierInputs()
    private let scoreBits = Atomic<UInt64>(Double.nan.bitPattern)
    private let answeredAtNanos = Atomic<UInt64>(0)
    let requests = Atomic<Int>(0)
    let replies = Atomic<Int>(0)
    let timeouts = Atomic<Int>(0)
    let malformed = Atomic<Int>(0)

    init(config: ClassifierConfig, numericSources: [RewardClassifiers.Input], timeScale: Double) {
        self.config = config
        self.numericSources = numericSources
        cameras = config.inputs.compactMap { if case let .camera(name) = $0 { name } else { nil } }
        timeoutNanos = UInt64(config.remoteTimeoutS * timeScale * 1e9)
    }

    func offer(_ values: UnsafeBufferPointer<Double>, nowNanos: UInt64) {
        let count = min(values.count, 512)
        for i in 0..<count { scratch.values[i] = values[i] }
        scratch.count = count
        inputs.write(scratch)
    }

    func score(nowNanos: UInt64) -> Double {
        let answered = answeredAtNanos.load(ordering: .acquiring)
        guard answered != 0, nowNanos &- answered <= timeoutNanos || nowNanos < answered else { return .nan }
        return Double(bitPattern: scoreBits.load(ordering: .relaxed))
    }

    /// Worker thread: a valid answer arrived.
    func answer(_ score: Double, at nanos: UInt64) {
        scoreBits.store(score.bitPattern, ordering: .relaxed)
        answeredAtNanos.store(nanos, ordering: .releasing)
    }

    /// Worker thread: the service failed; the score is unknown until it answers again.
    func forget() { answeredAtNanos.store(0, ordering: .releasing) }
}

/// The thread that talks to every remote classifier service: one REQ socket each, one request
/// in flight each, lazy-pirate recovery (close and reopen the REQ after a timeout).
final class RemoteClassifierWorker: @unchecked Sendable {
    // @unchecked: sockets and `pending` are the worker thread's; start/stop use atomics.
    let channels: [RemoteClassifierChannel]
    private let context: Context
    private let image: @Sendable (String) -> (rgb: [UInt8], width: Int, height: Int, sequence: UInt64)?
    private var sockets: [Socket?]
    private var pending: [(seq: UInt64, sentAt: UInt64)?]
    private var seq: UInt64 = 0
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let log: @Sendable (String) -> Void

    init(
        channels: [RemoteClassifierChannel], context: Context, log: @escaping @Sendable (String) -> Void,
        image: @escaping @Sendable (String) -> (rgb: [UInt8], width: Int, height: Int, sequence: UInt64)?
    ) {
        self.channels = channels
        self.context = context
        self.image = image
        self.log = log
        sockets = Array(repeating: nil, count: channels.count)
        pending = Array(repeating: nil, count: channels.count)
    }

    func start() {
        guard !channels.isEmpty, running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "pld classifiers"
        thread.start()
    }

    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    private func run() {
        var reported = Set<Int>()
        while running.load(ordering: .relaxed) {
            let now = monotonicNanos()
            for c in 0..<channels.count {
                let channel = channels[c]
                if let request = pending[c] {
                    guard now &- request.sentAt > channel.timeoutNanos else { continue }
                    // No answer in time: abandon it; a REQ cannot send again before a reply.
                    channel.timeouts.add(1, ordering: .relaxed)
                    channel.forget()
                    sockets[c]?.close()
                    sockets[c] = nil
                    pending[c] = nil
                    if reported.insert(c).inserted {
                        log("classifier \(channel.config.name): no reply from \(channel.config.endpoint?.configString ?? "?") within \(channel.config.remoteTimeoutS) s; its score is unknown until it answers")
                    }
                    continue
                }
                let (offered, isNew) = channel.inputs.read()
                guard isNew else { continue }
                do {
                    try send(c, offered, now: now)
                } catch {
                    channel.forget()
                    sockets[c]?.close()
                    sockets[c] = nil
                }
            }
            receiveReplies(reported: &reported)
        }
        for socket in sockets { socket?.close() }
    }

    private func socket(_ c: Int) throws(ZMQError) -> Socket {
        if let socket = sockets[c] { return socket }
        let socket = try Socket(context: context, type: .req)
        try socket.set(.lingerMilliseconds, 0)
        try socket.set(.maxMessageSizeBytes, 1 << 16)
        if let endpoint = channels[c].config.endpoint { try socket.connect(endpoint.configString) }
        sockets[c] = socket
        return socket
    }

    private func send(_ c: Int, _ offered: RemoteClassifierInputs, now: UInt64) throws {
        let channel = channels[c]
        seq &+= 1
        var numbers: [String: Any] = [:]
        var k = 0
        for input in channel.numericSources {
            var values: [Any] = []
            for _ in 0..<input.width {
                let v = k < offered.count ? offered.values[k] : .nan
                values.append(v.isFinite ? v : NSNull())
                k += 1
            }
            numbers[input.source.description] = values
        }
        var images: [[String: Any]] = []
        var frames: [[UInt8]] = []
        for camera in channel.cameras {
            guard let frame = image(camera) else { continue }
            images.append(["camera": camera, "width": frame.width, "height": frame.height, "encoding": "rgb8", "sequence": frame.sequence])
            frames.append(frame.rgb)
        }
        let header: [String: Any] = [
            "protocol": "pld-classifier/1", "classifier": channel.config.name, "seq": seq, "inputs": numbers, "images": images,
        ]
        let json = try JSONSerialization.data(withJSONObject: header)
        let socket = try socket(c)
        // A REQ that is not connected yet queues nothing and would block: try again next tick.
        guard try socket.send(multipart: [[UInt8](json)] + frames, flags: .dontWait) else { return }
        channel.requests.add(1, ordering: .relaxed)
        pending[c] = (seq, now)
    }

    private func receiveReplies(reported: inout Set<Int>) {
        let poller = Poller(capacity: channels.count)
        var indices: [Int] = []
        for c in 0..<channels.count where pending[c] != nil {
            guard let socket = sockets[c], (try? poller.add(socket)) != nil else { continue }
            indices.append(c)
        }
        guard !indices.isEmpty else {
            usleep(2_000)
            return
        }
        guard let ready = try? poller.poll(timeoutMilliseconds: 5), ready > 0 else { return }
        for (slot, c) in indices.enumerated() where poller.isReadable(at: slot) {
            guard let socket = sockets[c], let frames = try? socket.receiveMultipart(flags: .dontWait) else { continue }
            let channel = channels[c]
            let expected = pending[c]?.seq
            pending[c] = nil
            if let score = Self.parse(frames, seq: expected) {
                channel.replies.add(1, ordering: .relaxed)
                channel.answer(score, at: monotonicNanos())
                if reported.remove(c) != nil { log("classifier \(channel.config.name): answering again") }
            } else {
                channel.malformed.add(1, ordering: .relaxed)
                channel.forget()
            }
        }
    }

    /// The score of a well-formed reply to request `seq`, else nil (unknown).
    static func parse(_ frames: [[UInt8]], seq: UInt64?) -> Double? {
        guard frames.count == 1, let seq,
            let object = try? JSONSerialization.jsonObject(with: Data(frames[0])) as? [String: Any],
            let replySeq = (object["seq"] as? NSNumber)?.uint64Value, replySeq == seq,
            let score = (object["score"] as? NSNumber)?.doubleValue, score.isFinite, (0...1).contains(score)
        else { return nil }
        return score
    }
}
