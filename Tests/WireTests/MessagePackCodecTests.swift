import TestSupport
import Testing
import Wire

/// Encoding picks the smallest standard format; decoding gives the value back.
@Suite struct MessagePackCodecTests {
    static func roundTrip(_ value: MessagePackValue) throws -> [UInt8] {
        let bytes = try MessagePackEncoder.encode(value)
        #expect(try MessagePackEncoder.encodedByteCount(of: value) == bytes.count)
        let decoded = try MessagePackDecoder.decode(bytes)
        #expect(decoded == value)
        return bytes
    }

    @Test func nilAndBooleansUseSingleBytes() throws {
        #expect(try Self.roundTrip(nil) == [0xc0])
        #expect(try Self.roundTrip(true) == [0xc3])
        #expect(try Self.roundTrip(false) == [0xc2])
    }

    static let integerCases: [(Int64, String)] = [
        (0, "00"), (1, "01"), (127, "7f"),
        (128, "cc80"), (255, "ccff"),
        (256, "cd0100"), (65535, "cdffff"),
        (65536, "ce00010000"), (4_294_967_295, "ceffffffff"),
        (4_294_967_296, "cf0000000100000000"), (Int64.max, "cf7fffffffffffffff"),
        (-1, "ff"), (-32, "e0"),
        (-33, "d0df"), (-128, "d080"),
        (-129, "d1ff7f"), (-32768, "d18000"),
        (-32769, "d2ffff7fff"), (Int64(Int32.min), "d280000000"),
        (Int64(Int32.min) - 1, "d3ffffffff7fffffff"), (Int64.min, "d38000000000000000"),
    ]

    @Test(arguments: integerCases)
    func integerBoundariesUseSmallestFormat(value: Int64, expectedHex: String) throws {
        #expect(hexString(try Self.roundTrip(.int(value))) == expectedHex)
        if value >= 0 {
            // Unsigned values encode exactly like non-negative signed ones (as msgpack-python does).
            #expect(hexString(try MessagePackEncoder.encode(.uint(UInt64(value)))) == expectedHex)
        }
    }

    @Test func integersAboveInt64MaxDecodeAsUInt() throws {
        let bytes = try Self.roundTrip(.uint(UInt64.max))
        #expect(hexString(bytes) == "cfffffffffffffffff")
        guard case .uint(let v) = try MessagePackDecoder.decode(bytes) else {
            Issue.record("expected .uint")
            return
        }
        #expect(v == UInt64.max)
        // A uint64-encoded value that fits Int64 normalises to .int.
        guard case .int(5) = try MessagePackDecoder.decode(decodeHex("cf0000000000000005")) else {
            Issue.record("expected .int(5)")
            return
        }
    }

    @Test func integersInWiderFormatsThanNeededStillDecode() throws {
        #expect(try MessagePackDecoder.decode(decodeHex("cd0001")) == .int(1))
        #expect(try MessagePackDecoder.decode(decodeHex("d3ffffffffffffffff")) == .int(-1))
        #expect(try MessagePackDecoder.decode(decodeHex("d0 05")) == .int(5))
    }

    @Test func floatsKeepTheirWidthAndBits() throws {
        #expect(hexString(try Self.roundTrip(.float32(1.5))) == "ca3fc00000")
        #expect(hexString(try Self.roundTrip(.float64(12.5))) == "cb4029000000000000")
        for f in [Float.nan, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude] {
            _ = try Self.roundTrip(.float32(f))
        }
        for d in [Double.nan, -0.0, .infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude] {
            _ = try Self.roundTrip(.float64(d))
        }
        #expect(MessagePackValue.float32(0) != .float32(-0.0))
        #expect(MessagePackValue.float32(1) != .float64(1))
    }

    static let stringCases: [(Int, String)] = [
        (0, "a0"), (1, "a1"), (31, "bf"), (32, "d920"), (255, "d9ff"),
        (256, "da0100"), (65535, "daffff"), (65536, "db00010000"),
    ]

