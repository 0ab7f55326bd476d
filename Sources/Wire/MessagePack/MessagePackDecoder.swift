/// Decodes one MessagePack value from untrusted bytes.
///
/// Contract:
/// - The input must hold exactly one value; anything after it is `.trailingBytes`.
/// - Every length and count is checked against `limits` and against the bytes that remain
///   *before* anything is allocated, so a lying header (a str32 claiming 4 GB in a 10-byte
///   frame) costs nothing. Collections grow as their elements actually arrive, so memory stays
///   proportional to the input.
/// - Nesting is walked with an explicit stack bounded by `limits.maxDepth`: no recursion, no
///   stack overflow whatever the input.
/// - Refused: reserved byte 0xc1, extension types, invalid UTF-8 in str, map keys that are not
///   str or bin (msgpack-python's `strict_map_key=True`, which openpi's `unpackb` uses).
/// - Every failure is a `MessagePackError` with the byte offset; nothing traps.
///
/// Integers that fit `Int64` decode as `.int` whatever their wire format; larger ones as
/// `.uint`. str32 / bin32 / array32 / map32 accept any length the limits allow.
///
/// Threading: an immutable value; any thread may use it. It allocates (the result tree), so it
/// belongs on the policy client's thread, not the control thread.
public struct MessagePackDecoder: Sendable {
    public var limits: MessagePackLimits

    public init(limits: MessagePackLimits = .default) {
        self.limits = limits
    }

    /// Decodes the single value that `bytes` holds.
    public func decode(_ bytes: [UInt8]) throws(MessagePackError) -> MessagePackValue {
        let result: Result<MessagePackValue, MessagePackError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(MessagePackError) -> MessagePackValue in try decode(buffer) }
        }
        return try result.get()
    }

    /// Decodes the single value that `buffer` holds. The result does not refer to `buffer`.
    public func decode(_ buffer: UnsafeRawBufferPointer) throws(MessagePackError) -> MessagePackValue {
        guard buffer.count <= limits.maxInputBytes else {
            throw MessagePackError(
                .inputTooLarge, at: 0, "input of \(buffer.count) bytes exceeds maxInputBytes \(limits.maxInputBytes)")
        }
        var run = Run(bytes: buffer.assumingMemoryBound(to: UInt8.self), limits: limits)
        return try run.decodeAll()
    }

    /// Decodes `bytes` with `limits`.
    public static func decode(_ bytes: [UInt8], limits: MessagePackLimits = .default) throws(MessagePackError)
        -> MessagePackValue
    {
        try MessagePackDecoder(limits: limits).decode(bytes)
    }
}

/// One decoding pass over one buffer.
private struct Run {
    /// An array or map whose elements are still being read.
    struct Frame {
        var isMap: Bool
        /// Elements (arrays) or pairs (maps) still to read.
        var remaining: Int
        var items: [MessagePackValue] = []
        var pairs: [(key: MessagePackValue, value: MessagePackValue)] = []
        var pendingKey: MessagePackValue? = nil
    }

    /// Collections reserve at most this many slots up front; beyond it they grow as elements
    /// arrive, so a lying count cannot reserve memory the input does not back.
    static let maxInitialReserve = 1024

    let bytes: UnsafeBufferPointer<UInt8>
    let limits: MessagePackLimits
    var offset = 0

