import Foundation
import Wire

/// The base policy server's metadata frame as JSON for the episode files' `policy_metadata`
/// attribute. numpy arrays become `{"ndarray": dtype, "shape": [...]}` (their bytes are not
/// copied: a server may put a large array there), bytes become their length, non-finite
/// floats become strings.
enum PolicyMetadataJSON {
    static func render(_ dict: OpenPIDict) -> String {
        let object = convert(.dict(dict), depth: 0)
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func convert(_ value: OpenPIValue, depth: Int) -> Any {
        guard depth < 32 else { return "…" }
        switch value {
        case .nil: return NSNull()
        case let .bool(b): return b
        case let .int(i): return i
        case let .uint(u): return u
        case let .double(d): return d.isFinite ? d : String(d)
        case let .string(s): return s
        case let .bytes(b): return ["bytes": b.count]
        case let .list(items): return items.map { convert($0, depth: depth + 1) }
        case let .dict(d):
            var out: [String: Any] = [:]
            for entry in d.entries { out[entry.key] = convert(entry.value, depth: depth + 1) }
            return out
        case let .array(a): return ["ndarray": a.dtype.rawValue, "shape": a.shape]
        case let .scalar(s): return ["npgeneric": s.dtype.rawValue]
        }
    }
}
