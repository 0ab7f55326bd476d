import Foundation
import PLDCore
import Testing

/// Inputs that are not configuration files at all. Each must give one `ConfigError` naming the
/// file, never a crash or a hang.
@Suite struct GarbageInputTests {
    static let file = "RobotConfigs/garbage.yaml"

    private func loadError(_ bytes: [UInt8], file: String = GarbageInputTests.file) -> ConfigError? {
        do {
            _ = try RobotConfig.load(bytes: bytes, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test func emptyFile() throws {
        let error = try #require(loadError([]))
        #expect(error.description == "\(Self.file):1: file is empty; expected a mapping of configuration fields")
    }

    @Test func whitespaceAndCommentsOnly() throws {
        let error = try #require(loadError(Array("\n   \n# just a comment\n\n".utf8)))
        #expect(error.file == Self.file)
        #expect(error.message.contains("empty"))
    }

    @Test func nullDocument() throws {
        let error = try #require(loadError(Array("---\n~\n".utf8)))
        #expect(error.message.contains("empty"))
        #expect(error.line == 2)
    }

    @Test func topLevelList() throws {
        let error = try #require(loadError(Array("- name: a\n- name: b\n".utf8)))
        #expect(error.description == "\(Self.file):1: expected a mapping of configuration fields at the top level, found a list")
    }

    @Test func topLevelScalar() throws {
        let error = try #require(loadError(Array("just some words\n".utf8)))
        #expect(error.message.contains("found \"just some words\""))
    }

    @Test func binaryJunk() throws {
        var generator = SplitMix64(seed: 42)
        let bytes = (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let error = try #require(loadError(bytes))
        #expect(error.file == Self.file)
        #expect(error.message.contains("not UTF-8"))
        #expect(error.line != nil)
    }

    @Test func invalidUTF8AfterValidText() throws {
        let bytes = Array("name: ok\ntask: caf".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let error = try #require(loadError(bytes))
        #expect(error.line == 2)
        #expect(error.message.contains("invalid byte 0xc3 at offset 18"))
    }

    @Test func nulByte() throws {
        let error = try #require(loadError(Array("name: a\n".utf8) + [0] + Array("task: b\n".utf8)))
        #expect(error.message.contains("NUL byte"))
        #expect(error.line == 2)
    }

    @Test func controlCharactersAreASyntaxError() throws {
        let error = try #require(loadError(Array("name: a\u{7}b\n".utf8)))
        #expect(error.file == Self.file)
        #expect(error.line == 1)
    }

    @Test func oversizedInputIsRefusedBeforeParsing() throws {
        let line = "# " + String(repeating: "x", count: 1022) + "\n"
        let bytes = Array(String(repeating: line, count: 1025).utf8)
        #expect(bytes.count > ConfigLimits.maxBytes)
        let error = try #require(loadError(bytes))
        #expect(error.message.contains("limited to 1048576 bytes (1 MiB)"))
        #expect(error.path == "")
        #expect(error.description.hasPrefix("\(Self.file): "))
    }

    @Test func oversizedFileIsRefusedWithoutReadingItAll() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pld-oversized-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(repeating: 0x23, count: ConfigLimits.maxBytes + 10).write(to: url)
        do {
            _ = try RobotConfig.load(path: url.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == url.path)
            #expect(error.message.contains("larger than 1048576 bytes"))
        }
    }

    @Test func billionLaughsIsRefused() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [\(Array(repeating: previous, count: 9).joined(separator: ", "))]\n"
        }
        text += "name: *a9\n"
        let error = try #require(loadError(Array(text.utf8)))
        #expect(error.message.contains("more than 32 aliases"))
        #expect(error.line != nil)
    }

    @Test func aliasExpansionBeyondTheNodeLimitIsRefused() throws {
        // 30 aliases, 3 per level over 10 levels: 3^10 leaves after expansion.
        var text = "a0: &a0 [x, x, x]\n"
        for level in 1...10 {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [\(previous), \(previous), \(previous)]\n"
        }
        let error = try #require(loadError(Array(text.utf8)))
        #expect(error.message.contains("more than 50000 nodes"))
    }

    @Test func aliasBombAsMappingKeyIsRefusedQuickly() throws {
        var text = "a0: &a0 {k: [x, x, x, x]}\n"
        for level in 1...12 {
            text += "a\(level): &a\(level) [*a\(level - 1), *a\(level - 1)]\n"
        }
        text += "bomb: {? *a12 : 1, ? *a11 : 2}\n"
        let clock = ContinuousClock()
        let start = clock.now
        let error = try #require(loadError(Array(text.utf8)))
        #expect(clock.now - start < .seconds(5))
        #expect(error.file == Self.file)
    }

    @Test func deepNestingIsRefused() throws {
        let text = "name: " + String(repeating: "[", count: 800) + String(repeating: "]", count: 800) + "\n"
        let error = try #require(loadError(Array(text.utf8)))
        #expect(error.message.contains("nesting deeper than 64 levels"))
    }

    @Test func missingFile() throws {
        do {
            _ = try RobotConfig.load(path: "/nonexistent/pld/config.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "/nonexistent/pld/config.yaml: no such file")
        }
    }

    @Test func directoryInsteadOfFile() throws {
        let path = FileManager.default.temporaryDirectory.path
        do {
            _ = try CalibrationConfig.load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == path)
            #expect(error.message.contains("is a directory"))
        }
    }

    @Test func byteOrderMarkIsAccepted() throws {
        let text = "\u{FEFF}" + baseCalibrationYAML
        let calibration = try CalibrationConfig.load(yaml: text, file: "bom.yaml")
        #expect(calibration.name == "test_cell")
    }
}

/// A small deterministic generator so fuzz and junk tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
