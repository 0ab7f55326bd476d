import Drivers
import Foundation
import PLDCore
import SwiftProtobuf
import TestSupport
import Testing
import Wire
import ZeroMQ

/// CameraFeed and FeatureFeed on good streams: newest frame kept with its timing, drops from
/// sequence gaps, publisher restarts, freezes. In-process (inproc) with a fake clock, plus one
/// cross-process check against a pyzmq publisher.
@Suite struct SensorFeedTests {
    final class CameraRig {
        let context: Context
        let pub: Socket
        let feed: CameraFeed
        var now: UInt64 = 5_000_000_000

        init(encoding: String = "rgb8") throws {
            context = try Context()
            pub = try Socket(context: context, type: .pub)
            let endpoint = "inproc://camera-\(UUID().uuidString)"
            try pub.bind(endpoint)
            feed = CameraFeed(camera: try BadInputTests.cameraConfig(endpoint, encoding: encoding), context: context)
            try feed.connect()
        }

        /// Sends a frame (repeating until the subscription is up) and polls `millis` later.
        @discardableResult
        func deliver(_ frame: PLDCameraFrame, afterMillis millis: UInt64 = 10) throws -> FeedEvents {
            let input = try bytes(frame)
            let before = feed.counters.received + feed.counters.refusals.total
            now += millis * 1_000_000
            for _ in 0..<200 {
                try pub.send(input)
                let events = feed.poll(now: now)
                if feed.counters.received + feed.counters.refusals.total > before { return events }
                usleep(1_000)
            }
            throw ZMQError(errno: ZMQError.EAGAIN, message: "frame never arrived", operation: "deliver")
        }
    }

    @Test func theNewestFrameIsKeptWithItsTiming() throws {
        let rig = try CameraRig()
        #expect(rig.feed.isFrozen && rig.feed.latest == nil && rig.feed.ageNanos(now: rig.now) == nil)
        let events = try rig.deliver(BadInputTests.frame(sequence: 1))
        #expect(events.contains(.newSample) && events.contains(.resumed))
        let frame = try #require(rig.feed.latest)
        #expect(frame.camera == "wrist" && frame.width == 4 && frame.height == 3 && frame.encoding == .rgb8)
        #expect(frame.sequence == 1 && frame.captureUnixNanos == 1_700_000_000_000_000_001)
        #expect(frame.receivedAtNanos == rig.now && frame.data == [UInt8](repeating: 1, count: 36))
        rig.now += 20_000_000
        rig.feed.poll(now: rig.now)
        #expect(rig.feed.ageNanos(now: rig.now) == 20_000_000 && !rig.feed.isFrozen)
    }

    @Test func sequenceGapsCountDropsAndGoingBackCountsARestart() throws {
        let rig = try CameraRig()
        try rig.deliver(BadInputTests.frame(sequence: 1))
        try rig.deliver(BadInputTests.frame(sequence: 2))
        let events = try rig.deliver(BadInputTests.frame(sequence: 5))
        #expect(events.contains(.dropped))
        #expect(rig.feed.counters.dropped == 2)
        try rig.deliver(BadInputTests.frame(sequence: 6))
        #expect(rig.feed.counters.dropped == 2)
        #expect(try rig.deliver(BadInputTests.frame(sequence: 1)).contains(.restarted))
        #expect(rig.feed.counters.sequenceRestarts == 1 && rig.feed.latest?.sequence == 1)
        #expect(rig.feed.counters.received == 5)
    }

    @Test func noNewFrameWithinMaxAgeIsAFreeze() throws {
        let rig = try CameraRig()
        try rig.deliver(BadInputTests.frame(sequence: 1))
        rig.now += 40_000_000
        #expect(!rig.feed.poll(now: rig.now).contains(.frozen))
        rig.now += 20_000_000  // 60 ms > max_age_s 0.05
        #expect(rig.feed.poll(now: rig.now).contains(.frozen))
        #expect(rig.feed.isFrozen && rig.feed.counters.freezes == 1)
        rig.now += 100_000_000
        #expect(rig.feed.poll(now: rig.now).isEmpty)  // still frozen: counted once
        #expect(try rig.deliver(BadInputTests.frame(sequence: 2)).contains(.resumed))
        #expect(!rig.feed.isFrozen && rig.feed.counters.freezes == 1)
        // A refused frame does not thaw a frozen stream.
        rig.now += 60_000_000
        rig.feed.poll(now: rig.now)
        try rig.deliver(BadInputTests.frame(sequence: 3, camera: "top"))
        #expect(rig.feed.isFrozen && rig.feed.counters.freezes == 2)
    }

