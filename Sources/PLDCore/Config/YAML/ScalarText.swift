import Foundation
import Yams

/// How plain YAML scalars are read: the YAML 1.2 core schema, strictly.
///
/// - null: empty, `~`, `null` (also `Null`, `NULL`);
/// - booleans: `true` / `false` (also `True`, `TRUE`, …) — not `yes`, `no`, `on`, `off`;
/// - integers: decimal, `0x…` hex, `0o…` octal;
/// - numbers: integers, decimals with optional exponent; `.inf` and `.nan` are refused (no
///   configuration value is meaningfully infinite);
/// - quoted and block scalars (and `!!str`) are always strings, so `"20"` is not a number.
enum ScalarText {
    enum Kind { case string, plain, unsupportedTag(String) }

    static func kind(_ scalar: Node.Scalar) -> Kind {
        switch scalar.tag.rawValue {
        case "":
            switch scalar.style {
            case .plain, .any: return .plain
            default: return .string
            }
        case Tag.Name.str.rawValue, Tag.Name.nonSpecific.rawValue:
            return .string
        case Tag.Name.int.rawValue, Tag.Name.float.rawValue, Tag.Name.bool.rawValue, Tag.Name.null.rawValue:
            return .plain
        case let other:
            return .unsupportedTag(other)
        }
    }

    static func isNull(_ scalar: Node.Scalar) -> Bool {
        guard case .plain = kind(scalar) else { return false }
        switch scalar.string {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node { return isNull(scalar) }
        return false
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    enum IntegerResult { case value(Int64), overflow, notInteger }

    static func integer(_ text: String) -> IntegerResult {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "-" || first == "+" {
            negative = first == "-"
            body = body.dropFirst()
        }
        var radix = 10
        if body.hasPrefix("0x") { radix = 16; body = body.dropFirst(2) }
        else if body.hasPrefix("0o") { radix = 8; body = body.dropFirst(2) }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isHexDigit }),
              radix == 16 || body.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return .notInteger }
        if radix == 8, !body.allSatisfy({ $0 >= "0" && $0 <= "7" }) { return .notInteger }
        guard let magnitude = UInt64(body, radix: radix) else { return .overflow }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return .value(Int64.min) }
            guard magnitude <= UInt64(Int64.max) else { return .overflow }
            return .value(-Int64(magnitude))
        }
        guard magnitude <= UInt64(Int64.max) else { return .overflow }
        return .value(Int64(magnitude))
    }

    /// A finite number, or nil when the text is not a number in the core schema.
    static func number(_ text: String) -> Double? {
        if case .value(let integer) = self.integer(text) { return Double(integer) }
        var digits = 0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "0"..."9": digits += 1
            case ".", "e", "E", "+", "-": continue
            default: return nil
            }
        }
        guard digits > 0, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    static func isNonFiniteNumber(_ text: String) -> Bool {
        let lower = text.lowercased()
        return [".inf", "+.inf", "-.inf", ".nan"].contains(lower)
    }

    /// A short description of a node for "expected X, found Y" messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(scalar) { return "null" }
            if case .plain = kind(scalar), bool(scalar.string) != nil || number(scalar.string) != nil {
                return scalar.string
            }
            return quoted(scalar.string)
        }
    }

    static func quoted(_ text: String) -> String {
        var shown = text.count > 60 ? String(text.prefix(57)) + "..." : text
        shown = shown.replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(shown)\""
    }
}
