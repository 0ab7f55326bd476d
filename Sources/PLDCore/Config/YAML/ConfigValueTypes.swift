/// An enumeration written in YAML as one of a fixed set of words. Decoding an unknown word is
/// an error that lists the allowed ones.
public protocol ConfigEnum: RawRepresentable, CaseIterable, Codable, Sendable, Equatable where RawValue == String {}

extension ConfigEnum {
    /// The words accepted in YAML, in declaration order.
    public static var allowedValues: [String] { allCases.map(\.rawValue) }

    static func parseConfigWord(_ word: String) -> Self? { Self(rawValue: word) }
}

/// Why a one-string value (an endpoint, a source reference) could not be parsed.
public struct ConfigValueError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// A value written in YAML as a single string and parsed into structure, such as an endpoint
/// (`tcp://127.0.0.1:5556`) or an observation source (`arm.left.joint_position`).
public protocol ConfigStringConvertible: Codable, Sendable {
    init(configString: String) throws(ConfigValueError)
    /// The canonical spelling; `init(configString:)` accepts it back.
    var configString: String { get }
}

extension ConfigStringConvertible {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self(configString: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(configString)
    }
}

/// Helpers that keep hand-written `init(from:)` bodies to one line per field.
extension KeyedDecodingContainer {
    /// A required field.
    public func required<T: Decodable>(_ key: Key) throws -> T {
        try decode(T.self, forKey: key)
    }

    /// An optional field without a default (absent or `null` → `nil`).
    public func optional<T: Decodable>(_ key: Key) throws -> T? {
        try decodeIfPresent(T.self, forKey: key)
    }

    /// An optional field with a default (absent or `null` → `defaultValue`).
    public func value<T: Decodable>(_ key: Key, default defaultValue: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? defaultValue()
    }
}
