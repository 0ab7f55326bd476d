/// The numpy dtypes an openpi array may carry, named by their numpy `dtype.str`.
///
/// Multi-byte types are little-endian (`<`); one-byte types use numpy's "not applicable"
/// order `|`. That is what x86-64 and ARM numpy emit, and what a robot should send.
public enum OpenPIDType: String, Sendable, CaseIterable {
    case bool = "|b1"
    case int8 = "|i1"
    case uint8 = "|u1"
    case int16 = "<i2"
    case uint16 = "<u2"
    case int32 = "<i4"
    case uint32 = "<u4"
    case int64 = "<i8"
    case uint64 = "<u8"
    case float16 = "<f2"
    case float32 = "<f4"
    case float64 = "<f8"

    /// Bytes per element (numpy `itemsize`).
    public var itemSize: Int {
        switch self {
        case .bool, .int8, .uint8: 1
        case .int16, .uint16, .float16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    /// The numpy `dtype.str` this codec writes, e.g. `<f4`, `|u1`.
    public var numpyString: String { rawValue }

    /// Parses a numpy `dtype.str`.
    ///
    /// Accepts `<` for every type and `|` for one-byte types (numpy writes `|u1`, but `<u1`
    /// means the same). Refuses big-endian `>` (openpi would ship the bytes as they are and
    /// this codec only reads little-endian data), native `=` (ambiguous on the wire), the
    /// kinds openpi refuses (`V` void, `O` object, `c` complex) and anything else not listed
    /// in this enum (strings `U`/`S`, datetimes `M`/`m`, odd item sizes).
    public init(numpy string: String) throws(OpenPIError) {
        let chars = Array(string)
        guard chars.count >= 3 else {
            throw .unsupportedDType(string, reason: "expected byte order, kind and item size, e.g. '<f4'")
        }
        let order = chars[0]
        let kind = chars[1]
        switch kind {
        case "V": throw .unsupportedDType(string, reason: "kind 'V' (void) is refused, as openpi's msgpack_numpy does")
        case "O": throw .unsupportedDType(string, reason: "kind 'O' (object) is refused, as openpi's msgpack_numpy does")
        case "c": throw .unsupportedDType(string, reason: "kind 'c' (complex) is refused, as openpi's msgpack_numpy does")
        default: break
        }
        guard let size = Int(String(chars[2...])) else {
            throw .unsupportedDType(string, reason: "item size '\(String(chars[2...]))' is not a number")
        }
        let found: OpenPIDType? =
            switch (kind, size) {
            case ("b", 1): .bool
            case ("i", 1): .int8
            case ("u", 1): .uint8
            case ("i", 2): .int16
            case ("u", 2): .uint16
            case ("i", 4): .int32
            case ("u", 4): .uint32
            case ("i", 8): .int64
            case ("u", 8): .uint64
            case ("f", 2): .float16
            case ("f", 4): .float32
            case ("f", 8): .float64
            default: nil
            }
        guard let dtype = found else {
            throw .unsupportedDType(string, reason: "kind '\(kind)' with item size \(size) is not supported")
        }
        switch order {
        case "<": break
        case "|":
            guard size == 1 else {
                throw .unsupportedDType(string, reason: "byte order '|' is only valid for one-byte types")
            }
        case ">": throw .unsupportedDType(string, reason: "big-endian data is refused; send little-endian ('<')")
        case "=": throw .unsupportedDType(string, reason: "native byte order '=' is ambiguous on the wire; send '<'")
        default: throw .unsupportedDType(string, reason: "unknown byte order '\(order)'")
        }
        self = dtype
    }
}
