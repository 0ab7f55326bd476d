import Foundation

/// Element types a safetensors file may declare (the names are the format's).
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case i64 = "I64", u64 = "U64", f64 = "F64"

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .i64, .u64, .f64: 8
        }
    }

    /// Whether `SafetensorsFile.doubles(_:)` reads this type (F64, F32, F16, BF16).
    public var isReadableAsDouble: Bool { [.f64, .f32, .f16, .bf16].contains(self) }
}

/// Where one tensor lives in a safetensors file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public var dtype: SafetensorsDType
    public var shape: [Int]
    /// Byte range inside the data section (which starts right after the header).
    public var dataOffsets: Range<Int>
    /// Product of `shape` (1 for a scalar, shape []).
    public var elementCount: Int
}

/// A load-time failure reading a safetensors file: one line naming the file and, when one is at
/// fault, the tensor.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var tensor: String?
    public var reason: String

    public init(file: String, tensor: String? = nil, reason: String) {
        self.file = file
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        if let tensor { return "\(file): tensor `\(tensor)`: \(reason)" }
        return "\(file): \(reason)"
    }
}

/// A parsed safetensors file (https://github.com/huggingface/safetensors, "Format"):
///
///     [8 bytes: N, u64 little-endian] [N bytes: JSON header, UTF-8, may end in spaces] [data]
///
/// The header maps tensor names to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
/// into the data section) plus an optional `"__metadata__"` map of strings to strings. Data is
/// little-endian, row-major.
///
/// Checked here, so a malformed or hostile file fails with one clear error instead of a crash or
/// a wrong read: the header length is capped and must fit the file; the header is a JSON object
/// of exactly that shape (no duplicate keys, no unknown fields, known dtypes); every tensor's
/// `shape` × item size equals its byte span without overflow; spans are inside the data section,
/// do not overlap and, as the reference implementation requires, tile it with no gaps.
///
/// Load time only: parsing allocates; nothing here runs on the control thread.
public struct SafetensorsFile: Sendable {
    /// Default cap on the JSON header (the reference implementation's is 100 MB).
    public static let defaultMaxHeaderBytes = 100_000_000

    /// Path (or name) used in error messages.
    public let name: String
    /// The whole file.
    public let bytes: [UInt8]
    /// `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// Tensors by name.
    public let tensors: [String: SafetensorsTensorInfo]
    /// Tensor names in header order.
    public let tensorNames: [String]
    /// Offset of the data section in `bytes`.
    public let dataStart: Int

    /// Default cap on the whole file when reading from disk (a residual is a few MB).
    public static let defaultMaxFileBytes = 1 << 30

    /// Reads and checks the file at `path` (refusing files over `maxFileBytes` before reading).
    public init(
        contentsOfFile path: String, maxHeaderBytes: Int = defaultMaxHeaderBytes, maxFileBytes: Int = defaultMaxFileBytes
    ) throws(SafetensorsError) {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maxFileBytes {
            throw SafetensorsError(file: path, reason: "\(size) bytes exceeds the \(maxFileBytes)-byte limit")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw SafetensorsError(file: path, reason: reason)
        }
        try self.init(bytes: [UInt8](data), name: path, maxHeaderBytes: maxHeaderBytes)
    }

