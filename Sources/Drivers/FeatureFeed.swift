import PLDCore
import Wire
import ZeroMQ

/// One good feature vector with its timing.
public struct FeatureVectorSample: Sendable {
    public var name: String
    public var sequence: UInt64
    /// Publisher's CLOCK_REALTIME at capture, ns (never compared with our clock).
    public var captureUnixNanos: Int64
    /// Our monotonic clock at receipt, ns.
    public var receivedAtNanos: UInt64
    /// Exactly `dims` finite values.
    public var values: [Float]
    /// The publisher's labels (empty, or one per value).
    public var labels: [String]
}

/// The runtime's side of one named feature stream (`pld.FeatureVector` on a PUB; here a
/// conflated SUB connecting to `FeatureConfig.endpoint`), e.g. an object pose from a perception
/// node or the simulator.
///
/// **Threading.** Owned by one thread, not Sendable; it allocates (values, labels), so it may
/// run on an I/O thread. `poll(now:)` never blocks; `max_age_s` is scaled by `timeScale`.
///
/// **Checks.** Decoded with a size bound; refused, counted by reason, when malformed or too
/// large, named otherwise than configured, carrying another number of values than `dims`, labels
/// whose count differs from the values', or NaN/Inf. Drops, restarts and freezes are counted
/// like `CameraFeed`'s.
public final class FeatureFeed {
    public struct Options: Sendable {
        public var timeScale: Double = 1
        /// Largest message accepted: this plus 64 bytes per value (labels included), bytes.
        public var baseBytes = 4096
        public var maxDrainPerPoll = 8
        public init() {}
    }

    public let config: FeatureConfig
    public let options: Options
    public private(set) var latest: FeatureVectorSample?
    var receiver: FeedReceiver
    let context: Context

    public init(feature: FeatureConfig, context: Context, options: Options = Options()) {
        config = feature
        self.options = options
        self.context = context
        receiver = FeedReceiver(
            subject: "feature \(feature.name)", endpoint: feature.endpoint.configString, maxAgeS: feature.maxAgeS,
            timeScale: options.timeScale, maxMessageBytes: options.baseBytes + 64 * feature.dims)
    }

    public var counters: FeedCounters { receiver.counters }
    public var maxMessageBytes: Int { receiver.maxMessageBytes }
    /// No good vector within `max_age_s` at the last poll (true before the first).
    public var isFrozen: Bool { receiver.frozen }

    public func ageNanos(now: UInt64) -> UInt64? {
        latest.map { elapsedNanos(since: $0.receivedAtNanos, to: now) }
    }

    public func connect() throws(DriverError) { try receiver.connect(context: context) }

    public func close() { receiver.close() }

    @discardableResult
    public func poll(now: UInt64) -> FeedEvents {
        var events: FeedEvents = []
        for _ in 0..<options.maxDrainPerPoll {
            guard let bytes = receiver.receive(events: &events) else { break }
            take(bytes, now: now, events: &events)
        }
        receiver.updateFreshness(now: now, events: &events)
        return events
    }

    private func take(_ bytes: [UInt8], now: UInt64, events: inout FeedEvents) {
        let vector: PLDFeatureVector
        do {
            vector = try PLDFeatureVector(wireBytes: bytes, maxBytes: receiver.maxMessageBytes)
        } catch {
            receiver.refuse(bytes.count > receiver.maxMessageBytes ? .tooLarge : .malformed, events: &events)
            return
        }
        guard vector.name == config.name else { return receiver.refuse(.wrongName, events: &events) }
        guard vector.values.count == config.dims else { return receiver.refuse(.wrongCount, events: &events) }
        guard vector.labels.isEmpty || vector.labels.count == vector.values.count else {
            return receiver.refuse(.wrongCount, events: &events)
        }
        guard vector.values.allSatisfy(\.isFinite) else { return receiver.refuse(.nonFinite, events: &events) }
        receiver.accept(sequence: vector.sequence, now: now, events: &events)
        latest = FeatureVectorSample(
            name: vector.name, sequence: vector.sequence, captureUnixNanos: vector.captureUnixNs, receivedAtNanos: now,
            values: vector.values, labels: vector.labels)
    }
}
