import TestSupport
import Testing
import Wire

/// openpi's msgpack_numpy array convention: bytes, dtypes, validation and conversions.
@Suite struct OpenPIArrayTests {
    /// `{"state": np.array([1, 2], dtype=np.float32)}`, copied from the worked example in
    /// reference/openpi-and-vla-servers.md §1.2.
    static let workedExample = decodeHex("""
        81
        a5 73 74 61 74 65
        84
        c4 0b 5f 5f 6e 64 61 72 72 61 79 5f 5f
        c3
        c4 04 64 61 74 61
        c4 08 00 00 80 3f 00 00 00 40
        c4 05 64 74 79 70 65
        a3 3c 66 34
        c4 05 73 68 61 70 65
        91 02
        """)

    @Test func stateArrayEncodesToTheReferenceWorkedExampleBytes() throws {
        let state = try OpenPIArray([1, 2] as [Float], shape: [2])
        #expect(try OpenPIMessage.encode(["state": .array(state)]) == Self.workedExample)
    }

    @Test func referenceWorkedExampleDecodesBackToTheStateArray() throws {
        let message = try OpenPIMessage.decode(Self.workedExample)
        #expect(message.keys == ["state"])
        let state = try #require(message["state"]?.arrayValue)
        #expect(state.dtype == .float32)
        #expect(state.shape == [2])
        #expect(try state.floatValues() == [1, 2])
        // And the generic decoder plus encoder reproduce the bytes.
        #expect(try MessagePackEncoder.encode(MessagePackDecoder.decode(Self.workedExample)) == Self.workedExample)
    }

    @Test func numpyScalarsEncodeLikePython() throws {
        // Bytes printed by openpi_client.msgpack_numpy.packb(np.float32(1.5)), np.int64(-3), np.bool_(True).
        let f32 = try MessagePackEncoder.encode(OpenPIScalar(float32: 1.5).messagePackValue)
        #expect(hexString(f32) == "83c40d5f5f6e7067656e657269635f5fc3c40464617461cb3ff8000000000000c4056474797065a33c6634")
        let i64 = try MessagePackEncoder.encode(OpenPIScalar(int64: -3).messagePackValue)
        #expect(hexString(i64) == "83c40d5f5f6e7067656e657269635f5fc3c40464617461fdc4056474797065a33c6938")
        let flag = try MessagePackEncoder.encode(OpenPIScalar(bool: true).messagePackValue)
        #expect(hexString(flag) == "83c40d5f5f6e7067656e657269635f5fc3c40464617461c3c4056474797065a37c6231")
        let decoded = try OpenPIScalar(messagePack: MessagePackDecoder.decode(f32))
        #expect(decoded.dtype == .float32 && decoded.doubleValue == 1.5)
    }

    @Test func zeroDimensionalArrayHasEmptyShapeAndOneElement() throws {
        let scalar = try OpenPIArray([2.5] as [Double], shape: [])
        let bytes = try MessagePackEncoder.encode(scalar.messagePackValue)
        #expect(hexString(Array(bytes.suffix(8))) == "c405736861706590")  // bin "shape", empty array
        let back = try OpenPIArray(messagePack: MessagePackDecoder.decode(bytes))
        #expect(back == scalar)
        #expect(try back.doubleValues() == [2.5])
    }

    @Test(arguments: OpenPIDType.allCases)
    func everyDTypeParsesFromItsNumpyString(dtype: OpenPIDType) throws {
        #expect(try OpenPIDType(numpy: dtype.numpyString) == dtype)
        let data = [UInt8](repeating: 0x01, count: 3 * dtype.itemSize)
        let array = try OpenPIArray(dtype: dtype, shape: [3, 1], data: data)
        #expect(try OpenPIArray(messagePack: MessagePackDecoder.decode(MessagePackEncoder.encode(array.messagePackValue))) == array)
    }

