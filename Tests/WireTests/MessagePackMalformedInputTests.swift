import TestSupport
import Testing
import Wire

/// Every malformed input gives a typed error at the right byte, never a trap or a large
/// allocation.
@Suite struct MessagePackMalformedInputTests {
    static let huge = MessagePackLimits(
        maxInputBytes: .max, maxDepth: 32, maxCollectionCount: .max, maxStringBytes: .max, maxBinaryBytes: .max)

    func expectError(
        _ bytes: [UInt8], _ kind: MessagePackError.Kind, at offset: Int, limits: MessagePackLimits = .default,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = msgpackDecodeError(bytes, limits: limits) else {
            Issue.record("decoded \(hexString(bytes)) without error, expected \(kind)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
    }

    @Test func emptyInputIsTruncated() {
        expectError([], .truncated, at: 0)
    }

    @Test func lyingStringLengthIsRefusedBeforeAllocating() {
        // str32 claiming 4 GB in a 10-byte buffer.
        let bytes = decodeHex("db ffffffff 6162636465")
        expectError(bytes, .stringTooLarge, at: 0)
        expectError(bytes, .truncated, at: 0, limits: Self.huge)
        expectError(decodeHex("d90a 616263"), .truncated, at: 0)
        expectError(decodeHex("92 a5 6162"), .truncated, at: 1)
    }

    @Test func lyingBinaryLengthIsRefusedBeforeAllocating() {
        let bytes = decodeHex("c6 ffffffff 0102030405")
        expectError(bytes, .binaryTooLarge, at: 0)
        expectError(bytes, .truncated, at: 0, limits: Self.huge)
        expectError(decodeHex("c5 0100 00"), .truncated, at: 0)
    }

    @Test func lyingCollectionCountsAreRefusedBeforeAllocating() {
        expectError(decodeHex("dd ffffffff 01"), .collectionTooLarge, at: 0)
        expectError(decodeHex("dd ffffffff 01"), .truncated, at: 0, limits: Self.huge)
        expectError(decodeHex("df ffffffff a161 01"), .truncated, at: 0, limits: Self.huge)
        // Three pairs need at least six bytes; four remain.
        expectError(decodeHex("de 0003 a16101a1"), .truncated, at: 0)
        expectError(decodeHex("dc 00"), .truncated, at: 1)
    }

    @Test func truncatedScalarsAndHeaders() {
        expectError(decodeHex("cb 0000"), .truncated, at: 1)
        expectError(decodeHex("ca"), .truncated, at: 1)
        expectError(decodeHex("cd 01"), .truncated, at: 1)
        expectError(decodeHex("92 01"), .truncated, at: 0)  // two items cannot fit in one byte
        expectError(decodeHex("93 01 02 cd"), .truncated, at: 4)
        expectError(decodeHex("81 a161"), .truncated, at: 3)
        expectError(decodeHex("d9"), .truncated, at: 1)
    }

    @Test func collectionLimitsApply() {
        let limits = MessagePackLimits(maxCollectionCount: 3, maxStringBytes: 2, maxBinaryBytes: 2)
        expectError(decodeHex("94 01020304"), .collectionTooLarge, at: 0, limits: limits)
        expectError(decodeHex("91 a3 616263"), .stringTooLarge, at: 1, limits: limits)
        expectError(decodeHex("91 c403 010203"), .binaryTooLarge, at: 1, limits: limits)
        #expect(msgpackDecodeError(decodeHex("93 a26162 c4020102 01"), limits: limits) == nil)
    }

    @Test func inputLongerThanTheLimitIsRefusedWhole() {
        expectError([UInt8](repeating: 0xc0, count: 17), .inputTooLarge, at: 0, limits: MessagePackLimits(maxInputBytes: 16))
    }

    @Test func trailingBytesAfterTheValue() {
        expectError([0xc0, 0xc0], .trailingBytes, at: 1)
        expectError(decodeHex("91 01 02"), .trailingBytes, at: 2)
    }

    @Test func reservedByteC1() {
        expectError([0xc1], .reservedByte, at: 0)
        expectError(decodeHex("92 01 c1"), .reservedByte, at: 2)
    }

    @Test(arguments: ["c7 01 05 aa", "c8 0001 05 aa", "c9 00000001 05 aa", "d4 05 aa", "d5 05 aabb",
                      "d6 ff 00000000", "d7 ff 0000000000000000", "d8 05 00000000000000000000000000000000"])
    func extensionTypesAreRefused(hex: String) {
        expectError(decodeHex(hex), .extensionType, at: 0)
        expectError(decodeHex("81 a1 78" + hex), .extensionType, at: 3)
    }

    @Test func invalidUTF8InStrIsRefused() {
        expectError(decodeHex("a2 c328"), .invalidUTF8, at: 0)  // bad continuation
        expectError(decodeHex("a2 c0af"), .invalidUTF8, at: 0)  // overlong "/"
        expectError(decodeHex("a3 eda080"), .invalidUTF8, at: 0)  // UTF-16 surrogate
        expectError(decodeHex("a1 ff"), .invalidUTF8, at: 0)
        expectError(decodeHex("91 a2 e282"), .invalidUTF8, at: 1)  // cut code point
        // The same bytes as bin are fine.
        #expect(msgpackDecodeError(decodeHex("c4 02 c328")) == nil)
    }

    @Test(arguments: ["81 01 02", "81 c0 c0", "81 c3 01", "81 90 01", "81 80 01", "81 cb 3ff0000000000000 01",
                      "81 ff 01"])
    func mapKeysMustBeStrOrBin(hex: String) {
        expectError(decodeHex(hex), .invalidMapKey, at: 1)
    }

    @Test func mapKeyCheckAppliesToEveryPair() {
        expectError(decodeHex("82 a161 01 d0ff 02"), .invalidMapKey, at: 4)
        #expect(msgpackDecodeError(decodeHex("82 a161 01 c40162 02")) == nil)
    }

    @Test func nestingUpToMaxDepthDecodesAndOneMoreIsRefused() {
        let limits = MessagePackLimits(maxDepth: 32)
        #expect(msgpackDecodeError([UInt8](repeating: 0x91, count: 31) + [0x90], limits: limits) == nil)
        expectError([UInt8](repeating: 0x91, count: 32) + [0x90], .depthLimitExceeded, at: 32, limits: limits)
    }

    @Test func hundredThousandNestedArraysThrowTheDepthErrorWithoutOverflow() {
        expectError([UInt8](repeating: 0x91, count: 100_000), .depthLimitExceeded, at: 32)
        // Maps: {"a": {"a": ...}}.
        var maps: [UInt8] = []
        maps.reserveCapacity(300_000)
        for _ in 0..<100_000 { maps += [0x81, 0xa1, 0x61] }
        expectError(maps, .depthLimitExceeded, at: 32 * 3)
        // With a huge limit the decoder's own stack lives on the heap: still no overflow,
        // just a truncation error where the last array claims an element that is not there.
        let deep = MessagePackLimits(maxDepth: 1_000_000)
        expectError([UInt8](repeating: 0x91, count: 100_000), .truncated, at: 99_999, limits: deep)
    }

    @Test func errorDescriptionNamesKindAndOffset() {
        let error = msgpackDecodeError(decodeHex("db ffffffff 6162636465"), limits: Self.huge)
        #expect(error?.description == "msgpack: truncated input at byte 0: str claims 4294967295 bytes but only 5 remain")
    }
}
