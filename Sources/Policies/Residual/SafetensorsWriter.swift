import Foundation

/// Builds safetensors files (the format `SafetensorsFile` reads): for tests now, and for the
/// learner when it exports residual weights.
///
/// Layout, as the reference writer does it: tensors ordered by item size (largest first), then
/// name, so every tensor starts aligned to its item size; the header is padded with spaces to a
/// multiple of 8 bytes; `__metadata__` is written only when non-empty.
///
/// Load/export time only (allocates).
public struct SafetensorsWriter: Sendable {
    private struct Entry: Sendable {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var data: [UInt8]
    }

    private var entries: [Entry] = []
    /// `__metadata__` entries.
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds a float tensor stored as F64, F32 (rounded to nearest), F16 or BF16 (rounded to
    /// nearest even). `values.count` must equal the product of `shape`; names must be unique and
    /// must not be `__metadata__`.
    public mutating func add(_ name: String, dtype: SafetensorsDType = .f64, shape: [Int], values: [Double]) {
        precondition(dtype.isReadableAsDouble, "SafetensorsWriter writes float tensors only, not \(dtype.rawValue)")
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "tensor \(name): shape \(shape) does not hold \(values.count) values")
        precondition(name != "__metadata__" && !entries.contains { $0.name == name }, "tensor name \(name) is reserved or repeated")
        var data: [UInt8] = []
        data.reserveCapacity(values.count * dtype.byteCount)
        func append<T: FixedWidthInteger>(_ word: T) {
            for b in 0..<MemoryLayout<T>.size { data.append(UInt8(truncatingIfNeeded: word >> (8 * b))) }
        }
        for value in values {
            switch dtype {
            case .f64: append(value.bitPattern)
            case .f32: append(Float(value).bitPattern)
            case .f16: append(Float16(value).bitPattern)
            case .bf16: append(Self.bfloat16Bits(Float(value)))
            default: break
            }
        }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, data: data))
    }

    /// float32 → bfloat16, round to nearest even (NaN stays NaN).
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }

    /// The complete file.
    public func encoded() -> [UInt8] {
        let ordered = entries.sorted { ($0.dtype.byteCount, $1.name) > ($1.dtype.byteCount, $0.name) }
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(HeaderJSON.quoted($0)):\(HeaderJSON.quoted(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for entry in ordered {
            let end = offset + entry.data.count
            let shape = entry.shape.map(String.init).joined(separator: ",")
            parts.append("\(HeaderJSON.quoted(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        let length = UInt64(headerBytes.count)
        for b in 0..<8 { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(b)))) }
        out += headerBytes
        for entry in ordered { out += entry.data }
        return out
    }

    /// Writes the file atomically (a temporary name in the same directory, then a rename), so a
    /// reader never sees half a file.
    public func write(toFile path: String) throws(SafetensorsError) {
        do {
            try Data(encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SafetensorsError(file: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
