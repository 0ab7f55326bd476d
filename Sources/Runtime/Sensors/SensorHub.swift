import Drivers
import Foundation
import PLDCore
import Recording
import Synchronization
import TurboJPEG
import ZeroMQ

/// The I/O thread for cameras and feature streams: it owns the `CameraFeed`s and
/// `FeatureFeed`s (which allocate for frame data, so they stay off the control thread), decodes
/// JPEG frames, keeps the newest decoded image per camera for the policy worker, and publishes
/// the newest feature vectors to the control thread through a `TripleBuffer`.
///
/// Threading: one thread (`pld sensors`) owns the feeds and the decoder. Images are handed to
/// other threads under a mutex (the policy worker and the recorder are not realtime); features
/// and each camera's newest frame sequence go to the control thread lock-free.
///
/// For the recorder the hub also keeps the last `frameHistory` decoded frames of every camera:
/// a tick records which frame sequence was newest, and the recorder (a little behind) fetches
/// that exact frame with `recordedFrame(camera:sequence:)`.
public final class SensorHub: @unchecked Sendable {
    // @unchecked: feeds and decoder are touched only by the sensor thread; shared state is
    // behind `images` (Mutex) and `featureBuffer` (TripleBuffer).
    public struct DecodedImage: Sendable {
        public var rgb: [UInt8]
        public var width: Int
        public var height: Int
        public var sequence: UInt64
        public var captureUnixNanos: Int64
        public var receivedNanos: UInt64
    }

    public let cameraNames: [String]
    public let featureNames: [String]
    private let cameras: [CameraFeed]
    private let features: [FeatureFeed]
    /// Declared width of each feature stream.
    private let featureDims: [Int]
    private let images = Mutex<[String: DecodedImage]>([:])
    private let cameraStatus = Mutex<[String: (frozen: Bool, refused: Int)]>([:])
    public let featureBuffer: TripleBuffer<FeatureSnapshot>
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let decodeErrors = Atomic<Int>(0)
    private let history = Mutex<[String: [DecodedImage]]>([:])
    private let frameHistory: Int
    /// Newest decoded frame sequence per camera, in `cameraNames` order (`noFrame`: none yet).
    private let newestSequences: UnsafeMutablePointer<Atomic<UInt64>>

    /// - Parameters:
    ///   - timeScale: 1/K under `pld sim --speed K` (feeds' max ages scale with it).
    ///   - frameHistory: decoded frames kept per camera for the recorder (0: none).
    public init(
        cameras: [CameraConfig], features: [FeatureConfig], context: Context, timeScale: Double = 1, frameHistory: Int = 0
    ) throws(DriverError) {
        precondition(features.count <= FeatureLimits.streams && features.reduce(0, { $0 + $1.dims }) <= FeatureLimits.values,
                     "config validation bounds the feature streams (FeatureLimits)")
        var cameraOptions = CameraFeed.Options()
        cameraOptions.timeScale = timeScale
        var featureOptions = FeatureFeed.Options()
        featureOptions.timeScale = timeScale
        self.cameras = cameras.map { CameraFeed(camera: $0, context: context, options: cameraOptions) }
        self.features = features.map { FeatureFeed(feature: $0, context: context, options: featureOptions) }
        cameraNames = cameras.map(\.name)
        featureNames = features.map(\.name)
        featureDims = features.map(\.dims)
        featureBuffer = TripleBuffer(initial: FeatureSnapshot(dims: features.map(\.dims)))
        self.frameHistory = frameHistory
        newestSequences = .allocate(capacity: max(1, cameras.count))
        for i in 0..<max(1, cameras.count) { (newestSequences + i).initialize(to: Atomic(noFrameSequence)) }
        for feed in self.cameras { try feed.connect() }
        for feed in self.features { try feed.connect() }
    }

    deinit {
        newestSequences.deinitialize(count: max(1, cameraNames.count))
        newestSequences.deallocate()
    }

    /// Sequence number of the newest decoded frame of camera `index` (in `cameraNames` order);
    /// `noFrameSequence` before the first. Lock-free: the control thread calls it every tick.
    @inline(__always)
    public func newestSequence(camera index: Int) -> UInt64 { newestSequences[index].load(ordering: .acquiring) }

    /// Frame `sequence` of `camera` if it is among the last `frameHistory` kept (recorder thread).
    public func recordedFrame(camera: String, sequence: UInt64) -> DecodedImage? {
        history.withLock { frames in frames[camera]?.last { $0.sequence == sequence } }
    }

    /// The newest decoded image of `camera`, if any (copy; any thread).
    public func latestImage(camera: String) -> DecodedImage? { images.withLock { $0[camera] } }

    /// Whether each camera is frozen (no frame within its max age) and how many frames it refused.
    public var cameraHealth: [String: (frozen: Bool, refused: Int)] { cameraStatus.withLock { $0 } }

    public var jpegDecodeErrors: Int { decodeErrors.load(ordering: .relaxed) }

    public func start() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "pld sensors"
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
        for feed in cameras { feed.close() }
        for feed in features { feed.close() }
    }

    private func run() {
        guard let decoder = try? JPEGDecoder(maxPixels: 4096 * 4096) else { return }
        var snapshot = FeatureSnapshot(dims: featureDims)
        while running.load(ordering: .relaxed) {
            let now = monotonicNanos()
            var featuresChanged = false
            for (index, feed) in features.enumerated() where feed.poll(now: now).contains(.newSample) {
                guard let sample = feed.latest else { continue }
                // The feed refuses messages of another width; the bound is belt and braces.
                let count = min(sample.values.count, featureDims[index])
                let offset = snapshot.offsets[index]
                for i in 0..<count { snapshot.values[offset + i] = Double(sample.values[i]) }
                snapshot.counts[index] = count
                snapshot.sequences[index] = sample.sequence
                snapshot.receivedNanos[index] = sample.receivedAtNanos
                featuresChanged = true
            }
            if featuresChanged { featureBuffer.write(snapshot) }
            for (index, feed) in cameras.enumerated() {
                let events = feed.poll(now: now)
                if events.contains(.newSample), let frame = feed.latest {
                    let rgb: [UInt8]?
                    switch frame.encoding {
                    case .jpeg: rgb = try? decoder.decode(frame.data).rgb
                    case .rgb8: rgb = frame.data
                    }
                    if let rgb {
                        let image = DecodedImage(
                            rgb: rgb, width: frame.width, height: frame.height, sequence: frame.sequence,
                            captureUnixNanos: frame.captureUnixNanos, receivedNanos: frame.receivedAtNanos)
                        images.withLock { $0[feed.config.name] = image }
                        if frameHistory > 0 {
                            history.withLock { frames in
                                var kept = frames[feed.config.name] ?? []
                                if kept.count >= frameHistory { kept.removeFirst(kept.count - frameHistory + 1) }
                                kept.append(image)
                                frames[feed.config.name] = kept
                            }
                        }
                        // After the image is stored, so a tick that sees this sequence finds it.
                        newestSequences[index].store(frame.sequence, ordering: .releasing)
                    } else {
                        decodeErrors.add(1, ordering: .relaxed)
                    }
                }
                cameraStatus.withLock { $0[feed.config.name] = (feed.isFrozen, feed.counters.refusals.total) }
            }
            usleep(1000)
        }
    }
}
