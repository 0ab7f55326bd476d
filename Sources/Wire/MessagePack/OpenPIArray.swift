/// A numpy array as openpi's `msgpack_numpy` ships it: dtype, shape and the raw C-order,
/// little-endian element bytes.
///
/// On the wire it is a map with **bin** keys, in this order (the reference's worked example):
/// `__ndarray__` → true, `data` → bin, `dtype` → str (`dtype.str`), `shape` → array of ints.
/// A 0-d array has shape `[]` and one element.
///
/// Invariant (checked by every initialiser): every dimension is ≥ 0 and
/// `data.count == product(shape) × dtype.itemSize`, with overflow-checked arithmetic.
///
/// Threading: an immutable value; share freely.
public struct OpenPIArray: Sendable, Equatable {
    public let dtype: OpenPIDType
    public let shape: [Int]
    /// Element bytes, C order, little-endian.
    public let data: [UInt8]

    /// Number of elements, product(shape).
    public var elementCount: Int { data.count / dtype.itemSize }

    /// Wraps `data` (no copy) after checking it against `dtype` and `shape`.
    public init(dtype: OpenPIDType, shape: [Int], data: [UInt8]) throws(OpenPIError) {
        let count = try Self.elementCount(of: shape)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow else { throw .shapeOverflow(shape: shape.map { Int64($0) }) }
        guard bytes == data.count else { throw .dataSizeMismatch(expectedBytes: bytes, actualBytes: data.count) }
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// product(shape), refusing negative dimensions and overflow.
    public static func elementCount(of shape: [Int]) throws(OpenPIError) -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { throw .negativeDimension(shape: shape.map { Int64($0) }) }
            let (next, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw .shapeOverflow(shape: shape.map { Int64($0) }) }
            count = next
        }
        return count
    }

    // MARK: Building from Swift arrays (one bulk copy each)

    public init(_ values: [Float], shape: [Int]) throws(OpenPIError) {
        try self.init(dtype: .float32, shape: shape, elements: values)
    }

    public init(_ values: [Double], shape: [Int]) throws(OpenPIError) {
        try self.init(dtype: .float64, shape: shape, elements: values)
    }

    /// `uint8`, e.g. an HWC image: `OpenPIArray(pixels, shape: [224, 224, 3])`.
    public init(_ values: [UInt8], shape: [Int]) throws(OpenPIError) {
        try self.init(dtype: .uint8, shape: shape, data: try Self.checked(values, shape: shape))
    }

    public init(_ values: [Int32], shape: [Int]) throws(OpenPIError) {
        try self.init(dtype: .int32, shape: shape, elements: values)
    }

    public init(_ values: [Int64], shape: [Int]) throws(OpenPIError) {
        try self.init(dtype: .int64, shape: shape, elements: values)
    }

    private init<T: BitwiseCopyable>(dtype: OpenPIDType, shape: [Int], elements values: [T]) throws(OpenPIError) {
        _ = try Self.checked(values, shape: shape)
        var bytes = values.withUnsafeBytes { Array($0) }
        Self.convertHostToLittleEndian(&bytes, itemSize: MemoryLayout<T>.size)
        try self.init(dtype: dtype, shape: shape, data: bytes)
    }

    private static func checked<T>(_ values: [T], shape: [Int]) throws(OpenPIError) -> [T] {
        let expected = try elementCount(of: shape)
        guard expected == values.count else { throw .elementCountMismatch(expected: expected, actual: values.count) }
        return values
    }

    // MARK: Reading back

    /// Elements as `Float`: `<f4` copied, `<f8` rounded to nearest, `<f2` widened exactly.
    public func floatValues() throws(OpenPIError) -> [Float] {
        switch dtype {
        case .float32: return elements(Float.self)
        case .float64: return elements(Double.self).map { Float($0) }
        case .float16: return elements(UInt16.self).map(Self.float(fromHalfBits:))
        default: throw .dtypeMismatch(requested: "[Float]", actual: dtype)
        }
    }

    /// Elements as `Double`: `<f8` copied, `<f4` and `<f2` widened exactly.
    public func doubleValues() throws(OpenPIError) -> [Double] {
        switch dtype {
        case .float64: return elements(Double.self)
        case .float32: return elements(Float.self).map { Double($0) }
        case .float16: return elements(UInt16.self).map { Double(Self.float(fromHalfBits: $0)) }
        default: throw .dtypeMismatch(requested: "[Double]", actual: dtype)
        }
    }

    /// Elements of a `|u1` array.
    public func uint8Values() throws(OpenPIError) -> [UInt8] {
        guard dtype == .uint8 else { throw .dtypeMismatch(requested: "[UInt8]", actual: dtype) }
        return data
    }

    /// Elements of an `<i4` array.
    public func int32Values() throws(OpenPIError) -> [Int32] {
        guard dtype == .int32 else { throw .dtypeMismatch(requested: "[Int32]", actual: dtype) }
        return elements(Int32.self)
    }

    /// Elements of an `<i8` array.
    public func int64Values() throws(OpenPIError) -> [Int64] {
        guard dtype == .int64 else { throw .dtypeMismatch(requested: "[Int64]", actual: dtype) }
        return elements(Int64.self)
    }

    /// The data reinterpreted as `T` (whose size must be the dtype's item size).
    private func elements<T: BitwiseCopyable>(_: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        precondition(size == dtype.itemSize, "element size does not match dtype")
        let count = data.count / size
        var source = data
        Self.convertHostToLittleEndian(&source, itemSize: size)  // its own inverse
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            source.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
        }
    }

    /// Reverses each item's bytes on a big-endian host; nothing on a little-endian one.
    private static func convertHostToLittleEndian(_ bytes: inout [UInt8], itemSize: Int) {
        #if _endian(big)
        guard itemSize > 1 else { return }
        for start in stride(from: 0, to: bytes.count, by: itemSize) {
            bytes[start..<start + itemSize].reverse()
        }
        #endif
    }

    /// IEEE 754 binary16 → binary32 (exact).
    static func float(fromHalfBits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1f
        let mantissa = UInt32(h & 0x3ff)
        switch exponent {
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24  // zero or subnormal
            return sign == 0 ? magnitude : -magnitude
        case 0x1f:
            return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13)  // inf / NaN
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }
}

