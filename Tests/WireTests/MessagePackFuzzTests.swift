import TestSupport
import Testing
import Wire

/// Random and mutated inputs: the decoder (and the openpi layer on top) either decodes or
/// throws its typed error; it never traps, hangs or allocates wildly.
@Suite struct MessagePackFuzzTests {
    /// Valid encodings to mutate: the reference example, a small observation, a reply, a mix.
    static func corpus() throws -> [[UInt8]] {
        let observation: OpenPIDict = [
            "observation/image": .array(try OpenPIArray(OpenPIPeerContent.image(0, count: 4 * 4 * 3), shape: [4, 4, 3])),
            "observation/state": .array(try OpenPIArray(OpenPIPeerContent.state(8), shape: [8])),
            "prompt": "pick up the cube",
        ]
        let reply: OpenPIDict = [
            "actions": .array(try OpenPIArray(Array(OpenPIPeerContent.actions.prefix(16)), shape: [2, 8])),
            "policy_timing": ["infer_ms": 12.5],
            "step": .scalar(OpenPIScalar(int64: 3)),
        ]
        let mixed: MessagePackValue = [
            "a": [1, -1, 200, -200, 70000, -70000, .uint(UInt64.max), .float32(1.5), 2.5, nil, true, false],
            "b": .binary([UInt8](repeating: 7, count: 40)),
            "c": ["d": [[], [:], "é"], "e": .string(String(repeating: "z", count: 40))],
        ]
        return [
            OpenPIArrayTests.workedExample,
            try OpenPIMessage.encode(observation),
            try OpenPIMessage.encode(reply),
            try MessagePackEncoder.encode(mixed),
        ]
    }

    /// Decodes `bytes` both ways; returns whether the msgpack decode succeeded.
    @discardableResult
    static func probe(_ bytes: [UInt8]) -> Bool {
        let decoded: MessagePackValue
        do {
            decoded = try MessagePackDecoder.decode(bytes)
        } catch {
            #expect(!error.description.contains("\n"))
            #expect(error.offset >= 0 && error.offset <= bytes.count, "\(error)")
            return false
        }
        // Whatever decodes re-encodes, and decodes to the same value again.
        do {
            let again = try MessagePackDecoder.decode(try MessagePackEncoder.encode(decoded))
            #expect(again == decoded, "\(hexString(bytes))")
        } catch {
            Issue.record("re-encoding a decoded value failed: \(error) for \(hexString(bytes))")
        }
        do {
            _ = try OpenPIMessage.decode(bytes)
        } catch is OpenPIError {
        } catch is MessagePackError {
            Issue.record("msgpack error from OpenPIMessage for bytes the decoder accepted: \(hexString(bytes))")
        } catch {
            Issue.record("unexpected error type \(type(of: error))")
        }
        return true
    }

    @Test func tenThousandRandomByteStringsDecodeOrThrowTypedErrors() {
        var rng = SeededRandom(seed: 0x00C0_FFEE)
        // Half uniform bytes, half drawn mostly from headers and small values, which reach
        // deeper into the format.
        let structural: [UInt8] = [0x80, 0x81, 0x82, 0x8f, 0x90, 0x91, 0x92, 0x9f, 0xa0, 0xa1, 0xa3, 0xc0, 0xc2, 0xc3,
                                   0xc4, 0xc5, 0xc6, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd9, 0xda, 0xdb, 0xdc,
                                   0xdd, 0xde, 0xdf, 0x00, 0x01, 0x02, 0x03, 0x61, 0x62, 0x7f, 0xe0, 0xff]
        var decodedCount = 0
        for i in 0..<10_000 {
            let length = Int.random(in: 0...512, using: &rng)
            var bytes = [UInt8](repeating: 0, count: length)
            for j in 0..<length {
                bytes[j] = i % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : structural.randomElement(using: &rng)!
            }
            if Self.probe(bytes) { decodedCount += 1 }
        }
        // Some short structural strings are valid msgpack; most random ones are not.
        #expect(decodedCount > 0 && decodedCount < 10_000)
    }

    @Test func mutatedValidEncodingsDecodeOrThrowTypedErrors() throws {
        let corpus = try Self.corpus()
        var rng = SeededRandom(seed: 0x5EED_0001)
        let lengthHeaders: Set<UInt8> = [0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf]
        for _ in 0..<6_000 {
            var bytes = corpus.randomElement(using: &rng)!
            switch Int.random(in: 0..<5, using: &rng) {
            case 0:  // truncate
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            case 1:  // flip one to four bytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                }
            case 2:  // inflate a length field to something huge
                let headers = bytes.indices.filter { lengthHeaders.contains(bytes[$0]) && $0 + 1 < bytes.count }
                if let at = headers.randomElement(using: &rng) {
                    for k in (at + 1)..<min(at + 5, bytes.count) { bytes[k] = 0xff }
                }
            case 3:  // insert random bytes
                let at = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            default:  // change a fixmap/fixarray/fixstr count by one
                let headers = bytes.indices.filter { (0x80...0xbf).contains(bytes[$0]) }
                if let at = headers.randomElement(using: &rng) {
                    bytes[at] = bytes[at] & 0x0f == 0x0f ? bytes[at] - 1 : bytes[at] + 1
                }
            }
            Self.probe(bytes)
        }
    }

    @Test func everyStrictPrefixOfAValidEncodingIsTruncated() throws {
        for encoding in try Self.corpus() {
            #expect(Self.probe(encoding))
            for length in 0..<encoding.count {
                let error = msgpackDecodeError(Array(encoding.prefix(length)))
                #expect(error?.kind == .truncated, "prefix \(length) of \(encoding.count): \(String(describing: error))")
            }
        }
    }
}
