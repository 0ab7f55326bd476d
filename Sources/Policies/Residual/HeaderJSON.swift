/// The JSON a safetensors header may hold, parsed by a small strict reader written for
/// untrusted input: bounded nesting, bounds-checked indexing, exact integers kept as text so
/// offsets up to 2^64 − 1 are read without rounding, duplicate keys refused.
///
/// Load time only (allocates freely).
enum HeaderJSON: Equatable {
    case object([(key: String, value: HeaderJSON)])
    case array([HeaderJSON])
    case string(String)
    /// The number as written (validated against the JSON grammar).
    case number(String)
    case bool(Bool)
    case null

    static func == (a: HeaderJSON, b: HeaderJSON) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// The value as a non-negative integer that fits `UInt64`, or nil (fractions, exponents,
    /// signs and overflow are all nil).
    var unsignedInteger: UInt64? {
        guard case .number(let text) = self, !text.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in text.utf8 {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    struct SyntaxError: Error {
        var offset: Int
        var reason: String
    }

    /// Parses one JSON value filling `bytes` (JSON whitespace allowed around it).
    static func parse(_ bytes: ArraySlice<UInt8>, maxDepth: Int = 16) throws(SyntaxError) -> HeaderJSON {
        var reader = Reader(bytes: bytes, maxDepth: maxDepth)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        if reader.position < reader.end {
            throw reader.error("unexpected \(reader.describeByte()) after the JSON value")
        }
        return value
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        let maxDepth: Int
        var position: Int
        let end: Int

        init(bytes: ArraySlice<UInt8>, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
            position = bytes.startIndex
            end = bytes.endIndex
        }

        func error(_ reason: String) -> SyntaxError {
            SyntaxError(offset: position - bytes.startIndex, reason: reason)
        }

        func describeByte() -> String {
            guard position < end else { return "end of header" }
            let byte = bytes[position]
            if byte >= 0x20 && byte < 0x7F { return "`\(Character(Unicode.Scalar(byte)))`" }
            return "byte 0x\(String(byte, radix: 16))"
        }

        var peek: UInt8? { position < end ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
        }

        mutating func expect(_ literal: StaticString) throws(SyntaxError) {
            let start = position
            for byte in UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount) {
                guard peek == byte else {
                    position = start
                    throw error("invalid literal")
                }
                position += 1
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> HeaderJSON {
            guard depth <= maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
            guard let byte = peek else { throw error("unexpected end of header") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected \(describeByte())")
            }
        }

        mutating func object(depth: Int) throws(SyntaxError) -> HeaderJSON {
            position += 1  // {
            var members: [(key: String, value: HeaderJSON)] = []
            var keys = Set<String>()
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw error("expected a string key, found \(describeByte())") }
                let keyStart = position
                let key = try string()
                guard keys.insert(key).inserted else {
                    position = keyStart
                    throw error("duplicate key \"\(key)\"")
                }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw error("expected `:`, found \(describeByte())") }
                position += 1
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"): position += 1; return .object(members)
                default: throw error("expected `,` or `}`, found \(describeByte())")
                }
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> HeaderJSON {
            position += 1  // [
            var elements: [HeaderJSON] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"): position += 1; return .array(elements)
                default: throw error("expected `,` or `]`, found \(describeByte())")
                }
            }
        }

        mutating func number() throws(SyntaxError) -> String {
            let start = position
            if peek == UInt8(ascii: "-") { position += 1 }
            func digits(_ r: inout Reader) -> Int {
                var n = 0
                while let b = r.peek, b >= 0x30 && b <= 0x39 { r.position += 1; n += 1 }
                return n
            }
            if peek == UInt8(ascii: "0") {
                position += 1
            } else if digits(&self) == 0 {
                throw error("invalid number")
            }
            if peek == UInt8(ascii: ".") {
                position += 1
                guard digits(&self) > 0 else { throw error("invalid number") }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                position += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
                guard digits(&self) > 0 else { throw error("invalid number") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func hexQuad() throws(SyntaxError) -> UInt32 {
            guard end - position >= 4 else { throw error("truncated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[position]
                let digit: UInt8
                switch b {
                case 0x30...0x39: digit = b - 0x30
                case 0x41...0x46: digit = b - 0x41 + 10
                case 0x61...0x66: digit = b - 0x61 + 10
                default: throw error("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }

        mutating func string() throws(SyntaxError) -> String {
            position += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard let byte = peek else { throw error("unterminated string") }
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: out, as: UTF8.self) else {
                        throw error("string is not valid UTF-8")
                    }
                    return text
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { throw error("unterminated string") }
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hexQuad()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard end - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                                bytes[position + 1] == UInt8(ascii: "u")
                            else { throw error("unpaired surrogate in \\u escape") }
                            position += 2
                            let low = try hexQuad()
                            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw error("unpaired surrogate in \\u escape") }
                        out.append(contentsOf: String(Character(unicode)).utf8)
                    default:
                        position -= 1
                        throw error("invalid escape \\\(describeByte())")
                    }
                case 0x00..<0x20:
                    position -= 1
                    throw error("control character in string")
                default:
                    out.append(byte)
                }
            }
        }
    }
}

extension HeaderJSON {
    /// Serialises strings for the writer: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
