import Foundation
import Testing
import Wire

/// Interoperability with the real openpi client codec (`openpi_client.msgpack_numpy`) in a
/// python process: what Swift sends, a policy server reads; what a server replies, Swift reads.
@Suite struct OpenPIPeerTests {
    @Test func pythonDecodesSwiftLiberoObservationWithTwoImagesStateAndPrompt() throws {
        let image = try OpenPIArray(OpenPIPeerContent.image(0, count: 224 * 224 * 3), shape: [224, 224, 3])
        let wrist = try OpenPIArray(OpenPIPeerContent.image(1, count: 224 * 224 * 3), shape: [224, 224, 3])
        let state = try OpenPIArray(OpenPIPeerContent.state(8), shape: [8])
        let observation: OpenPIDict = [
            "observation/image": .array(image),
            "observation/wrist_image": .array(wrist),
            "observation/state": .array(state),
            "prompt": "pick up the black bowl and place it on the plate",
        ]
        let bytes = try OpenPIMessage.encode(observation)

        let dir = try OpenPIPeerProcess.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("observation.msgpack")
        try Data(bytes).write(to: file)
        let output = try OpenPIPeerProcess.run(["check-libero", file.path], in: dir)
        try #require(output.status == 0, "peer: \(output.stderr)")

        let summary = try OpenPIPeerProcess.jsonObject(output)
        #expect(summary["ok"] as? Bool == true)
        #expect(summary["keys"] as? [String] == observation.keys)
        let arrays = try #require(summary["arrays"] as? [String: [String: Any]])
        for (key, array) in [("observation/image", image), ("observation/wrist_image", wrist), ("observation/state", state)] {
            let seen = try #require(arrays[key], "no summary for \(key)")
            #expect(seen["dtype"] as? String == array.dtype.numpyString, "\(key)")
            #expect(seen["shape"] as? [Int] == array.shape, "\(key)")
            #expect(seen["fnv1a64"] as? String == OpenPIPeerContent.hex64(openPIFNV1a64(array.data)), "\(key)")
        }
        let imageSum = OpenPIPeerContent.image(0, count: 224 * 224 * 3).reduce(0) { $0 + Int($1) }
        #expect((arrays["observation/image"]?["sum"] as? NSNumber)?.intValue == imageSum)
    }

    @Test func pythonDecodesSwiftAlohaObservationWithNestedImagesDict() throws {
        let cameras = ["cam_high", "cam_left_wrist", "cam_right_wrist"]
        var images = OpenPIDict()
        for (k, name) in cameras.enumerated() {
            images[name] = .array(try OpenPIArray(OpenPIPeerContent.image(k, count: 3 * 224 * 224), shape: [3, 224, 224]))
        }
        let state = try OpenPIArray(OpenPIPeerContent.state(14), shape: [14])
        let observation: OpenPIDict = ["state": .array(state), "images": .dict(images), "prompt": "fold the towel"]

        let dir = try OpenPIPeerProcess.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("aloha.msgpack")
        try Data(try OpenPIMessage.encode(observation)).write(to: file)
        let output = try OpenPIPeerProcess.run(["check-aloha", file.path], in: dir)
        try #require(output.status == 0, "peer: \(output.stderr)")

        let summary = try OpenPIPeerProcess.jsonObject(output)
        #expect(summary["ok"] as? Bool == true)
        let arrays = try #require(summary["arrays"] as? [String: [String: Any]])
        #expect(arrays["images/cam_high"]?["shape"] as? [Int] == [3, 224, 224])
        #expect(arrays["images/cam_right_wrist"]?["dtype"] as? String == "|u1")
        #expect(arrays["state"]?["fnv1a64"] as? String == OpenPIPeerContent.hex64(openPIFNV1a64(state.data)))
    }

    @Test(arguments: [OpenPIDType.float32, .float64])
    func swiftDecodesPythonReplyWithActionChunkAndTimings(dtype: OpenPIDType) throws {
        let name = dtype == .float32 ? "float32" : "float64"
        let dir = try OpenPIPeerProcess.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("reply-\(name).msgpack")
        let output = try OpenPIPeerProcess.run(["encode-reply", name, file.path], in: dir)
        try #require(output.status == 0, "peer: \(output.stderr)")

        let reply = try OpenPIMessage.decode(Array(try Data(contentsOf: file)))
        #expect(reply.keys == ["actions", "policy_timing", "server_timing"])
        let actions = try #require(reply["actions"]?.arrayValue)
        #expect(actions.dtype == dtype)
        #expect(actions.shape == [10, 8])
        #expect(try actions.doubleValues() == OpenPIPeerContent.actions)
        #expect(try actions.floatValues() == OpenPIPeerContent.actions.map { Float($0) })
        #expect(reply["policy_timing"]?["infer_ms"]?.doubleValue == 12.5)
        #expect(reply["server_timing"]?["infer_ms"]?.doubleValue == 20.25)
        #expect(reply["server_timing"]?["prev_total_ms"]?.doubleValue == 30.5)
        #expect(try OpenPIMessage.decodeDictionary(Array(try Data(contentsOf: file))).keys.count == 3)
    }

