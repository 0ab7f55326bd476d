import Foundation
import Wire

/// The `json-numpy` convention of the OpenVLA / OpenVLA-OFT servers (`openpi-and-vla-servers.md`
/// §2.1): an ndarray or numpy scalar travels as
/// `{"__numpy__": "<base64 of the raw C-order bytes>", "dtype": "<f4", "shape": [...]}`; an
/// empty shape is a scalar. Everything else is plain JSON.
enum JSONNumpy {
    enum Failure: Error, CustomStringConvertible {
        case unencodable(String)
        case malformed(String)

        var description: String {
            switch self {
            case .unencodable(let text), .malformed(let text): text
            }
        }
    }

    // MARK: Encoding (our observation → request body)

    /// `value` as JSON text bytes, keys in dict order. Non-finite floats are written as Python's
    /// `json` module writes them (`NaN`, `Infinity`), which the server's `json.loads` accepts.
    static func encode(_ value: OpenPIValue) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        try write(value, into: &out, depth: 0)
        return out
    }

    private static func write(_ value: OpenPIValue, into out: inout [UInt8], depth: Int) throws(Failure) {
        guard depth < 64 else { throw .unencodable("nesting deeper than 64") }
        switch value {
        case .nil: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .int(let v): out += Array(String(v).utf8)
        case .uint(let v): out += Array(String(v).utf8)
        case .double(let d): out += Array(number(d).utf8)
        case .string(let s): writeString(s, into: &out)
        case .bytes: throw .unencodable("raw bytes have no json-numpy form; send a uint8 array")
        case .list(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try write(item, into: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "]"))
        case .dict(let dict):
            out.append(UInt8(ascii: "{"))
            for (i, entry) in dict.entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(entry.key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(entry.value, into: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let array):
            writeNumpy(data: array.data, dtype: array.dtype.numpyString, shape: array.shape, into: &out)
        case .scalar(let scalar):
            let array: OpenPIArray
            do {
                switch scalar.dtype {
                case .float32: array = try OpenPIArray([Float(scalar.doubleValue)], shape: [])
                case .float64: array = try OpenPIArray([scalar.doubleValue], shape: [])
                case .int32: array = try OpenPIArray([Int32(truncatingIfNeeded: scalar.int64Value ?? 0)], shape: [])
                case .int64: array = try OpenPIArray([scalar.int64Value ?? 0], shape: [])
                default: throw Failure.unencodable("numpy scalar of dtype \(scalar.dtype.numpyString)")
                }
            } catch let failure as Failure {
                throw failure
            } catch {
                throw .unencodable("numpy scalar: \(error)")
            }
            writeNumpy(data: array.data, dtype: array.dtype.numpyString, shape: [], into: &out)
        }
    }

    private static func writeNumpy(data: [UInt8], dtype: String, shape: [Int], into out: inout [UInt8]) {
        out += Array("{\"__numpy__\":\"".utf8)
        out += Array(Data(data).base64EncodedString().utf8)
        out += Array("\",\"dtype\":".utf8)
        writeString(dtype, into: &out)
        out += Array(",\"shape\":[".utf8)
        out += Array(shape.map(String.init).joined(separator: ",").utf8)
        out += Array("]}".utf8)
    }

    private static func number(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        return "\(d)"
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Decoding (reply body → JSON value)

    /// A parsed JSON document. Objects keep no order (replies are read by key).
    indirect enum JSON: Decodable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSON])
        case object([String: JSON])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([JSON].self) { self = .array(a) }
            else { self = .object(try c.decode([String: JSON].self)) }
        }
    }

    static func parse(_ bytes: [UInt8]) throws(Failure) -> JSON {
        do {
            let decoder = JSONDecoder()
            decoder.allowsJSON5 = true  // Python's json.dumps writes NaN / Infinity
            return try decoder.decode(JSON.self, from: Data(bytes))
        } catch {
            throw .malformed("body is not JSON (\(bytes.count) bytes)")
        }
    }

    /// A json-numpy object as an array; nil when `json` is not one.
    static func array(from json: JSON) throws(Failure) -> OpenPIArray? {
        guard case .object(let object) = json, case .string(let base64)? = object["__numpy__"] else { return nil }
        guard case .string(let dtypeText)? = object["dtype"] else { throw .malformed("json-numpy object without a dtype string") }
        guard case .array(let shapeItems)? = object["shape"] else { throw .malformed("json-numpy object without a shape list") }
        var shape: [Int] = []
        for item in shapeItems {
            guard case .number(let d) = item, d >= 0, d == d.rounded(), d < 1e12 else {
                throw .malformed("json-numpy shape \(shapeItems.count)-list has a non-integer entry")
            }
            shape.append(Int(d))
        }
        guard let data = Data(base64Encoded: base64) else { throw .malformed("json-numpy data is not base64") }
        do {
            let dtype = try OpenPIDType(numpy: dtypeText)
            return try OpenPIArray(dtype: dtype, shape: shape, data: [UInt8](data))
        } catch {
            throw .malformed("json-numpy array: \(error)")
        }
    }
}