    @Test func jpegFramesNeedTheStartOfImageMarker() throws {
        let rig = try CameraRig(encoding: "jpeg")
        try rig.deliver(BadInputTests.frame(sequence: 1, encoding: .jpeg, data: [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]))
        #expect(rig.feed.latest?.encoding == .jpeg && rig.feed.latest?.data.count == 6)
        try rig.deliver(BadInputTests.frame(sequence: 2, encoding: .jpeg, data: [0x89, 0x50, 0x4E, 0x47]))
        try rig.deliver(BadInputTests.frame(sequence: 3, encoding: .jpeg, data: []))
        #expect(rig.feed.counters.refusals.malformed == 2 && rig.feed.latest?.sequence == 1)
        try rig.deliver(BadInputTests.frame(sequence: 4))  // raw RGB8 on a JPEG camera
        #expect(rig.feed.counters.refusals.wrongEncoding == 1)
    }

    @Test func featureVectorsCarryTimingDropsAndFreezes() throws {
        let context = try Context()
        let pub = try Socket(context: context, type: .pub)
        let endpoint = "inproc://feature-\(UUID().uuidString)"
        try pub.bind(endpoint)
        let feed = FeatureFeed(
            feature: try decodeConfig(FeatureConfig.self, "name: object_pose\nendpoint: \(endpoint)\ndims: 2\nmax_age_s: 0.1"),
            context: context)
        try feed.connect()
        var now: UInt64 = 1_000_000_000
        func send(_ sequence: UInt64, _ values: [Float]) throws {
            var v = PLDFeatureVector()
            v.name = "object_pose"
            v.sequence = sequence
            v.captureUnixNs = 42
            v.values = values
            let before = feed.counters.received
            now += 10_000_000
            for _ in 0..<200 where feed.counters.received == before {
                try pub.send(try bytes(v))
                feed.poll(now: now)
                usleep(500)
            }
        }
        try send(1, [0.5, -0.5])
        #expect(feed.latest?.values == [0.5, -0.5] && feed.latest?.captureUnixNanos == 42 && feed.latest?.labels == [])
        try send(4, [1, 2])
        #expect(feed.counters.dropped == 2 && feed.latest?.sequence == 4)
        now += 150_000_000
        #expect(feed.poll(now: now).contains(.frozen) && feed.isFrozen)
        try send(5, [3, 4])
        #expect(!feed.isFrozen && feed.counters.freezes == 1 && feed.ageNanos(now: now) == 0)
    }

    @Test func framesFromAPythonPublisherAreTaken() throws {
        // pyzmq + protobuf publish a CameraFrame and a FeatureVector over tcp; we decode both.
        let modules = try PythonPeer.generatedProtobufModules()
        let ports = try freeTCPPorts(2)
        let script = """
            import sys, time
            sys.path.insert(0, sys.argv[1])
            import zmq, pld_sensors_pb2 as ps
            ctx = zmq.Context()
            cam = ctx.socket(zmq.PUB); cam.bind(sys.argv[2])
            feat = ctx.socket(zmq.PUB); feat.bind(sys.argv[3])
            print("READY {}", flush=True)
            seq = 0
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                seq += 1
                f = ps.CameraFrame(camera="wrist", sequence=seq, capture_unix_ns=time.time_ns(), width=4, height=3,
                                   encoding=ps.CameraFrame.ENCODING_RGB8, data=bytes([seq % 256]) * 36)
                cam.send(f.SerializeToString())
                v = ps.FeatureVector(name="object_pose", sequence=seq, capture_unix_ns=time.time_ns(), values=[0.25, seq],
                                     labels=["x", "seq"])
                feat.send(v.SerializeToString())
                time.sleep(0.01)
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pld-sensor-pub-\(UUID().uuidString).py")
        try script.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let publisher = try ChildProcess(
            PythonPeer.interpreter, [path.path, modules, "tcp://127.0.0.1:\(ports[0])", "tcp://127.0.0.1:\(ports[1])"],
            environment: ["PYTHONUNBUFFERED": "1"])
        defer { publisher.stop() }
        try publisher.waitForLine(prefix: "READY", timeoutMilliseconds: 15_000)
        let context = try Context()
        let camera = CameraFeed(
            camera: try BadInputTests.cameraConfig("tcp://127.0.0.1:\(ports[0])"), context: context)
        let feature = FeatureFeed(
            feature: try decodeConfig(FeatureConfig.self, "name: object_pose\nendpoint: tcp://127.0.0.1:\(ports[1])\ndims: 2"),
            context: context)
        try camera.connect()
        try feature.connect()
        let taken = pump(until: 5) { now in
            camera.poll(now: now)
            feature.poll(now: now)
            return camera.counters.received >= 5 && feature.counters.received >= 5
        }
        #expect(taken)
        let frame = try #require(camera.latest)
        #expect(frame.data == [UInt8](repeating: UInt8(frame.sequence % 256), count: 36))
        #expect(feature.latest?.values.first == 0.25 && feature.latest?.labels == ["x", "seq"])
        #expect(camera.counters.refusals.total == 0 && feature.counters.refusals.total == 0)
        camera.close()
        feature.close()
    }
}
