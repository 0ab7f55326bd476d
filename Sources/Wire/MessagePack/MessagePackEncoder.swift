/// Writes `MessagePackValue`s with the smallest standard encoding of each item, the same bytes
/// msgpack-python produces with `use_bin_type=True` for the same logical value.
///
/// Each `encode` first measures the value (checking lengths and nesting), reserves exactly that
/// much, then writes it; str and bin payloads go in with one bulk copy each.
///
/// Threading: a value type with no shared state; use one per thread. It allocates, so it
/// belongs on the policy client's thread, not the control thread.
public struct MessagePackEncoder: Sendable {
    /// Encoded bytes so far.
    public private(set) var bytes: [UInt8]
    /// Deepest nesting of arrays and maps `encode` accepts; deeper values throw
    /// `.notEncodable` instead of exhausting the stack.
    public let maxDepth: Int

    public init(reservingCapacity capacity: Int = 0, maxDepth: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
        self.maxDepth = maxDepth
    }

    /// Appends `value`. On error nothing is appended.
    public mutating func encode(_ value: MessagePackValue) throws(MessagePackError) {
        let size = try Self.measure(value, depth: 0, maxDepth: maxDepth)
        bytes.reserveCapacity(bytes.count + size)
        write(value)
    }

    /// Empties `bytes`, keeping its capacity for the next message.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// The encoding of `value` in a buffer of exactly its size.
    public static func encode(_ value: MessagePackValue, maxDepth: Int = 256) throws(MessagePackError) -> [UInt8] {
        var encoder = MessagePackEncoder(maxDepth: maxDepth)
        try encoder.encode(value)
        return encoder.bytes
    }

    /// Number of bytes `value` encodes to.
    public static func encodedByteCount(of value: MessagePackValue, maxDepth: Int = 256) throws(MessagePackError) -> Int {
        try measure(value, depth: 0, maxDepth: maxDepth)
    }

    // MARK: Measuring (also the validation pass)

    private static let maxLength = Int(exactly: UInt32.max) ?? Int.max

    private static func measure(_ value: MessagePackValue, depth: Int, maxDepth: Int) throws(MessagePackError) -> Int {
        switch value {
        case .nil, .bool: return 1
        case .int(let v): return v >= 0 ? uintSize(UInt64(v)) : intSize(v)
        case .uint(let v): return uintSize(v)
        case .float32: return 5
        case .float64: return 9
        case .string(let s):
            let n = s.utf8.count
            guard n <= maxLength else { throw MessagePackError(.notEncodable, at: 0, "str of \(n) bytes exceeds 2^32-1") }
            return (n < 32 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5) + n
        case .binary(let b):
            let n = b.count
            guard n <= maxLength else { throw MessagePackError(.notEncodable, at: 0, "bin of \(n) bytes exceeds 2^32-1") }
            return (n <= 0xff ? 2 : n <= 0xffff ? 3 : 5) + n
        case .array(let items):
            var size = try containerHeaderSize(items.count, depth: depth, maxDepth: maxDepth, what: "array")
            for item in items { size += try measure(item, depth: depth + 1, maxDepth: maxDepth) }
            return size
        case .map(let pairs):
            var size = try containerHeaderSize(pairs.count, depth: depth, maxDepth: maxDepth, what: "map")
            for pair in pairs {
                size += try measure(pair.key, depth: depth + 1, maxDepth: maxDepth)
                size += try measure(pair.value, depth: depth + 1, maxDepth: maxDepth)
            }
            return size
        }
    }

    private static func containerHeaderSize(_ count: Int, depth: Int, maxDepth: Int, what: String) throws(MessagePackError) -> Int {
        guard depth < maxDepth else {
            throw MessagePackError(.notEncodable, at: 0, "\(what) nested deeper than maxDepth \(maxDepth)")
        }
        guard count <= maxLength else { throw MessagePackError(.notEncodable, at: 0, "\(what) of \(count) items exceeds 2^32-1") }
        return count < 16 ? 1 : count <= 0xffff ? 3 : 5
    }