    /// Parses and checks a file already in memory; `name` appears in errors.
    public init(bytes: [UInt8], name: String, maxHeaderBytes: Int = defaultMaxHeaderBytes) throws(SafetensorsError) {
        func fail(_ reason: String, tensor: String? = nil) -> SafetensorsError {
            SafetensorsError(file: name, tensor: tensor, reason: reason)
        }
        guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes: too short for the 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(maxHeaderBytes) else {
            throw fail("header length \(headerLength) exceeds the \(maxHeaderBytes)-byte limit")
        }
        guard headerLength >= 2 else { throw fail("header length \(headerLength) is too short for a JSON object") }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) runs past the end of the \(bytes.count)-byte file")
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = bytes[8..<dataStart]
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("header does not start with `{`") }

        let json: HeaderJSON
        do {
            json = try HeaderJSON.parse(headerBytes)
        } catch {
            throw fail("header is not valid JSON at byte \(error.offset): \(error.reason)")
        }
        guard case .object(let members) = json else { throw fail("header is not a JSON object") }

        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var tensors: [String: SafetensorsTensorInfo] = [:]
        var names: [String] = []
        for (key, value) in members {
            if key == "__metadata__" {
                guard case .object(let entries) = value else { throw fail("`__metadata__` is \(value.kind), expected an object of strings") }
                for (metaKey, metaValue) in entries {
                    guard case .string(let text) = metaValue else {
                        throw fail("`__metadata__` entry `\(metaKey)` is \(metaValue.kind), expected a string")
                    }
                    metadata[metaKey] = text
                }
                continue
            }
            tensors[key] = try Self.tensorInfo(key, value, dataLength: dataLength, fail: fail)
            names.append(key)
        }

        // The spans must tile the data section: sorted by start, each begins where the previous
        // ended, and the last ends at the end of the file.
        let ordered = names.sorted { (tensors[$0]!.dataOffsets.lowerBound, tensors[$0]!.dataOffsets.upperBound) < (tensors[$1]!.dataOffsets.lowerBound, tensors[$1]!.dataOffsets.upperBound) }
        var cursor = 0
        var previous: String?
        for tensorName in ordered {
            let span = tensors[tensorName]!.dataOffsets
            if span.lowerBound < cursor {
                throw fail("data_offsets [\(span.lowerBound), \(span.upperBound)] overlap tensor `\(previous ?? "")`", tensor: tensorName)
            }
            if span.lowerBound > cursor {
                throw fail("data_offsets [\(span.lowerBound), \(span.upperBound)] leave bytes \(cursor)..<\(span.lowerBound) of the data section unused", tensor: tensorName)
            }
            cursor = span.upperBound
            previous = tensorName
        }
        if cursor != dataLength {
            throw fail("tensors cover \(cursor) bytes but the data section holds \(dataLength)")
        }

        self.name = name
        self.bytes = bytes
        self.metadata = metadata
        self.tensors = tensors
        self.tensorNames = names
        self.dataStart = dataStart
    }

    private static func tensorInfo(
        _ name: String, _ value: HeaderJSON, dataLength: Int, fail: (String, String?) -> SafetensorsError
    ) throws(SafetensorsError) -> SafetensorsTensorInfo {
        guard case .object(let fields) = value else { throw fail("entry is \(value.kind), expected an object", name) }
        var dtype: SafetensorsDType?
        var shape: [Int]?
        var offsets: (UInt64, UInt64)?
        for (field, fieldValue) in fields {
            switch field {
            case "dtype":
                guard case .string(let text) = fieldValue else { throw fail("dtype is \(fieldValue.kind), expected a string", name) }
                guard let known = SafetensorsDType(rawValue: text) else { throw fail("unknown dtype \"\(text)\"", name) }
                dtype = known
            case "shape":
                guard case .array(let dims) = fieldValue else { throw fail("shape is \(fieldValue.kind), expected an array", name) }
                guard dims.count <= 16 else { throw fail("shape has \(dims.count) dimensions (at most 16)", name) }
                var parsed: [Int] = []
                for dim in dims {
                    guard let n = dim.unsignedInteger, n <= UInt64(Int.max) else {
                        throw fail("shape holds a value that is not a non-negative integer", name)
                    }
                    parsed.append(Int(n))
                }
                shape = parsed
            case "data_offsets":
                guard case .array(let pair) = fieldValue, pair.count == 2,
                    let begin = pair[0].unsignedInteger, let end = pair[1].unsignedInteger
                else { throw fail("data_offsets is not a pair of non-negative integers", name) }
                offsets = (begin, end)
            default:
                throw fail("unknown field `\(field)` (expected dtype, shape, data_offsets)", name)
            }
        }
        guard let dtype else { throw fail("missing dtype", name) }
        guard let shape else { throw fail("missing shape", name) }
        guard let (begin, end) = offsets else { throw fail("missing data_offsets", name) }
        guard begin <= end else { throw fail("data_offsets [\(begin), \(end)] run backwards", name) }
        guard end <= UInt64(dataLength) else {
            throw fail("data_offsets [\(begin), \(end)] run past the \(dataLength)-byte data section", name)
        }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw fail("shape \(shape) overflows", name) }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, byteCount == Int(end - begin) else {
            throw fail("shape \(shape) of \(dtype.rawValue) needs \(overflow ? "too many" : String(byteCount)) bytes but data_offsets [\(begin), \(end)] span \(end - begin)", name)
        }
        return SafetensorsTensorInfo(dtype: dtype, shape: shape, dataOffsets: Int(begin)..<Int(end), elementCount: count)
    }

    /// The tensor's elements as doubles, row-major (F64 exactly; F32, F16 and BF16 widened
    /// exactly).
    public func doubles(_ tensor: String) throws(SafetensorsError) -> [Double] {
        guard let info = tensors[tensor] else { throw SafetensorsError(file: name, tensor: tensor, reason: "not in the file") }
        guard info.dtype.isReadableAsDouble else {
            throw SafetensorsError(file: name, tensor: tensor, reason: "dtype \(info.dtype.rawValue) is not a float type (F64, F32, F16, BF16)")
        }
        let start = dataStart + info.dataOffsets.lowerBound
        var values = [Double](repeating: 0, count: info.elementCount)
        bytes.withUnsafeBufferPointer { raw in
            func word<T: FixedWidthInteger>(_ at: Int, as: T.Type) -> T {
                var v: T = 0
                for b in 0..<MemoryLayout<T>.size { v |= T(raw[at + b]) << (8 * b) }
                return v
            }
            for i in 0..<info.elementCount {
                let at = start + i * info.dtype.byteCount
                switch info.dtype {
                case .f64: values[i] = Double(bitPattern: word(at, as: UInt64.self))
                case .f32: values[i] = Double(Float(bitPattern: word(at, as: UInt32.self)))
                case .bf16: values[i] = Double(Float(bitPattern: UInt32(word(at, as: UInt16.self)) << 16))
                case .f16: values[i] = Double(Float16(bitPattern: word(at, as: UInt16.self)))
                default: break
                }
            }
        }
        return values
    }
}