// MARK: - The msgpack_numpy map

extension OpenPIArray {
    static let ndarrayKey = MessagePackValue.binary(Array("__ndarray__".utf8))
    static let dataKey = MessagePackValue.binary(Array("data".utf8))
    static let dtypeKey = MessagePackValue.binary(Array("dtype".utf8))
    static let shapeKey = MessagePackValue.binary(Array("shape".utf8))

    /// The `{b"__ndarray__": True, b"data": …, b"dtype": …, b"shape": …}` map, keys in that
    /// order, `data` shared with this array (no copy until encoded).
    public var messagePackValue: MessagePackValue {
        .map([
            (key: Self.ndarrayKey, value: .bool(true)),
            (key: Self.dataKey, value: .binary(data)),
            (key: Self.dtypeKey, value: .string(dtype.rawValue)),
            (key: Self.shapeKey, value: .array(shape.map { .int(Int64($0)) })),
        ])
    }

    /// True if `value` is a map with the **bin** key `__ndarray__` (what openpi's
    /// `unpack_array` tests). A str key `"__ndarray__"` does not count.
    public static func isEncodedArray(_ value: MessagePackValue) -> Bool {
        value[binaryKey: "__ndarray__"] != nil
    }

    /// Rebuilds an array from its msgpack_numpy map. `data` must be bin, `dtype` str and
    /// `shape` an array of non-negative ints, all under bin keys; other keys are ignored, as
    /// in Python.
    public init(messagePack value: MessagePackValue) throws(OpenPIError) {
        guard Self.isEncodedArray(value) else { throw .malformedArray("no bin key '__ndarray__'") }
        guard let dataValue = value[binaryKey: "data"] else { throw .malformedArray("no bin key 'data'") }
        guard case .binary(let data) = dataValue else { throw .malformedArray("'data' is not bin") }
        guard let dtypeValue = value[binaryKey: "dtype"] else { throw .malformedArray("no bin key 'dtype'") }
        guard case .string(let dtypeString) = dtypeValue else { throw .malformedArray("'dtype' is not str") }
        guard let shapeValue = value[binaryKey: "shape"] else { throw .malformedArray("no bin key 'shape'") }
        guard case .array(let dims) = shapeValue else { throw .malformedArray("'shape' is not an array") }
        var wireShape: [Int64] = []
        wireShape.reserveCapacity(dims.count)
        for dim in dims {
            switch dim {
            case .int(let v): wireShape.append(v)
            case .uint: throw .shapeOverflow(shape: wireShape + [Int64.max])
            default: throw .malformedArray("'shape' holds a non-integer")
            }
        }
        if wireShape.contains(where: { $0 < 0 }) { throw .negativeDimension(shape: wireShape) }
        var shape: [Int] = []
        shape.reserveCapacity(wireShape.count)
        for dim in wireShape {
            guard let d = Int(exactly: dim) else { throw .shapeOverflow(shape: wireShape) }
            shape.append(d)
        }
        try self.init(dtype: try OpenPIDType(numpy: dtypeString), shape: shape, data: data)
    }
}