    @Test(arguments: stringCases)
    func stringLengthBoundaries(length: Int, expectedHeaderHex: String) throws {
        let s = String(repeating: "x", count: length)
        let bytes = try Self.roundTrip(.string(s))
        #expect(hexString(Array(bytes.prefix(expectedHeaderHex.count / 2))) == expectedHeaderHex)
        #expect(bytes.count == expectedHeaderHex.count / 2 + length)
    }

    @Test func stringLengthCountsUTF8Bytes() throws {
        // 16 × "é" is 32 UTF-8 bytes: str8, not fixstr.
        let bytes = try Self.roundTrip(.string(String(repeating: "é", count: 16)))
        #expect(Array(bytes.prefix(2)) == [0xd9, 32])
        _ = try Self.roundTrip("grasp the 🧊 cube, then π")
        _ = try Self.roundTrip(.string("nul\u{0}inside"))
    }

    static let binaryCases: [(Int, String)] = [
        (0, "c400"), (1, "c401"), (255, "c4ff"), (256, "c50100"),
        (65535, "c5ffff"), (65536, "c600010000"),
    ]

    @Test(arguments: binaryCases)
    func binaryLengthBoundaries(length: Int, expectedHeaderHex: String) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let bytes = try Self.roundTrip(.binary(payload))
        #expect(hexString(Array(bytes.prefix(expectedHeaderHex.count / 2))) == expectedHeaderHex)
        #expect(Array(bytes.suffix(length)) == payload)
    }

    static let collectionCases: [(Int, String, String)] = [
        (0, "90", "80"), (1, "91", "81"), (15, "9f", "8f"), (16, "dc0010", "de0010"),
        (65535, "dcffff", "deffff"), (65536, "dd00010000", "df00010000"),
    ]

    @Test(arguments: collectionCases)
    func collectionCountBoundaries(count: Int, arrayHeaderHex: String, mapHeaderHex: String) throws {
        let array = MessagePackValue.array((0..<count).map { .int(Int64($0 % 100)) })
        let arrayBytes = try Self.roundTrip(array)
        #expect(hexString(Array(arrayBytes.prefix(arrayHeaderHex.count / 2))) == arrayHeaderHex)

        let map = MessagePackValue.map((0..<count).map { (key: .string("k\($0)"), value: .bool($0 % 2 == 0)) })
        let mapBytes = try Self.roundTrip(map)
        #expect(hexString(Array(mapBytes.prefix(mapHeaderHex.count / 2))) == mapHeaderHex)
    }

    @Test func mapsKeepInsertionOrderAndBinaryKeys() throws {
        let value: MessagePackValue = .map([
            (key: "zeta", value: 1), (key: .binary([0x61]), value: 2), (key: "alpha", value: [true, nil, 2.5]),
        ])
        let bytes = try Self.roundTrip(value)
        #expect(bytes == decodeHex("83 a47a657461 01 c40161 02 a5616c706861 93c3c0cb4004000000000000"))
        #expect(value["alpha"] == [true, nil, 2.5])
        #expect(value[binaryKey: "a"] == 2)
        #expect(value["a"] == nil)
    }

    @Test func nestedMixedValueRoundTrips() throws {
        let value: MessagePackValue = [
            "images": ["cam_high": .binary([1, 2, 3]), "cam_low": .binary([])],
            "list": [1, -1, 300, -300, 1.25, .float32(0.5), "s", nil, [[[]]]],
            "empty": [:],
        ]
        _ = try Self.roundTrip(value)
    }

    @Test func encoderAppendsSuccessiveValuesAndCanBeReused() throws {
        var encoder = MessagePackEncoder(reservingCapacity: 64)
        try encoder.encode(1)
        try encoder.encode("a")
        #expect(encoder.bytes == [0x01, 0xa1, 0x61])
        encoder.removeAll()
        try encoder.encode(nil)
        #expect(encoder.bytes == [0xc0])
    }

    @Test func encoderRefusesNestingBeyondItsMaxDepth() throws {
        var value: MessagePackValue = 0
        for _ in 0..<10 { value = [value] }
        #expect(try MessagePackEncoder.encode(value, maxDepth: 10).count == 11)
        do {
            _ = try MessagePackEncoder.encode(value, maxDepth: 9)
            Issue.record("expected notEncodable")
        } catch {
            #expect(error.kind == .notEncodable)
        }
    }
}
