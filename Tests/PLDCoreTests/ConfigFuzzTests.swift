import Foundation
import PLDCore
import Testing

/// Random byte-level damage to valid configs: every variant either loads or throws
/// `ConfigError` — no crash, no hang, no other error type (typed throws guarantee the last).
@Suite struct ConfigFuzzTests {
    /// Variants of the compact base robot config (the brief asks for at least 10 000).
    static let robotVariants = 10_000
    /// Variants of a shipped example (long, mostly comments) and of a calibration.
    static let exampleVariants = 1_000
    static let calibrationVariants = 2_000

    /// Applies 1–4 random flips, deletions, insertions or YAML-significant splices.
    static func mutate(_ bytes: [UInt8], using generator: inout SplitMix64) -> [UInt8] {
        var result = bytes
        let significant: [[UInt8]] = [":", "-", " ", "\n", "[", "]", "{", "}", "&a", "*a", "!!", "\"", "'", "#", "\t", "? ", "|", ">", "---\n", ",", "0", "-1", "1e999", "~", "null", "\u{FEFF}"].map { Array($0.utf8) }
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            guard !result.isEmpty else { break }
            let position = Int.random(in: 0..<result.count, using: &generator)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0:
                result[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            case 1:
                let length = min(Int.random(in: 1...16, using: &generator), result.count - position)
                result.removeSubrange(position..<(position + length))
            case 2:
                let junk = (0..<Int.random(in: 1...8, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                result.insert(contentsOf: junk, at: position)
            case 3:
                result.insert(contentsOf: significant.randomElement(using: &generator)!, at: position)
            default:
                // Duplicate a line elsewhere: makes duplicate keys and misplaced sections.
                let text = result
                guard let lineStart = text[..<position].lastIndex(of: 0x0A).map({ $0 + 1 }) ?? Optional(0),
                      let lineEnd = text[position...].firstIndex(of: 0x0A) else { continue }
                let line = Array(text[lineStart...lineEnd])
                let target = Int.random(in: 0..<result.count, using: &generator)
                result.insert(contentsOf: line, at: target)
            }
        }
        return result
    }

    static func fuzz<T: ConfigDocument>(_ type: T.Type, base: String, seed: UInt64, count: Int) -> (loaded: Int, failed: Int) {
        var generator = SplitMix64(seed: seed)
        let bytes = Array(base.utf8)
        var loaded = 0
        var failed = 0
        for _ in 0..<count {
            let variant = mutate(bytes, using: &generator)
            do {
                _ = try T.load(bytes: variant, file: "fuzz.yaml")
                loaded += 1
            } catch {
                // Typed throws: `error` is a ConfigError; check its shape.
                if error.file != "fuzz.yaml" || error.message.isEmpty || error.description.contains("\n") {
                    Issue.record("malformed error: \(error.description.debugDescription)")
                }
                failed += 1
            }
        }
        return (loaded, failed)
    }

    @Test func mutatedRobotConfigsLoadOrThrowConfigError() {
        let (loaded, failed) = Self.fuzz(RobotConfig.self, base: baseRobotYAML, seed: 0x5EED_0001, count: Self.robotVariants)
        #expect(loaded + failed == Self.robotVariants)
        #expect(failed > Self.robotVariants / 2, "most damage should be caught")
        #expect(loaded > 0, "some damage (e.g. inside values) should be harmless")
    }

    @Test func mutatedShippedExampleLoadsOrThrowsConfigError() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("RobotConfigs/yam_sim_gpu_insertion.yaml"), encoding: .utf8)
        let (loaded, failed) = Self.fuzz(RobotConfig.self, base: text, seed: 0x5EED_0003, count: Self.exampleVariants)
        #expect(loaded + failed == Self.exampleVariants)
        #expect(loaded > 0, "damage inside comments is harmless")
    }

    @Test func mutatedCalibrationsLoadOrThrowConfigError() {
        let (loaded, failed) = Self.fuzz(CalibrationConfig.self, base: baseCalibrationYAML, seed: 0x5EED_0002, count: Self.calibrationVariants)
        #expect(loaded + failed == Self.calibrationVariants)
        #expect(failed > Self.calibrationVariants / 2)
    }
}
