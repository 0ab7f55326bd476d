import TestSupport
import Testing
import Wire

/// Whole openpi frames: key order, nesting, plain maps versus arrays, refusals.
@Suite struct OpenPIMessageTests {
    func messageError(_ bytes: [UInt8]) -> Error? {
        do {
            _ = try OpenPIMessage.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func alohaObservationWithNestedImagesRoundTripsInCallerKeyOrder() throws {
        let image = try OpenPIArray([UInt8](repeating: 9, count: 3 * 2 * 2), shape: [3, 2, 2])
        let observation: OpenPIDict = [
            "state": .array(try OpenPIArray([Float](repeating: 0.5, count: 14), shape: [14])),
            "images": ["cam_high": .array(image), "cam_left_wrist": .array(image)],
            "prompt": "fold the towel",
        ]
        let bytes = try OpenPIMessage.encode(observation)
        let back = try OpenPIMessage.decode(bytes)
        #expect(back == observation)
        #expect(back.keys == ["state", "images", "prompt"])
        #expect(back["images"]?.dictValue?.keys == ["cam_high", "cam_left_wrist"])
        #expect(back["images"]?["cam_left_wrist"]?.arrayValue == image)
        // Deterministic: same dict, same bytes.
        #expect(try OpenPIMessage.encode(back) == bytes)
    }

    @Test func encoderCanBeReusedAcrossFrames() throws {
        var encoder = MessagePackEncoder(reservingCapacity: 1 << 10)
        try OpenPIMessage.encode(["prompt": "a"], into: &encoder)
        let first = encoder.bytes
        encoder.removeAll()
        try OpenPIMessage.encode(["prompt": "a"], into: &encoder)
        #expect(encoder.bytes == first)
        #expect(first == decodeHex("81 a6 70726f6d7074 a1 61"))
    }

    @Test func strKeyedNdarrayMarkerStaysAPlainDict() throws {
        // What a careless encoder writes: marker keys as str. openpi's server does not rebuild
        // an array from it, and neither do we.
        let bytes = try MessagePackEncoder.encode([
            "state": ["__ndarray__": true, "data": .binary([0, 0, 0x80, 0x3f]), "dtype": "<f4", "shape": [1]],
        ])
        let message = try OpenPIMessage.decode(bytes)
        let state = try #require(message["state"]?.dictValue)
        #expect(message["state"]?.arrayValue == nil)
        #expect(state.keys == ["__ndarray__", "data", "dtype", "shape"])
        #expect(state["__ndarray__"] == true)
    }

    @Test func metadataFramesDecode() throws {
        #expect(try OpenPIMessage.decode([0x80]).isEmpty)
        let aloha = try MessagePackEncoder.encode(["reset_pose": [0, -1.5, 1.5, 0, 0, 0]])
        let metadata = try OpenPIMessage.decode(aloha)
        #expect(metadata["reset_pose"]?.listValue?.compactMap(\.doubleValue) == [0, -1.5, 1.5, 0, 0, 0])
    }

    @Test func topLevelMustBeAPlainMap() throws {
        #expect(messageError([0x90]) as? OpenPIError == .notADict("an array"))
        #expect(messageError(decodeHex("a3 616263")) as? OpenPIError == .notADict("a str"))
        let array = try MessagePackEncoder.encode(OpenPIArray([1] as [Float], shape: [1]).messagePackValue)
        #expect(messageError(array) as? OpenPIError == .notADict("an ndarray"))
    }

    @Test func binKeysOutsideMarkerMapsAreRefused() throws {
        let bytes = try MessagePackEncoder.encode(.map([(key: .binary([0x61]), value: 1)]))
        #expect(messageError(bytes) as? OpenPIError == .nonStringKey("bin of 1 bytes"))
    }

    @Test func duplicateKeysAreRefused() throws {
        let bytes = try MessagePackEncoder.encode(.map([(key: .string("a"), value: .int(1)), (key: .string("a"), value: .int(2))]))
        #expect(messageError(bytes) as? OpenPIError == .duplicateKey("a"))
    }

    @Test func malformedArraysInsideAMessageAreReported() throws {
        let bad = OpenPIArrayTests.ndarrayMap(shape: [3])
        let bytes = try MessagePackEncoder.encode(["actions": bad])
        #expect(messageError(bytes) as? OpenPIError == .dataSizeMismatch(expectedBytes: 12, actualBytes: 4))
    }

    @Test func msgpackErrorsPassThroughWithTheirOffset() {
        let error = messageError(decodeHex("81 a1 61 c1")) as? MessagePackError
        #expect(error?.kind == .reservedByte)
        #expect(error?.offset == 3)
    }

    @Test func dictSubscriptReplacesInPlaceAppendsAndRemoves() {
        var dict: OpenPIDict = ["a": 1, "b": 2]
        dict["a"] = 10
        dict["c"] = 3
        dict["b"] = nil
        #expect(dict.keys == ["a", "c"])
        #expect(dict["a"] == 10)
        #expect(dict.dictionary == ["a": 10, "c": 3])
    }

    @Test func valueAccessorsReadNumbersAcrossRepresentations() {
        #expect(OpenPIValue.int(3).doubleValue == 3)
        #expect(OpenPIValue.uint(UInt64.max).int64Value == nil)
        #expect(OpenPIValue.scalar(OpenPIScalar(int32: 4)).int64Value == 4)
        #expect(OpenPIValue.scalar(OpenPIScalar(float32: 0.1)).doubleValue == Double(Float(0.1)))
        #expect(OpenPIValue.string("x").doubleValue == nil)
    }
}

extension OpenPIMessageTests {
    @Test func framesDecodeFromARawBufferWithoutCopyingFirst() throws {
        let bytes = OpenPIArrayTests.workedExample
        let message = try bytes.withUnsafeBytes { try OpenPIMessage.decode($0) }
        #expect(try message["state"]?.arrayValue?.floatValues() == [1, 2])
    }
}

extension OpenPIMessageTests {
    @Test func aMapWithHundredsOfThousandsOfKeysDecodesInLinearTime() throws {
        // A quadratic duplicate-key check would take minutes here.
        let count = 100_000
        let map = MessagePackValue.map((0..<count).map { (key: .string("k\($0)"), value: .nil) })
        let message = try OpenPIMessage.decode(try MessagePackEncoder.encode(map))
        #expect(message.count == count)
    }
}