    @Test func oneByteTypesAcceptEitherLittleOrNotApplicableOrder() throws {
        #expect(try OpenPIDType(numpy: "<u1") == .uint8)
        #expect(try OpenPIDType(numpy: "|b1") == .bool)
        #expect(try OpenPIDType(numpy: "|i1") == .int8)
    }

    @Test(arguments: [
        (">f4", "big-endian"), (">u1", "big-endian"), ("=f4", "native"), ("|f4", "one-byte"),
        ("<c8", "complex"), ("|V16", "void"), ("|O", "expected"), ("|O8", "object"), ("<U5", "not supported"),
        ("<M8", "not supported"), ("f4", "expected"), ("<f3", "not supported"), ("", "expected"), ("<fx", "not a number"),
    ])
    func unsupportedDTypesAreRefusedWithAReason(string: String, reasonContains: String) {
        do {
            _ = try OpenPIDType(numpy: string)
            Issue.record("'\(string)' was accepted")
        } catch {
            guard case .unsupportedDType(let s, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(s == string)
            #expect(reason.contains(reasonContains), "\(reason)")
        }
    }

    static func ndarrayMap(data: MessagePackValue = .binary([0, 0, 0x80, 0x3f]), dtype: MessagePackValue = "<f4",
                           shape: MessagePackValue = [1]) -> MessagePackValue {
        .map([
            (key: .binary(Array("__ndarray__".utf8)), value: true),
            (key: .binary(Array("data".utf8)), value: data),
            (key: .binary(Array("dtype".utf8)), value: dtype),
            (key: .binary(Array("shape".utf8)), value: shape),
        ])
    }

    func arrayError(_ value: MessagePackValue) -> OpenPIError? {
        do {
            _ = try OpenPIArray(messagePack: value)
            return nil
        } catch {
            return error
        }
    }

    @Test func wellFormedMapDecodes() throws {
        #expect(try OpenPIArray(messagePack: Self.ndarrayMap()).floatValues() == [1])
    }

    @Test func dataSizeMustMatchShapeTimesItemSize() {
        #expect(arrayError(Self.ndarrayMap(shape: [2])) == .dataSizeMismatch(expectedBytes: 8, actualBytes: 4))
        #expect(arrayError(Self.ndarrayMap(dtype: "<f8")) == .dataSizeMismatch(expectedBytes: 8, actualBytes: 4))
        // A lying shape costs nothing: the product is compared, never allocated.
        #expect(arrayError(Self.ndarrayMap(shape: [1_000_000, 1_000_000])) ==
            .dataSizeMismatch(expectedBytes: 4_000_000_000_000, actualBytes: 4))
    }

    @Test func shapeMustBeNonNegativeAndNotOverflow() {
        #expect(arrayError(Self.ndarrayMap(shape: [-1, -4])) == .negativeDimension(shape: [-1, -4]))
        #expect(arrayError(Self.ndarrayMap(shape: [.int(1 << 62), 4])) == .shapeOverflow(shape: [1 << 62, 4]))
        // Elements fit but bytes (× 4) overflow.
        #expect(arrayError(Self.ndarrayMap(shape: [.int(1 << 62)])) == .shapeOverflow(shape: [1 << 62]))
        if case .shapeOverflow = arrayError(Self.ndarrayMap(shape: [.uint(UInt64.max)])) {} else {
            Issue.record("uint64 dimension accepted")
        }
    }

