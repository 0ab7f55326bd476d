import Foundation
import Policies
import TestSupport
import Testing

@Suite struct SafetensorsTests {
    static func sampleFile() -> [UInt8] {
        var w = SafetensorsWriter(metadata: ["pld.format": "residual-mlp/1", "note": "quote \" backslash \\ tab \t é"])
        w.add("a.f64", dtype: .f64, shape: [2, 3], values: [1, -2, 3.5, .pi, -0.0, 1e-300])
        w.add("b.f32", dtype: .f32, shape: [3], values: [0.1, -7, 65504])
        w.add("c.f16", dtype: .f16, shape: [2], values: [0.5, -1024])
        w.add("d.bf16", dtype: .bf16, shape: [1, 2], values: [1.5, -3])
        w.add("scalar", dtype: .f64, shape: [], values: [42])
        w.add("empty", dtype: .f32, shape: [0, 4], values: [])
        return w.encoded()
    }

    /// Builds a file by hand: header text, then raw data bytes.
    static func handMade(_ header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        let n = lengthOverride ?? UInt64(h.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + h + data
    }

    @Test func writerOutputReadsBackExactlyForEveryFloatType() throws {
        let file = try SafetensorsFile(bytes: Self.sampleFile(), name: "sample.safetensors")
        #expect(file.metadata["note"] == "quote \" backslash \\ tab \t é")
        #expect(file.tensors["a.f64"]?.shape == [2, 3])
        let a = try file.doubles("a.f64")
        #expect(a.map(\.bitPattern) == [1, -2, 3.5, .pi, -0.0, 1e-300].map(\.bitPattern))
        #expect(try file.doubles("b.f32") == [Double(Float(0.1)), -7, 65504])
        #expect(try file.doubles("c.f16") == [0.5, -1024])
        #expect(try file.doubles("d.bf16") == [1.5, -3])
        #expect(try file.doubles("scalar") == [42])
        #expect(try file.doubles("empty") == [])
        // Header padded to 8 bytes; every tensor aligned to its item size.
        #expect((file.dataStart - 8) % 8 == 0)
        for info in file.tensors.values { #expect(info.dataOffsets.lowerBound % info.dtype.byteCount == 0) }
    }

    @Test func numpyReadsWhatTheSwiftWriterWrote() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var w = SafetensorsWriter(metadata: ["k": "v"])
        w.add("w", dtype: .f32, shape: [2, 2], values: [1, 2, 3, 4.25])
        w.add("x", dtype: .f64, shape: [3], values: [0.1, 0.2, 0.3])
        try w.write(toFile: path)
        let result = try PythonPeer.runScript("residual_reference.py", ["read", path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((json["metadata"] as? [String: String]) == ["k": "v"])
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        #expect(tensors["w"]?["shape"] as? [Int] == [2, 2])
        #expect(tensors["w"]?["values"] as? [Double] == [1, 2, 3, 4.25])
        #expect(tensors["x"]?["values"] as? [Double] == [0.1, 0.2, 0.3])
    }

    /// Each malformed file fails with a one-line error naming the file (and the tensor at fault).
    @Test(arguments: [
        ("short", [UInt8](repeating: 0, count: 5), nil, "too short"),
        ("over cap", handMade("{}", lengthOverride: 200_000_000), nil, "exceeds the 100000000-byte limit"),
        ("past end", handMade("{}", lengthOverride: 50), nil, "runs past the end"),
        ("not object", handMade("[1,2]"), nil, "does not start with `{`"),
        ("bad json", handMade("{\"a\":}"), nil, "not valid JSON"),
        ("trailing", handMade("{} x"), nil, "not valid JSON"),
        ("duplicate", handMade("{\"a\":{},\"a\":{}}"), nil, "duplicate key"),
        ("deep", handMade(String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 40)), nil, "nested deeper"),
        ("metadata not strings", handMade("{\"__metadata__\":{\"k\":1}}"), nil, "expected a string"),
        ("unknown dtype", handMade("{\"t\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", data: .init(repeating: 0, count: 16)), "t", "unknown dtype"),
        ("unknown field", handMade("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", data: .init(repeating: 0, count: 4)), "t", "unknown field"),
        ("missing shape", handMade("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", data: .init(repeating: 0, count: 4)), "t", "missing shape"),
        ("negative dim", handMade("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", data: .init(repeating: 0, count: 4)), "t", "non-negative integer"),
        ("span mismatch", handMade("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", data: .init(repeating: 0, count: 4)), "t", "needs 8 bytes but data_offsets [0, 4] span 4"),
        ("shape overflow", handMade("{\"t\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", data: .init(repeating: 0, count: 8)), "t", "overflows"),
        ("past data", handMade("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: .init(repeating: 0, count: 4)), "t", "run past the 4-byte data section"),
        ("backwards", handMade("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", data: .init(repeating: 0, count: 4)), "t", "run backwards"),
        ("huge offset", handMade("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[18446744073709551615,18446744073709551616]}}"), "t", "not a pair of non-negative integers"),
        ("overlap", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data: .init(repeating: 0, count: 8)), "b", "overlap tensor `a`"),
        ("gap", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data: .init(repeating: 0, count: 8)), "a", "unused"),
        ("trailing data", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: .init(repeating: 0, count: 12)), nil, "cover 4 bytes but the data section holds 12"),
    ] as [(String, [UInt8], String?, String)])
    func malformedFilesFailWithOneLineNamingFileAndTensor(label: String, bytes: [UInt8], tensor: String?, reason: String) {
        do {
            _ = try SafetensorsFile(bytes: bytes, name: "bad-\(label).safetensors")
            Issue.record("\(label): accepted")
        } catch {
            #expect(error.file == "bad-\(label).safetensors")
            #expect(error.tensor == tensor, "\(label): \(error)")
            #expect(error.description.contains(reason), "\(label): \(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func nonFloatTensorsParseButAreNotReadAsDoubles() throws {
        let bytes = Self.handMade("{\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: [1, 0, 0, 0, 2, 0, 0, 0])
        let file = try SafetensorsFile(bytes: bytes, name: "ints.safetensors")
        #expect(throws: SafetensorsError.self) { try file.doubles("i") }
        #expect(throws: SafetensorsError.self) { try file.doubles("missing") }
    }

    @Test func missingOrOversizedFileIsOneLineError() throws {
        do {
            _ = try SafetensorsFile(contentsOfFile: "/nonexistent/dir/w.safetensors")
            Issue.record("accepted a missing file")
        } catch {
            #expect(error.description == "/nonexistent/dir/w.safetensors: no such file")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = Self.sampleFile()
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        #expect(throws: Never.self) { try SafetensorsFile(contentsOfFile: path) }
        #expect(throws: SafetensorsError(file: path, reason: "\(bytes.count) bytes exceeds the 100-byte limit")) {
            try SafetensorsFile(contentsOfFile: path, maxFileBytes: 100)
        }
    }

    /// 12,000 mutations of a valid file (bit flips, truncations, inserted length bytes, random
    /// bytes) plus 2,000 header-text mutations: every one parses or throws `SafetensorsError`;
    /// whatever parses satisfies the invariants the reader promises.
    @Test func fuzzedFilesErrorButNeverCrash() throws {
        let seedBytes = Self.sampleFile()
        var random = SeededRandom(seed: 0x5AFE_7E45)
        var accepted = 0, refused = 0
        func check(_ input: [UInt8]) {
            do {
                let file = try SafetensorsFile(bytes: input, name: "fuzz.safetensors")
                accepted += 1
                var cursor = 0
                for info in file.tensors.values.sorted(by: { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }) {
                    #expect(info.dataOffsets.lowerBound == cursor)
                    #expect(info.elementCount * info.dtype.byteCount == info.dataOffsets.count)
                    cursor = info.dataOffsets.upperBound
                }
                #expect(file.dataStart + cursor == input.count)
                for name in file.tensorNames where file.tensors[name]!.dtype.isReadableAsDouble {
                    #expect((try? file.doubles(name))?.count == file.tensors[name]!.elementCount)
                }
            } catch {
                refused += 1
                #expect(!error.description.isEmpty && !error.description.contains("\n"))
            }
        }
        for _ in 0..<12_000 { check(random.fuzzInput(from: seedBytes, maxLength: 600)) }
        // Mutations inside the header text (keeps the length field valid more often).
        let headerLength = Int(seedBytes[0]) | Int(seedBytes[1]) << 8
        let alphabet = Array("{}[]\",:0123456789-eE.\\u ".utf8)
        for _ in 0..<2_000 {
            var bytes = seedBytes
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[8 + Int.random(in: 0..<headerLength, using: &random)] = alphabet.randomElement(using: &random)!
            }
            check(bytes)
        }
        #expect(accepted + refused == 14_000)
        #expect(refused > 10_000)
    }
}
