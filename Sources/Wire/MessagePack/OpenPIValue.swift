/// A value inside an openpi observation or reply, with numpy arrays and scalars recognised.
///
/// Mapping from msgpack (what `init(messagePack:)` does, mirroring openpi's `unpackb`):
/// - a map with the **bin** key `__ndarray__` → `.array`; with the bin key `__npgeneric__`
///   → `.scalar`;
/// - any other map → `.dict`, whose keys must be str. **A map whose marker is the str key
///   `"__ndarray__"` stays a plain `.dict`**: the Python server tests for the bytes key, so
///   that is what it would see too;
/// - nil, bool, str, bin, array → `.nil`, `.bool`, `.string`, `.bytes`, `.list`;
/// - integers → `.int` (or `.uint` above `Int64.max`); float32 and float64 → `.double`.
///
/// Threading: an immutable value; share freely.
public enum OpenPIValue: Sendable, Equatable {
    case `nil`
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([OpenPIValue])
    case dict(OpenPIDict)
    case array(OpenPIArray)
    case scalar(OpenPIScalar)

    /// Deepest nesting `init(messagePack:)` converts; the decoder's own limit is lower by
    /// default.
    public static let maxDepth = 256
}

// MARK: - Accessors

extension OpenPIValue {
    /// The entry `key` of a `.dict`; nil otherwise.
    public subscript(key: String) -> OpenPIValue? {
        if case .dict(let d) = self { return d[key] }
        return nil
    }

    public var arrayValue: OpenPIArray? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var dictValue: OpenPIDict? {
        if case .dict(let d) = self { return d }
        return nil
    }

    public var listValue: [OpenPIValue]? {
        if case .list(let l) = self { return l }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bytesValue: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// A number as `Double`: `.double`, `.int`, `.uint` or a numpy scalar.
    public var doubleValue: Double? {
        switch self {
        case .double(let d): d
        case .int(let v): Double(v)
        case .uint(let v): Double(v)
        case .scalar(let s): s.doubleValue
        default: nil
        }
    }

    /// An integer as `Int64`: `.int`, a `.uint` that fits, or an integer numpy scalar.
    public var int64Value: Int64? {
        switch self {
        case .int(let v): v
        case .uint(let v): v <= UInt64(Int64.max) ? Int64(v) : nil
        case .scalar(let s): s.int64Value
        default: nil
        }
    }
}

// MARK: - Conversion to and from MessagePackValue

extension OpenPIValue {
    /// The msgpack value openpi's `packb` would produce: arrays and scalars become their bin-keyed
    /// marker maps, dicts become maps with str keys in `OpenPIDict` order.
    public var messagePackValue: MessagePackValue {
        switch self {
        case .nil: .nil
        case .bool(let b): .bool(b)
        case .int(let v): .int(v)
        case .uint(let v): .uint(v)
        case .double(let d): .float64(d)
        case .string(let s): .string(s)
        case .bytes(let b): .binary(b)
        case .list(let items): .array(items.map(\.messagePackValue))
        case .dict(let d): d.messagePackValue
        case .array(let a): a.messagePackValue
        case .scalar(let s): s.messagePackValue
        }
    }

    /// Interprets a decoded msgpack value the way openpi's `unpackb` does (see the type's
    /// documentation). Throws for malformed arrays/scalars, non-str keys in plain maps,
    /// duplicate keys, and nesting deeper than `maxDepth`.
    public init(messagePack value: MessagePackValue) throws(OpenPIError) {
        self = try Self.convert(value, depth: 0)
    }

    private static func convert(_ value: MessagePackValue, depth: Int) throws(OpenPIError) -> OpenPIValue {
        switch value {
        case .nil: return .nil
        case .bool(let b): return .bool(b)
        case .int(let v): return .int(v)
        case .uint(let v): return .uint(v)
        case .float32(let f): return .double(Double(f))
        case .float64(let d): return .double(d)
        case .string(let s): return .string(s)
        case .binary(let b): return .bytes(b)
        case .array(let items):
            guard depth < maxDepth else { throw .nestingTooDeep(maxDepth) }
            var list: [OpenPIValue] = []
            list.reserveCapacity(items.count)
            for item in items { list.append(try convert(item, depth: depth + 1)) }
            return .list(list)
        case .map(let pairs):
            guard depth < maxDepth else { throw .nestingTooDeep(maxDepth) }
            if OpenPIArray.isEncodedArray(value) { return .array(try OpenPIArray(messagePack: value)) }
            if OpenPIScalar.isEncodedScalar(value) { return .scalar(try OpenPIScalar(messagePack: value)) }
            var dict = OpenPIDict()
            dict.reserveCapacity(pairs.count)
            var seen = Set<String>(minimumCapacity: pairs.count)  // linear, whatever the map size
            for pair in pairs {
                guard case .string(let key) = pair.key else {
                    throw .nonStringKey(pair.key.binaryValue.map { "bin of \($0.count) bytes" } ?? "not a str")
                }
                guard seen.insert(key).inserted else { throw .duplicateKey(key) }
                dict.append(key: key, value: try convert(pair.value, depth: depth + 1))
            }
            return .dict(dict)
        }
    }
}

// MARK: - Literals

extension OpenPIValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension OpenPIValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension OpenPIValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension OpenPIValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension OpenPIValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, OpenPIValue)...) {
        self = .dict(OpenPIDict(uniqueKeysWithValues: elements.map { (key: $0.0, value: $0.1) }))
    }
}
