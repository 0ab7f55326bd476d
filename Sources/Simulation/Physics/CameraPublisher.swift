import Foundation
import MuJoCo
import PLDCore
import SwiftProtobuf
import TurboJPEG
import Wire
import ZeroMQ

/// Renders the scene's cameras and publishes `pld.CameraFrame`s on the endpoints a robot config
/// names, as real camera nodes (Tools/camera_node) would: one PUB bound per camera, JPEG or raw
/// RGB8 at the configured size, sequence +1 per frame, capture time from the sim clock.
///
/// Threading: one thread (`pld-sim cameras`) owns the OpenGL context, the renderers, a private
/// copy of the physics state and the sockets. Rendering is slow in software GL (~25 ms per
/// 320×240 frame here), so cameras run at ``rateHz`` in sim time and a frame that cannot be
/// rendered in time is skipped and counted, never queued.
public final class CameraPublisher: Sendable {
    /// Where frames come from.
    public enum Source: String, Sendable, CaseIterable {
        /// MuJoCo's offscreen renderer (software GL: ~25 ms per frame here).
        case render
        /// A moving test pattern with sensor-like noise, cheap to make at any rate and size
        /// (benchmarks of what consumes frames; the scene's cameras are not needed).
        case pattern
    }

    public let rateHz: Double
    public let source: Source
    private let world: SimWorld
    private let cameras: [CameraConfig]
    private let faults: [SimFault]
    private let running = LockedValue(false)
    private let ready = OneShot<String?>()
    private let stats = LockedValue(Counters())
    private let thread = LockedValue<NodeThread?>(nil)
    private let log: SimLog

    public struct Counters: Sendable, Equatable {
        public var framesPublished = 0
        public var framesSkipped = 0
        public var framesFrozen = 0
        public var renderMillisecondsTotal = 0.0
    }

    public init(
        world: SimWorld, cameras: [CameraConfig], rateHz: Double, faults: [SimFault], source: Source = .render,
        log: SimLog = .standardError
    ) {
        self.source = source
        self.world = world
        self.cameras = cameras
        self.rateHz = rateHz
        self.faults = faults
        self.log = log
    }

    public var counters: Counters { stats.value }

    /// Binds every camera's PUB and creates the renderers; returns once they exist or throws the
    /// first problem (a camera the scene lacks, a bind error, a renderer error) as one line.
    public func start(context: Context) throws(SimulationError) {
        guard !cameras.isEmpty else { return }
        running.withLock { $0 = true }
        thread.withLock {
            $0 = NodeThread(name: "pld-sim cameras") { [self] in run(context: context) }
        }
        if let problem = ready.wait() { throw SimulationError(problem) }
    }

    public func stop() {
        running.withLock { $0 = false }
        thread.value?.join()
    }

    private func run(context: Context) {
        let model = world.model
        var sockets: [Socket] = []
        var ids: [MJCameraID] = []
        var renderers: [String: OffscreenRenderer] = [:]
        let snapshot: MJData
        let encoder: JPEGEncoder
        do {
            snapshot = try MJData(model: model)
            encoder = try JPEGEncoder(quality: 90)
            for camera in cameras {
                let key = "\(camera.width)x\(camera.height)"
                if source == .render {
                    ids.append(try model.camera(named: camera.name))
                }
                if source == .render && renderers[key] == nil {
                    renderers[key] = try OffscreenRenderer(model: model, width: camera.width, height: camera.height, shadows: false)
                }
                let socket = try Socket(context: context, type: .pub)
                try socket.set(.sendHighWaterMark, 2)
                try socket.bind(bindAddress(camera.endpoint))
                sockets.append(socket)
            }
        } catch {
            ready.fulfil("pld sim cameras: \(error)")
            return
        }
        ready.fulfil(nil)
        var images = cameras.map { [UInt8](repeating: 0, count: $0.width * $0.height * 3) }
        var sequences = [UInt64](repeating: 0, count: cameras.count)
        var ticker = SimTicker(hz: rateHz, firstDeadline: world.clock.now)
        while running.value {
            guard world.clock.sleep(until: ticker.next, while: { running.value }) else { break }
            let now = world.clock.now
            if now - ticker.next > 1 / rateHz {
                stats.withLock { $0.framesSkipped += cameras.count }
            }
            ticker.advance(now: now)
            world.copyState(into: snapshot)
            snapshot.kinematics()
            for (index, camera) in cameras.enumerated() {
                if isFrozen(camera.name, at: now) {
                    stats.withLock { $0.framesFrozen += 1 }
                    continue
                }
                let started = ContinuousClock.now
                switch source {
                case .render:
                    renderers["\(camera.width)x\(camera.height)"]!.render(camera: ids[index], data: snapshot, into: &images[index])
                case .pattern:
                    TestPattern.draw(into: &images[index], width: camera.width, height: camera.height, camera: index, frame: sequences[index], time: now)
                }
                var frame = PLDCameraFrame()
                frame.camera = camera.name
                frame.sequence = sequences[index]
                frame.captureUnixNs = world.clock.unixNanoseconds
                frame.width = UInt32(camera.width)
                frame.height = UInt32(camera.height)
                switch camera.encoding {
                case .jpeg:
                    frame.encoding = .jpeg
                    guard let jpeg = try? encoder.encode(rgb: images[index], width: camera.width, height: camera.height) else {
                        continue
                    }
                    frame.data = Data(jpeg)
                case .rgb8:
                    frame.encoding = .rgb8
                    frame.data = Data(images[index])
                }
                sequences[index] += 1
                if let bytes: [UInt8] = try? frame.serializedBytes() { _ = try? sockets[index].send(bytes, flags: .dontWait) }
                let elapsed = started.duration(to: ContinuousClock.now).components
                stats.withLock {
                    $0.framesPublished += 1
                    $0.renderMillisecondsTotal += Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) * 1e-15
                }
            }
        }
        for socket in sockets { socket.close() }
    }

    private func isFrozen(_ camera: String, at t: Double) -> Bool {
        faults.contains {
            if case let .cameraFreeze(name, duration, at) = $0 { return name == camera && t >= at && t < at + duration }
            return false
        }
    }
}

/// A moving test pattern: colour ramps that scroll with sim time, a bar per camera, and ±6
/// levels of hashed noise per pixel so video encoders work about as hard as on a real camera.
enum TestPattern {
    static func draw(into rgb: inout [UInt8], width: Int, height: Int, camera: Int, frame: UInt64, time: Double) {
        let shift = Int(time * 60)
        let bar = (Int(frame) * 3 + camera * width / 3) % max(1, width)
        var noise = UInt32(truncatingIfNeeded: frame &* 2_654_435_761 &+ UInt64(camera) &* 40_503)
        rgb.withUnsafeMutableBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width {
                    noise = noise &* 1_664_525 &+ 1_013_904_223
                    let n = Int(noise >> 28) - 8
                    let i = (y * width + x) * 3
                    let onBar = abs(x - bar) < 6
                    pixels[i] = UInt8(clamping: (x * 255 / max(1, width) + shift) % 256 + n)
                    pixels[i + 1] = UInt8(clamping: onBar ? 250 : y * 255 / max(1, height) + n)
                    pixels[i + 2] = UInt8(clamping: ((x + y) / 2 + camera * 80) % 256 + n)
                }
            }
        }
    }
}

/// A bind address for an endpoint a config gives as the address clients connect to.
func bindAddress(_ endpoint: Endpoint) -> String {
    endpoint.configString
}

/// A one-line error from starting the simulator.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
