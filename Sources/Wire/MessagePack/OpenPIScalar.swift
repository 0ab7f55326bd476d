/// A numpy scalar (`np.generic`) as openpi's `msgpack_numpy` ships it:
/// `{b"__npgeneric__": True, b"data": x.item(), b"dtype": dtype.str}`.
///
/// `data` is the Python scalar, so a float32 scalar travels as a msgpack float64 and the
/// receiver casts it back to `dtype`. `value` holds that wire value: `.bool`, `.int`/`.uint`
/// or `.float64` (a `.float32` from another encoder is accepted too).
///
/// Threading: an immutable value; share freely.
public struct OpenPIScalar: Sendable, Equatable {
    public let dtype: OpenPIDType
    public let value: MessagePackValue

    /// Checks that `value` is a bool, integer or float.
    public init(dtype: OpenPIDType, value: MessagePackValue) throws(OpenPIError) {
        switch value {
        case .bool, .int, .uint, .float32, .float64: break
        default: throw .malformedScalar("'data' is not a bool, integer or float")
        }
        self.dtype = dtype
        self.value = value
    }

    /// `np.float32(x)`; travels as float64, like `x.item()`.
    public init(float32 x: Float) {
        dtype = .float32
        value = .float64(Double(x))
    }

    /// `np.float64(x)`.
    public init(float64 x: Double) {
        dtype = .float64
        value = .float64(x)
    }

    /// `np.int32(x)`.
    public init(int32 x: Int32) {
        dtype = .int32
        value = .int(Int64(x))
    }

    /// `np.int64(x)`.
    public init(int64 x: Int64) {
        dtype = .int64
        value = .int(x)
    }

    /// `np.bool_(x)`.
    public init(bool x: Bool) {
        dtype = .bool
        value = .bool(x)
    }

    /// The value as `Double` (floats, integers and bools; bools as 0/1). A float32 scalar
    /// is rounded to `Float` first, as numpy's cast back to `dtype` would.
    public var doubleValue: Double {
        let raw: Double =
            switch value {
            case .bool(let b): b ? 1 : 0
            case .int(let v): Double(v)
            case .uint(let v): Double(v)
            case .float32(let f): Double(f)
            case .float64(let d): d
            default: .nan  // excluded by the initialisers
            }
        return dtype == .float32 ? Double(Float(raw)) : raw
    }

    /// The value as `Int64` if it is an integer or bool on the wire (floats give nil).
    public var int64Value: Int64? {
        if case .bool(let b) = value { return b ? 1 : 0 }
        return value.int64Value
    }

    static let npgenericKey = MessagePackValue.binary(Array("__npgeneric__".utf8))

    /// The `{b"__npgeneric__": True, b"data": …, b"dtype": …}` map, keys in that order.
    public var messagePackValue: MessagePackValue {
        .map([
            (key: Self.npgenericKey, value: .bool(true)),
            (key: OpenPIArray.dataKey, value: value),
            (key: OpenPIArray.dtypeKey, value: .string(dtype.rawValue)),
        ])
    }

    /// True if `value` is a map with the **bin** key `__npgeneric__`.
    public static func isEncodedScalar(_ value: MessagePackValue) -> Bool {
        value[binaryKey: "__npgeneric__"] != nil
    }

    /// Rebuilds a scalar from its msgpack_numpy map.
    public init(messagePack value: MessagePackValue) throws(OpenPIError) {
        guard Self.isEncodedScalar(value) else { throw .malformedScalar("no bin key '__npgeneric__'") }
        guard let data = value[binaryKey: "data"] else { throw .malformedScalar("no bin key 'data'") }
        guard let dtypeValue = value[binaryKey: "dtype"] else { throw .malformedScalar("no bin key 'dtype'") }
        guard case .string(let dtypeString) = dtypeValue else { throw .malformedScalar("'dtype' is not str") }
        try self.init(dtype: try OpenPIDType(numpy: dtypeString), value: data)
    }
}
