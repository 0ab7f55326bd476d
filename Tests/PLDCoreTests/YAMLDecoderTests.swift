import Foundation
import PLDCore
import Testing

/// A small document type that exercises the decoder independently of the robot model.
private struct Sample: ConfigDocument {
    enum Mode: String, ConfigEnum { case mean, sample }

    struct Inner: Codable, Sendable, Equatable {
        var rateHz: Double
        var maxAgeS: Double
        var label: String?

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            rateHz = try c.required(.rateHz)
            maxAgeS = try c.value(.maxAgeS, default: 0.1)
            label = try c.optional(.label)
        }
    }

    var name: String
    var count: Int
    var enabled: Bool
    var mode: Mode
    var inner: Inner
    var values: [Double]
    var tags: [String: String]

    func validate() -> [ConfigIssue] {
        var v = ConfigValidator()
        v.range(inner.rateHz, .leftOpen(0, 1000), ConfigPath.root["inner"]["rate_hz"])
        return v.issues
    }
}

private let valid = """
    name: demo
    count: 3
    enabled: true
    mode: mean
    inner:
      rate_hz: 20
      label: hello
    values: [1, 2.5, -3e-2]
    tags:
      observation/state: arm.left.joint_position
      CamelKey: x
    """

private func expectError(_ yaml: String, file: String = "sample.yaml", _ check: (ConfigError) -> Void) {
    do {
        let value = try Sample.load(yaml: yaml, file: file)
        Issue.record("expected an error, loaded \(value)")
    } catch {
        check(error)
    }
}

@Suite struct YAMLDecoderTests {
    @Test func decodesSnakeCaseKeysIntoCamelCaseProperties() throws {
        let sample = try Sample.load(yaml: valid, file: "sample.yaml")
        #expect(sample.inner.rateHz == 20)
        #expect(sample.inner.maxAgeS == 0.1)
        #expect(sample.inner.label == "hello")
        #expect(sample.values == [1, 2.5, -0.03])
        #expect(sample.tags["observation/state"] == "arm.left.joint_position")
        #expect(sample.tags["CamelKey"] == "x")
        #expect(sample.mode == .mean)
    }

    @Test func wrongTypeNamesFileLineAndPath() {
        expectError(valid.replacingOccurrences(of: "rate_hz: 20", with: "rate_hz: fast")) { error in
            #expect(error.description == "sample.yaml:6: inner.rate_hz: expected a number, found \"fast\"")
        }
    }

    @Test func quotedNumberIsAString() {
        expectError(valid.replacingOccurrences(of: "count: 3", with: "count: \"3\"")) { error in
            #expect(error.path == "count")
            #expect(error.line == 2)
            #expect(error.message.contains("quoted string"))
        }
    }

    @Test func unknownKeySuggestsClosestKnownKey() {
        expectError(valid.replacingOccurrences(of: "label: hello", with: "label: hello\n  rate_hzz: 3")) { error in
            #expect(error.path == "inner.rate_hzz")
            #expect(error.line == 8)
            #expect(error.message.contains("did you mean `rate_hz`?"))
        }
    }

    @Test func misspeltRequiredKeyIsReportedAsUnknownWithSuggestion() {
        expectError(valid.replacingOccurrences(of: "rate_hz: 20", with: "rateHz: 20")) { error in
            #expect(error.path == "inner.rateHz")
            #expect(error.message.contains("did you mean `rate_hz`?"))
        }
    }

    @Test func missingFieldNamesPath() {
        expectError(valid.replacingOccurrences(of: "count: 3\n", with: "")) { error in
            #expect(error.path == "count")
            #expect(error.message.contains("missing required field `count`"))
        }
    }

    @Test func invalidEnumListsAllowedValues() {
        expectError(valid.replacingOccurrences(of: "mode: mean", with: "mode: average")) { error in
            #expect(error.path == "mode")
            #expect(error.line == 4)
            #expect(error.message.contains("mean, sample"))
        }
    }

    @Test func scalarWhereListExpected() {
        expectError(valid.replacingOccurrences(of: "values: [1, 2.5, -3e-2]", with: "values: 5")) { error in
            #expect(error.path == "values")
            #expect(error.message == "expected a list, found 5")
        }
    }

    @Test func listElementPathHasIndex() {
        expectError(valid.replacingOccurrences(of: "values: [1, 2.5, -3e-2]", with: "values: [1, x, 3]")) { error in
            #expect(error.path == "values[1]")
        }
    }

    @Test func yesIsNotABoolean() {
        expectError(valid.replacingOccurrences(of: "enabled: true", with: "enabled: yes")) { error in
            #expect(error.path == "enabled")
            #expect(error.message.contains("true or false"))
        }
    }

    @Test func infinityIsRefused() {
        expectError(valid.replacingOccurrences(of: "rate_hz: 20", with: "rate_hz: .inf")) { error in
            #expect(error.message.contains("finite"))
        }
    }

    @Test func duplicateKeyNamesPathAndSecondLine() {
        expectError(valid.replacingOccurrences(of: "label: hello", with: "label: hello\n  rate_hz: 30")) { error in
            #expect(error.path == "inner.rate_hz")
            #expect(error.line == 8)
            #expect(error.message.contains("duplicate key `rate_hz`"))
            #expect(error.message.contains("line 6"))
        }
    }

    @Test func validationErrorCitesLine() {
        expectError(valid.replacingOccurrences(of: "rate_hz: 20", with: "rate_hz: 2000")) { error in
            #expect(error.description == "sample.yaml:6: inner.rate_hz: must be in (0, 1000], found 2000")
        }
    }

    @Test func deepNestingIsRefusedWithoutCrashing() {
        let deep = "name: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        expectError(deep) { error in
            #expect(error.file == "sample.yaml")
        }
        let deepBlock = (0..<900).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x"
        expectError(deepBlock) { error in
            #expect(error.file == "sample.yaml")
        }
        let flow999 = "name: " + String(repeating: "[", count: 990) + String(repeating: "]", count: 990)
        expectError(flow999) { error in
            #expect(error.message.contains("nesting"))
        }
    }
}
