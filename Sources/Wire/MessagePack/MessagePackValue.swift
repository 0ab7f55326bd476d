// A MessagePack value tree (https://github.com/msgpack/msgpack/blob/master/spec.md).
//
// Threading: a plain value type; build it on any thread and hand it to another. It is not
// meant for the control thread (it allocates); the openpi policy client encodes and decodes
// on its own thread.

/// One MessagePack value.
///
/// Maps are ordered lists of pairs, not dictionaries: encoding is deterministic and byte-exact
/// (the openpi ndarray map must carry its keys in a fixed order), and duplicate keys survive
/// decoding so a higher layer can decide what to do with them.
///
/// Integers: MessagePack has one integer type with many encodings. The decoder returns
/// `.int` for every integer that fits `Int64` (whatever its wire format) and `.uint` only for
/// values above `Int64.max`. The encoder writes non-negative `.int` and every `.uint` with the
/// smallest unsigned format, like msgpack-python. `==` compares integers by value, so
/// `.int(5) == .uint(5)`.
///
/// Floats: `.float32` and `.float64` are distinct (they have different wire formats) and `==`
/// compares their bit patterns, so a NaN equals itself and `0.0 != -0.0`. That is the
/// equality a codec round trip needs.
///
/// Extension types (0xc7–0xc9, 0xd4–0xd8) have no case: the decoder refuses them and the
/// encoder therefore cannot produce them.
public enum MessagePackValue: Sendable {
    case `nil`
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float32(Float)
    case float64(Double)
    case string(String)
    case binary([UInt8])
    case array([MessagePackValue])
    case map([(key: MessagePackValue, value: MessagePackValue)])
}

// MARK: - Equality

extension MessagePackValue: Equatable {
    public static func == (lhs: MessagePackValue, rhs: MessagePackValue) -> Bool {
        switch (lhs, rhs) {
        case (.nil, .nil): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.uint(let a), .uint(let b)): return a == b
        case (.int(let a), .uint(let b)), (.uint(let b), .int(let a)): return a >= 0 && UInt64(a) == b
        case (.float32(let a), .float32(let b)): return a.bitPattern == b.bitPattern
        case (.float64(let a), .float64(let b)): return a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): return a == b
        case (.binary(let a), .binary(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where x.key != y.key || x.value != y.value { return false }
            return true
        default: return false
        }
    }
}

// MARK: - Accessors

extension MessagePackValue {
    /// True for `.nil`.
    public var isNil: Bool {
        if case .nil = self { return true }
        return false
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The integer as `Int64`, from `.int` or from a `.uint` that fits.
    public var int64Value: Int64? {
        switch self {
        case .int(let v): return v
        case .uint(let v): return v <= UInt64(Int64.max) ? Int64(v) : nil
        default: return nil
        }
    }

    /// The integer as `UInt64`, from `.uint` or from a non-negative `.int`.
    public var uint64Value: UInt64? {
        switch self {
        case .int(let v): return v >= 0 ? UInt64(v) : nil
        case .uint(let v): return v
        default: return nil
        }
    }

    /// A float as `Double` (`.float32` widens exactly). Integers are not converted.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var binaryValue: [UInt8]? {
        if case .binary(let b) = self { return b }
        return nil
    }

    public var arrayValue: [MessagePackValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var mapValue: [(key: MessagePackValue, value: MessagePackValue)]? {
        if case .map(let m) = self { return m }
        return nil
    }

    /// The value of the first pair whose key is the **str** `key`; nil if absent or not a map.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs {
            if case .string(let k) = pair.key, k == key { return pair.value }
        }
        return nil
    }

    /// The value of the first pair whose key is the **bin** `key` (UTF-8 of the string).
    public subscript(binaryKey key: String) -> MessagePackValue? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs {
            if case .binary(let k) = pair.key, k.elementsEqual(key.utf8) { return pair.value }
        }
        return nil
    }
}

// MARK: - Literals (handy for tests and fixed messages)

extension MessagePackValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .nil }
}

extension MessagePackValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension MessagePackValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension MessagePackValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .float64(value) }
}

extension MessagePackValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension MessagePackValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: MessagePackValue...) { self = .array(elements) }
}

extension MessagePackValue: ExpressibleByDictionaryLiteral {
    /// Keeps the literal's order; duplicate keys are kept as written.
    public init(dictionaryLiteral elements: (MessagePackValue, MessagePackValue)...) {
        self = .map(elements.map { (key: $0.0, value: $0.1) })
    }
}