    @Test func fieldsMustHaveTheirWireTypes() {
        #expect(arrayError(Self.ndarrayMap(data: .string("abcd"))) == .malformedArray("'data' is not bin"))
        #expect(arrayError(Self.ndarrayMap(dtype: .binary(Array("<f4".utf8)))) == .malformedArray("'dtype' is not str"))
        #expect(arrayError(Self.ndarrayMap(shape: 1)) == .malformedArray("'shape' is not an array"))
        #expect(arrayError(Self.ndarrayMap(shape: [1.0])) == .malformedArray("'shape' holds a non-integer"))
        #expect(arrayError(Self.ndarrayMap(dtype: ">f4")) != nil)
        let missingData: MessagePackValue = .map([(key: .binary(Array("__ndarray__".utf8)), value: true)])
        #expect(arrayError(missingData) == .malformedArray("no bin key 'data'"))
        // Str keys are not the marker, for the array decoder either.
        #expect(arrayError(["__ndarray__": true, "data": .binary([]), "dtype": "<f4", "shape": [0]]) ==
            .malformedArray("no bin key '__ndarray__'"))
    }

    @Test func convenienceInitialisersCheckTheElementCount() {
        do {
            _ = try OpenPIArray([1, 2, 3] as [Float], shape: [2, 2])
            Issue.record("accepted 3 values for 4 elements")
        } catch {
            #expect(error == .elementCountMismatch(expected: 4, actual: 3))
        }
        #expect(throws: OpenPIError.self) { try OpenPIArray([UInt8](repeating: 0, count: 5), shape: [2, -3]) }
    }

    @Test func convenienceInitialisersWriteLittleEndianBytes() throws {
        #expect(try OpenPIArray([1.0] as [Float], shape: [1]).data == [0x00, 0x00, 0x80, 0x3f])
        #expect(try OpenPIArray([1.0] as [Double], shape: [1]).data == [0, 0, 0, 0, 0, 0, 0xf0, 0x3f])
        #expect(try OpenPIArray([-2] as [Int32], shape: [1]).data == [0xfe, 0xff, 0xff, 0xff])
        #expect(try OpenPIArray([258] as [Int64], shape: [1]).data == [2, 1, 0, 0, 0, 0, 0, 0])
        #expect(try OpenPIArray([7, 8] as [UInt8], shape: [2]).dtype == .uint8)
    }

    @Test func readingBackConvertsFloatWidthsAndRefusesOtherKinds() throws {
        let f4 = try OpenPIArray([0.1, -3] as [Float], shape: [2])
        #expect(try f4.doubleValues() == [Double(Float(0.1)), -3])
        let f8 = try OpenPIArray([0.1, -3] as [Double], shape: [2])
        #expect(try f8.floatValues() == [Float(0.1), -3])
        // <f2: 1.0, -2.0, 65504 (max), smallest subnormal, +inf.
        let f2 = try OpenPIArray(dtype: .float16, shape: [5], data: [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c])
        #expect(try f2.floatValues() == [1, -2, 65504, 0x1p-24, .infinity])
        #expect(try OpenPIArray([-5, 6] as [Int32], shape: [2]).int32Values() == [-5, 6])
        #expect(try OpenPIArray([.min, .max] as [Int64], shape: [2]).int64Values() == [.min, .max])

        let u8 = try OpenPIArray([1, 2] as [UInt8], shape: [2])
        #expect(throws: OpenPIError.dtypeMismatch(requested: "[Float]", actual: .uint8)) { try u8.floatValues() }
        #expect(throws: OpenPIError.dtypeMismatch(requested: "[Double]", actual: .uint8)) { try u8.doubleValues() }
        #expect(throws: OpenPIError.dtypeMismatch(requested: "[Int32]", actual: .float32)) { try f4.int32Values() }
        #expect(throws: OpenPIError.dtypeMismatch(requested: "[UInt8]", actual: .float32)) { try f4.uint8Values() }
        #expect(throws: OpenPIError.dtypeMismatch(requested: "[Int64]", actual: .float64)) { try f8.int64Values() }
    }

    @Test func errorDescriptionsAreOneLine() {
        let errors: [OpenPIError] = [
            .unsupportedDType(">f4", reason: "big-endian"), .dataSizeMismatch(expectedBytes: 8, actualBytes: 4),
            .negativeDimension(shape: [-1]), .dtypeMismatch(requested: "[Float]", actual: .uint8),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("openpi: "))
            #expect(!error.description.contains("\n"))
        }
    }
}