    init(bytes: UnsafeBufferPointer<UInt8>, limits: MessagePackLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    var remainingBytes: Int { bytes.count - offset }

    mutating func decodeAll() throws(MessagePackError) -> MessagePackValue {
        var stack: [Frame] = []
        stack.reserveCapacity(min(max(limits.maxDepth, 0), 64))

        while true {
            let start = offset
            if let top = stack.last, top.isMap, top.pendingKey == nil {
                let byte = try peekByte()
                let isStr = (0xa0...0xbf).contains(byte) || (0xd9...0xdb).contains(byte)
                let isBin = (0xc4...0xc6).contains(byte)
                guard isStr || isBin else {
                    throw MessagePackError(
                        .invalidMapKey, at: start, "map key starts with 0x\(hex(byte)); keys must be str or bin")
                }
            }

            var value: MessagePackValue
            let byte = try readByte()
            switch byte {
            case 0x00...0x7f: value = .int(Int64(byte))
            case 0x80...0x8f:
                guard let v = try openContainer(isMap: true, count: Int(byte & 0x0f), at: start, &stack) else { continue }
                value = v
            case 0x90...0x9f:
                guard let v = try openContainer(isMap: false, count: Int(byte & 0x0f), at: start, &stack) else { continue }
                value = v
            case 0xa0...0xbf: value = try readString(length: Int(byte & 0x1f), at: start)
            case 0xc0: value = .nil
            case 0xc1: throw MessagePackError(.reservedByte, at: start, "0xc1 is never used by MessagePack")
            case 0xc2: value = .bool(false)
            case 0xc3: value = .bool(true)
            case 0xc4: value = try readBinary(length: Int(try readByte()), at: start)
            case 0xc5: value = try readBinary(length: Int(try readUInt16()), at: start)
            case 0xc6: value = try readBinary(length: try readLength32(), at: start)
            case 0xc7, 0xc8, 0xc9, 0xd4...0xd8:
                throw MessagePackError(.extensionType, at: start, "extension type 0x\(hex(byte)) is not accepted")
            case 0xca: value = .float32(Float(bitPattern: try readUInt32()))
            case 0xcb: value = .float64(Double(bitPattern: try readUInt64()))
            case 0xcc: value = .int(Int64(try readByte()))
            case 0xcd: value = .int(Int64(try readUInt16()))
            case 0xce: value = .int(Int64(try readUInt32()))
            case 0xcf:
                let v = try readUInt64()
                value = v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint(v)
            case 0xd0: value = .int(Int64(Int8(bitPattern: try readByte())))
            case 0xd1: value = .int(Int64(Int16(bitPattern: try readUInt16())))
            case 0xd2: value = .int(Int64(Int32(bitPattern: try readUInt32())))
            case 0xd3: value = .int(Int64(bitPattern: try readUInt64()))
            case 0xd9: value = try readString(length: Int(try readByte()), at: start)
            case 0xda: value = try readString(length: Int(try readUInt16()), at: start)
            case 0xdb: value = try readString(length: try readLength32(), at: start)
            case 0xdc:
                guard let v = try openContainer(isMap: false, count: Int(try readUInt16()), at: start, &stack) else { continue }
                value = v
            case 0xdd:
                guard let v = try openContainer(isMap: false, count: try readLength32(), at: start, &stack) else { continue }
                value = v
            case 0xde:
                guard let v = try openContainer(isMap: true, count: Int(try readUInt16()), at: start, &stack) else { continue }
                value = v
            case 0xdf:
                guard let v = try openContainer(isMap: true, count: try readLength32(), at: start, &stack) else { continue }
                value = v
            default:  // 0xe0...0xff, negative fixint
                value = .int(Int64(Int8(bitPattern: byte)))
            }

            // Hand the finished value to its parent; close every parent it completes.
            while true {
                guard !stack.isEmpty else {
                    guard offset == bytes.count else {
                        throw MessagePackError(
                            .trailingBytes, at: offset, "\(bytes.count - offset) bytes follow the complete value")
                    }
                    return value
                }
                let top = stack.count - 1
                if stack[top].isMap {
                    guard let key = stack[top].pendingKey else {
                        stack[top].pendingKey = value
                        break
                    }
                    stack[top].pairs.append((key: key, value: value))
                    stack[top].pendingKey = nil
                } else {
                    stack[top].items.append(value)
                }
                stack[top].remaining -= 1
                guard stack[top].remaining == 0 else { break }
                let done = stack.removeLast()
                value = done.isMap ? .map(done.pairs) : .array(done.items)
            }
        }
    }

    /// Checks a container header; returns the empty container, or pushes a frame and returns nil.
    private mutating func openContainer(isMap: Bool, count: Int, at start: Int, _ stack: inout [Frame])
        throws(MessagePackError) -> MessagePackValue?
    {
        let what = isMap ? "map" : "array"
        guard stack.count < limits.maxDepth else {
            throw MessagePackError(
                .depthLimitExceeded, at: start, "\(what) at depth \(stack.count + 1) exceeds maxDepth \(limits.maxDepth)")
        }
        guard count <= limits.maxCollectionCount else {
            throw MessagePackError(
                .collectionTooLarge, at: start,
                "\(what) of \(count) items exceeds maxCollectionCount \(limits.maxCollectionCount)")
        }
        // Every element takes at least one byte (a map pair two), so the count alone can prove
        // the input too short.
        let (minimumBytes, overflow) = count.multipliedReportingOverflow(by: isMap ? 2 : 1)
        guard !overflow, minimumBytes <= remainingBytes else {
            throw MessagePackError(
                .truncated, at: start, "\(what) claims \(count) items but only \(remainingBytes) bytes remain")
        }
        if count == 0 { return isMap ? .map([]) : .array([]) }
        var frame = Frame(isMap: isMap, remaining: count)
        if isMap {
            frame.pairs.reserveCapacity(min(count, Self.maxInitialReserve))
        } else {
            frame.items.reserveCapacity(min(count, Self.maxInitialReserve))
        }
        stack.append(frame)
        return nil
    }

    private mutating func readString(length: Int, at start: Int) throws(MessagePackError) -> MessagePackValue {
        guard length <= limits.maxStringBytes else {
            throw MessagePackError(
                .stringTooLarge, at: start, "str of \(length) bytes exceeds maxStringBytes \(limits.maxStringBytes)")
        }
        try need(length, at: start, "str")
        let payload = UnsafeBufferPointer(rebasing: bytes[offset..<offset + length])
        guard let string = String(validating: payload, as: UTF8.self) else {
            throw MessagePackError(.invalidUTF8, at: start, "str of \(length) bytes is not valid UTF-8")
        }
        offset += length
        return .string(string)
    }

    private mutating func readBinary(length: Int, at start: Int) throws(MessagePackError) -> MessagePackValue {
        guard length <= limits.maxBinaryBytes else {
            throw MessagePackError(
                .binaryTooLarge, at: start, "bin of \(length) bytes exceeds maxBinaryBytes \(limits.maxBinaryBytes)")
        }
        try need(length, at: start, "bin")
        let payload = Array(UnsafeBufferPointer(rebasing: bytes[offset..<offset + length]))  // the one copy
        offset += length
        return .binary(payload)
    }

    private func need(_ length: Int, at start: Int, _ what: String) throws(MessagePackError) {
        guard length <= remainingBytes else {
            throw MessagePackError(
                .truncated, at: start, "\(what) claims \(length) bytes but only \(remainingBytes) remain")
        }
    }

    private func peekByte() throws(MessagePackError) -> UInt8 {
        guard offset < bytes.count else {
            throw MessagePackError(.truncated, at: offset, "input ends where a value should start")
        }
        return bytes[offset]
    }

    private mutating func readByte() throws(MessagePackError) -> UInt8 {
        guard offset < bytes.count else {
            throw MessagePackError(.truncated, at: offset, "input ends where a byte is needed")
        }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func readBigEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws(MessagePackError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remainingBytes else {
            throw MessagePackError(
                .truncated, at: offset, "input ends inside a \(size)-byte field (\(remainingBytes) bytes remain)")
        }
        var v: T = 0
        for i in 0..<size { v = v << 8 | T(bytes[offset + i]) }
        offset += size
        return v
    }

    /// A 32-bit length or count as `Int`; on a 32-bit host a value above `Int.max` becomes
    /// `Int.max`, which every limit then refuses.
    private mutating func readLength32() throws(MessagePackError) -> Int {
        Int(exactly: try readUInt32()) ?? Int.max
    }

    private mutating func readUInt16() throws(MessagePackError) -> UInt16 { try readBigEndian(UInt16.self) }
    private mutating func readUInt32() throws(MessagePackError) -> UInt32 { try readBigEndian(UInt32.self) }
    private mutating func readUInt64() throws(MessagePackError) -> UInt64 { try readBigEndian(UInt64.self) }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
}
