import ZeroMQ

/// What happened during one `poll(now:)` of a `CameraFeed` or `FeatureFeed`.
public struct FeedEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A new good frame or vector was taken.
    public static let newSample = FeedEvents(rawValue: 1 << 0)
    /// At least one message was refused (see the counters for why).
    public static let refused = FeedEvents(rawValue: 1 << 1)
    /// The sequence skipped: the publisher sent messages we never saw (conflation or loss).
    public static let dropped = FeedEvents(rawValue: 1 << 2)
    /// The sequence went backwards: the publisher restarted.
    public static let restarted = FeedEvents(rawValue: 1 << 3)
    /// No new sample within `max_age_s`: the stream froze.
    public static let frozen = FeedEvents(rawValue: 1 << 4)
    /// Samples flow again after a freeze.
    public static let resumed = FeedEvents(rawValue: 1 << 5)
    /// A receive failed (socket closed, context terminated).
    public static let transportError = FeedEvents(rawValue: 1 << 6)
}

/// Counters of one feed. A value type.
public struct FeedCounters: Sendable, Equatable {
    /// Good samples taken.
    public var received = 0
    /// Refused messages, by reason.
    public var refusals = RefusalCounts()
    /// Messages the publisher sent that never arrived, from sequence gaps. A conflated SUB
    /// keeps only the newest message, so a consumer slower than the publisher drops by design.
    public var dropped = 0
    /// Sequence went backwards (publisher restarted).
    public var sequenceRestarts = 0
    /// Transitions into "no new sample within `max_age_s`".
    public var freezes = 0
    public var receiveFailures = 0

    public init() {}
}

/// Sequence, freshness and socket plumbing shared by the camera and feature feeds.
///
/// Threading: owned by the feed's thread (an I/O thread is fine; the feeds allocate).
struct FeedReceiver {
    let subject: String
    let endpoint: String
    let maxAgeNanos: UInt64
    let maxMessageBytes: Int
    var socket: Socket?
    var counters = FeedCounters()
    var lastSequence: UInt64 = 0
    var lastReceivedAtNanos: UInt64 = 0
    var hasSample = false
    var frozen = true

    init(subject: String, endpoint: String, maxAgeS: Double, timeScale: Double, maxMessageBytes: Int) {
        self.subject = subject
        self.endpoint = endpoint
        self.maxAgeNanos = scaledNanos(maxAgeS, timeScale: timeScale)
        self.maxMessageBytes = maxMessageBytes
    }

    /// A conflated SUB. ZMQ_MAXMSGSIZE bounds memory at 4× the accepted size: a larger message
    /// makes libzmq drop the connection (and reconnect) before we ever allocate for it;
    /// anything smaller is received and refused (and counted) by the bounded decode.
    mutating func connect(context: Context) throws(DriverError) {
        guard socket == nil else { return }
        do {
            let sub = try Socket(context: context, type: .sub)
            try sub.set(.conflate, true)
            try sub.set(.maxMessageSizeBytes, Int64(4 * maxMessageBytes + 1 << 20))
            try sub.subscribe(prefix: [UInt8]())
            try sub.connect(endpoint)
            socket = sub
        } catch {
            throw .zmq(subject, "connect SUB to \(endpoint)", error)
        }
    }

    mutating func close() {
        socket?.close()
        socket = nil
    }

    /// The next queued message, or nil (none, or a counted failure).
    mutating func receive(events: inout FeedEvents) -> [UInt8]? {
        guard let socket else { return nil }
        do {
            return try socket.receive(flags: .dontWait)
        } catch {
            counters.receiveFailures += 1
            events.insert(.transportError)
            return nil
        }
    }

    mutating func refuse(_ reason: RefusalReason, events: inout FeedEvents) {
        counters.refusals.record(reason)
        events.insert(.refused)
    }

    /// Records a good sample's sequence (drops, restarts) and receipt.
    mutating func accept(sequence: UInt64, now: UInt64, events: inout FeedEvents) {
        if hasSample {
            if sequence > lastSequence &+ 1 {
                counters.dropped += Int(clamping: sequence - lastSequence - 1)
                events.insert(.dropped)
            } else if sequence <= lastSequence {
                counters.sequenceRestarts += 1
                events.insert(.restarted)
            }
        }
        lastSequence = sequence
        lastReceivedAtNanos = now
        hasSample = true
        counters.received += 1
        events.insert(.newSample)
    }

    /// Freeze detection: no good sample within `max_age_s` (the first freeze only after a sample).
    mutating func updateFreshness(now: UInt64, events: inout FeedEvents) {
        let isFrozen = !hasSample || elapsedNanos(since: lastReceivedAtNanos, to: now) > maxAgeNanos
        if isFrozen && !frozen {
            counters.freezes += 1
            events.insert(.frozen)
        } else if !isFrozen && frozen && hasSample {
            events.insert(.resumed)
        }
        frozen = isFrozen
    }
}