    private static func uintSize(_ v: UInt64) -> Int {
        v <= 0x7f ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffff_ffff ? 5 : 9
    }

    private static func intSize(_ v: Int64) -> Int {
        // Only called for v < 0.
        v >= -32 ? 1 : v >= Int64(Int8.min) ? 2 : v >= Int64(Int16.min) ? 3 : v >= Int64(Int32.min) ? 5 : 9
    }

    // MARK: Writing (value already validated by `measure`)

    private mutating func write(_ value: MessagePackValue) {
        switch value {
        case .nil: bytes.append(0xc0)
        case .bool(let b): bytes.append(b ? 0xc3 : 0xc2)
        case .int(let v):
            if v >= 0 { writeUInt(UInt64(v)) } else { writeNegativeInt(v) }
        case .uint(let v): writeUInt(v)
        case .float32(let f):
            bytes.append(0xca)
            appendBigEndian(f.bitPattern)
        case .float64(let d):
            bytes.append(0xcb)
            appendBigEndian(d.bitPattern)
        case .string(let s):
            let n = s.utf8.count
            if n < 32 {
                bytes.append(0xa0 | UInt8(n))
            } else if n <= 0xff {
                bytes.append(0xd9); bytes.append(UInt8(n))
            } else if n <= 0xffff {
                bytes.append(0xda); appendBigEndian(UInt16(n))
            } else {
                bytes.append(0xdb); appendBigEndian(UInt32(n))
            }
            bytes.append(contentsOf: s.utf8)
        case .binary(let b):
            let n = b.count
            if n <= 0xff {
                bytes.append(0xc4); bytes.append(UInt8(n))
            } else if n <= 0xffff {
                bytes.append(0xc5); appendBigEndian(UInt16(n))
            } else {
                bytes.append(0xc6); appendBigEndian(UInt32(n))
            }
            bytes.append(contentsOf: b)
        case .array(let items):
            writeContainerHeader(items.count, fix: 0x90, sixteen: 0xdc, thirtyTwo: 0xdd)
            for item in items { write(item) }
        case .map(let pairs):
            writeContainerHeader(pairs.count, fix: 0x80, sixteen: 0xde, thirtyTwo: 0xdf)
            for pair in pairs {
                write(pair.key)
                write(pair.value)
            }
        }
    }

    private mutating func writeContainerHeader(_ n: Int, fix: UInt8, sixteen: UInt8, thirtyTwo: UInt8) {
        if n < 16 {
            bytes.append(fix | UInt8(n))
        } else if n <= 0xffff {
            bytes.append(sixteen); appendBigEndian(UInt16(n))
        } else {
            bytes.append(thirtyTwo); appendBigEndian(UInt32(n))
        }
    }

    private mutating func writeUInt(_ v: UInt64) {
        if v <= 0x7f {
            bytes.append(UInt8(v))
        } else if v <= 0xff {
            bytes.append(0xcc); bytes.append(UInt8(v))
        } else if v <= 0xffff {
            bytes.append(0xcd); appendBigEndian(UInt16(v))
        } else if v <= 0xffff_ffff {
            bytes.append(0xce); appendBigEndian(UInt32(v))
        } else {
            bytes.append(0xcf); appendBigEndian(v)
        }
    }

    private mutating func writeNegativeInt(_ v: Int64) {
        if v >= -32 {
            bytes.append(UInt8(truncatingIfNeeded: v))  // negative fixint 0xe0...0xff
        } else if v >= Int64(Int8.min) {
            bytes.append(0xd0); bytes.append(UInt8(truncatingIfNeeded: v))
        } else if v >= Int64(Int16.min) {
            bytes.append(0xd1); appendBigEndian(UInt16(truncatingIfNeeded: v))
        } else if v >= Int64(Int32.min) {
            bytes.append(0xd2); appendBigEndian(UInt32(truncatingIfNeeded: v))
        } else {
            bytes.append(0xd3); appendBigEndian(UInt64(bitPattern: v))
        }
    }

    private mutating func appendBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ v: T) {
        var shift = T.bitWidth - 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: v >> shift))
            shift -= 8
        }
    }
}
