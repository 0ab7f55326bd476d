/// Why a decoded MessagePack value is not a valid openpi message, array or scalar, or why an
/// `OpenPIArray` cannot be built or read as asked.
public enum OpenPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A numpy `dtype.str` this codec does not accept (big-endian, void/object/complex, …).
    case unsupportedDType(String, reason: String)
    /// An `__ndarray__` map with a missing or mistyped `data`, `dtype` or `shape`.
    case malformedArray(String)
    /// A shape with a negative dimension.
    case negativeDimension(shape: [Int64])
    /// A shape whose element or byte count overflows `Int`.
    case shapeOverflow(shape: [Int64])
    /// `data` does not hold product(shape) × itemsize bytes.
    case dataSizeMismatch(expectedBytes: Int, actualBytes: Int)
    /// Convenience initialisers: the number of values does not match the shape.
    case elementCountMismatch(expected: Int, actual: Int)
    /// Reading elements as a type the array's dtype does not provide.
    case dtypeMismatch(requested: String, actual: OpenPIDType)
    /// An `__npgeneric__` map with a missing or mistyped `data` or `dtype`.
    case malformedScalar(String)
    /// The top level of a message is not a map.
    case notADict(String)
    /// A plain (non-array) map with a key that is not str; openpi dicts are keyed by str.
    case nonStringKey(String)
    /// The same str key twice in one map.
    case duplicateKey(String)
    /// Nesting deeper than `OpenPIValue.maxDepth`.
    case nestingTooDeep(Int)

    public var description: String {
        switch self {
        case .unsupportedDType(let s, let reason): "openpi: unsupported dtype '\(s)': \(reason)"
        case .malformedArray(let why): "openpi: malformed __ndarray__ map: \(why)"
        case .negativeDimension(let shape): "openpi: negative dimension in shape \(shape)"
        case .shapeOverflow(let shape): "openpi: shape \(shape) overflows the element or byte count"
        case .dataSizeMismatch(let expected, let actual):
            "openpi: ndarray data has \(actual) bytes, shape and dtype need \(expected)"
        case .elementCountMismatch(let expected, let actual):
            "openpi: \(actual) values given for a shape of \(expected) elements"
        case .dtypeMismatch(let requested, let actual):
            "openpi: cannot read a \(actual.rawValue) array as \(requested)"
        case .malformedScalar(let why): "openpi: malformed __npgeneric__ map: \(why)"
        case .notADict(let what): "openpi: message is \(what), not a map"
        case .nonStringKey(let what): "openpi: map key is \(what); plain openpi dicts are keyed by str"
        case .duplicateKey(let key): "openpi: duplicate key '\(key)'"
        case .nestingTooDeep(let limit): "openpi: value nested deeper than \(limit)"
        }
    }
}
