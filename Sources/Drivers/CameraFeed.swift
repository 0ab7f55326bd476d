import PLDCore
import Wire
import ZeroMQ

/// One good camera frame with its timing.
public struct CameraFrameSample: Sendable {
    /// Config name of the camera.
    public var camera: String
    /// Publisher's sequence number (a gap means drops).
    public var sequence: UInt64
    /// When the sensor captured the frame: CLOCK_REALTIME of the publishing machine, ns. Never
    /// compared with our clock; the age is measured from `receivedAtNanos`.
    public var captureUnixNanos: Int64
    /// When we received it, our monotonic clock, ns.
    public var receivedAtNanos: UInt64
    public var width: Int
    public var height: Int
    public var encoding: CameraEncoding
    /// JPEG bytes, or raw RGB8 row-major HWC (`width·height·3` bytes).
    public var data: [UInt8]
}

/// The runtime's side of one camera stream (`pld.CameraFrame` on a PUB; here a conflated SUB
/// connecting to `CameraConfig.endpoint`).
///
/// **Threading.** Owned by one thread, not Sendable. Unlike the arm links it allocates (frame
/// data), so it may run on an I/O thread that hands frames to the control thread; `poll(now:)`
/// never blocks. Time is monotonic nanoseconds handed in; `max_age_s` is scaled by `timeScale`.
///
/// **Checks.** A frame is decoded with a size bound (raw RGB8 size + 64 KiB of slack, the
/// same for JPEG) and refused, counted by reason, when it is malformed or too large, names
/// another camera, has another width/height, another encoding than configured, or data of the
/// wrong size (RGB8 must be exactly `width·height·3` bytes; JPEG must start with the SOI marker).
/// The newest good frame is kept with its sequence, capture and receive times; sequence gaps
/// count drops, sequences going backwards count publisher restarts, and no new frame within
/// `max_age_s` counts a freeze.
public final class CameraFeed {
    public struct Options: Sendable {
        public var timeScale: Double = 1
        /// Slack over the raw frame size accepted on the wire, bytes.
        public var slackBytes = 64 * 1024
        /// Most messages drained per poll.
        public var maxDrainPerPoll = 8
        public init() {}
    }

    public let config: CameraConfig
    public let options: Options
    public private(set) var latest: CameraFrameSample?
    var receiver: FeedReceiver
    let context: Context

    public init(camera: CameraConfig, context: Context, options: Options = Options()) {
        config = camera
        self.options = options
        self.context = context
        let rawBytes = camera.width * camera.height * 3
        receiver = FeedReceiver(
            subject: "camera \(camera.name)", endpoint: camera.endpoint.configString, maxAgeS: camera.maxAgeS,
            timeScale: options.timeScale, maxMessageBytes: rawBytes + options.slackBytes)
    }

    public var counters: FeedCounters { receiver.counters }
    /// The largest message accepted, bytes.
    public var maxMessageBytes: Int { receiver.maxMessageBytes }
    /// No good frame within `max_age_s` at the last poll (true before the first frame).
    public var isFrozen: Bool { receiver.frozen }

    /// Age of the newest frame at `now` (our receive clock), ns; nil before the first.
    public func ageNanos(now: UInt64) -> UInt64? {
        latest.map { elapsedNanos(since: $0.receivedAtNanos, to: now) }
    }

    /// Connects the conflated SUB. Setup-time; idempotent.
    public func connect() throws(DriverError) { try receiver.connect(context: context) }

    public func close() { receiver.close() }

    /// Drains the SUB without blocking, keeping the newest good frame.
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
        let frame: PLDCameraFrame
        do {
            frame = try PLDCameraFrame(wireBytes: bytes, maxBytes: receiver.maxMessageBytes)
        } catch {
            receiver.refuse(bytes.count > receiver.maxMessageBytes ? .tooLarge : .malformed, events: &events)
            return
        }
        guard frame.camera == config.name else { return receiver.refuse(.wrongName, events: &events) }
        guard Int(frame.width) == config.width, Int(frame.height) == config.height else {
            return receiver.refuse(.wrongSize, events: &events)
        }
        let encoding: CameraEncoding
        switch frame.encoding {
        case .jpeg: encoding = .jpeg
        case .rgb8: encoding = .rgb8
        default: return receiver.refuse(.wrongEncoding, events: &events)
        }
        guard encoding == config.encoding else { return receiver.refuse(.wrongEncoding, events: &events) }
        switch encoding {
        case .rgb8:
            guard frame.data.count == config.width * config.height * 3 else { return receiver.refuse(.wrongSize, events: &events) }
        case .jpeg:
            guard frame.data.count >= 4, frame.data[0] == 0xFF, frame.data[1] == 0xD8 else {
                return receiver.refuse(.malformed, events: &events)
            }
        }
        receiver.accept(sequence: frame.sequence, now: now, events: &events)
        latest = CameraFrameSample(
            camera: frame.camera, sequence: frame.sequence, captureUnixNanos: frame.captureUnixNs, receivedAtNanos: now,
            width: config.width, height: config.height, encoding: encoding, data: [UInt8](frame.data))
    }
}