    @Test func swiftDecodesPythonScalarsZeroDimHalfBoolAndStrMarkerMaps() throws {
        let dir = try OpenPIPeerProcess.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("misc.msgpack")
        let output = try OpenPIPeerProcess.run(["encode-misc", file.path], in: dir)
        try #require(output.status == 0, "peer: \(output.stderr)")
        let misc = try OpenPIMessage.decode(Array(try Data(contentsOf: file)))

        guard case .scalar(let f32) = misc["scalar_f32"] else { throw OpenPIPeerFailure("scalar_f32 is not a scalar") }
        #expect(f32.dtype == .float32)
        #expect(f32.value == .float64(Double(Float(0.1))))  // x.item() widens to a Python float
        #expect(f32.doubleValue == Double(Float(0.1)))
        #expect(misc["scalar_i64"]?.int64Value == -7)
        guard case .scalar(let flag) = misc["scalar_bool"] else { throw OpenPIPeerFailure("scalar_bool is not a scalar") }
        #expect(flag.dtype == .bool && flag.value == .bool(true))

        let zeroD = try #require(misc["zero_d"]?.arrayValue)
        #expect(zeroD.shape == [])
        #expect(try zeroD.doubleValues() == [3.5])
        let empty = try #require(misc["empty"]?.arrayValue)
        #expect(empty.shape == [0, 8])
        #expect(try empty.floatValues().isEmpty)
        let mask = try #require(misc["mask"]?.arrayValue)
        #expect(mask.dtype == .bool && mask.data == [1, 0, 1])
        #expect(try misc["half"]?.arrayValue?.floatValues() == [1, -2.5, 65504])
        let i32 = try #require(misc["i32"]?.arrayValue)
        #expect(i32.shape == [2, 2])
        #expect(try i32.int32Values() == [1, -2, 3, -4])
        #expect(try misc["i64"]?.arrayValue?.int64Values() == [1 << 40, -(1 << 40)])
        #expect(misc["i16"]?.arrayValue?.dtype == .int16)
        #expect(misc["i16"]?.arrayValue?.data == [0xd4, 0xfe, 0x2c, 0x01])
        #expect(misc["u16"]?.arrayValue?.dtype == .uint16)
        #expect(misc["i8"]?.arrayValue?.data == [0x80, 0x7f])
        // tobytes() is C order even for a Fortran-ordered array.
        #expect(try misc["fortran"]?.arrayValue?.int32Values() == [0, 1, 2, 3, 4, 5])

        // Marker keys written as str are not arrays, exactly as the python server sees them.
        let strMarker = try #require(misc["str_marker"]?.dictValue)
        #expect(strMarker.keys == ["__ndarray__", "data", "dtype", "shape"])
        #expect(strMarker["data"] == .bytes([0x00, 0x00, 0x80, 0x3f]))

        #expect(misc["list"] == .list([.int(1), .string("two"), .double(3), .nil, .bytes([1, 2])]))
        #expect(misc["big"] == .uint(UInt64.max))
    }

    @Test func swiftEncodesTheSameBytesAsPythonPackb() throws {
        let dir = try OpenPIPeerProcess.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("reference.msgpack")
        let output = try OpenPIPeerProcess.run(["pack-reference", file.path], in: dir)
        try #require(output.status == 0, "peer: \(output.stderr)")
        let pythonBytes = Array(try Data(contentsOf: file))

        let ints: [OpenPIValue] = [
            0, 127, 128, 255, 256, 65535, 65536, 4_294_967_295, 4_294_967_296, .int(Int64.max), .uint(UInt64.max),
            -1, -32, -33, -128, -129, -32768, -32769, .int(Int64(Int32.min)), .int(Int64(Int32.min) - 1), .int(Int64.min),
        ]
        let reference: OpenPIDict = [
            "state": .array(try OpenPIArray(OpenPIPeerContent.state(14), shape: [14])),
            "images": [
                "cam_high": .array(try OpenPIArray(OpenPIPeerContent.image(0, count: 60), shape: [3, 4, 5])),
                "cam_low": .array(try OpenPIArray(OpenPIPeerContent.image(1, count: 60), shape: [3, 4, 5])),
            ],
            "prompt": "fold the towel",
            "ints": .list(ints),
            "floats": .list([12.5, -0.0, 1e300]),
            "strs": .list([31, 32, 255, 256].map { .string(String(repeating: "x", count: $0)) } + [.string(String(repeating: "é", count: 16))]),
            "bins": .list([.bytes([]), .bytes([UInt8](repeating: 0xff, count: 255)), .bytes([UInt8](repeating: 0, count: 256))]),
            "lists": .list([.list((0..<15).map { .int(Int64($0)) }), .list((0..<16).map { .int(Int64($0)) })]),
            "none": .nil,
            "flag": true,
            "gain": .scalar(OpenPIScalar(float32: 0.1)),
            "step": .scalar(OpenPIScalar(int64: 7)),
        ]
        let swiftBytes = try OpenPIMessage.encode(reference)
        #expect(swiftBytes.count == pythonBytes.count)
        if let first = zip(swiftBytes, pythonBytes).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            Issue.record("first difference at byte \(first.offset): swift \(first.element.0), python \(first.element.1)")
        }
        #expect(try OpenPIMessage.decode(pythonBytes) == reference)
    }
}

struct OpenPIPeerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
