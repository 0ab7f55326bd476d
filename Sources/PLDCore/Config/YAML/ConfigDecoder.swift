import Foundation
import Yams

/// A strict `Decoder` over a composed Yams tree.
///
/// - Keys: Swift property names are converted to YAML keys by `ConfigKeyStyle` (`rateHz` →
///   `rate_hz`), so model types need no `CodingKeys` boilerplate. `[String: V]` dictionaries
///   keep their keys verbatim.
/// - Unknown keys: every key a type's `init(from:)` asks about (via `decode`, `decodeIfPresent`,
///   `contains`, nested containers) is recorded; once the init returns, any other key in that
///   mapping is an error, with a suggestion when it is a near miss of a known key.
/// - Scalars follow `ScalarText` (YAML 1.2 core schema, strictly; quoted text is never a number).
/// - Every error is a `ConfigError` carrying file, line and field path.
///
/// Model types whose fields are all required or plain optionals use the synthesized
/// `init(from:)`; types with defaults write a one-line-per-field init with the
/// `required` / `optional` / `value(_:default:)` helpers (the synthesized init cannot apply
/// property defaults). Either way `CodingKeys` are synthesized.
///
/// Not thread-safe; one session decodes one document on the caller's thread.
final class ConfigDecodeSession {
    let document: YAMLDocument

    init(document: YAMLDocument) {
        self.document = document
    }

    func error(_ path: ConfigPath, _ message: String, node: Node? = nil) -> ConfigError {
        let line = document.lineIndex.exactLine(for: path) ?? node?.mark?.line ?? document.lineIndex.line(for: path)
        return ConfigError(file: document.file, line: line, path: path.description, message: message)
    }

    // MARK: Decoding one node

    func decode<T: Decodable>(_ type: T.Type, node: Node, path: ConfigPath) throws -> T {
        if let value = try decodePrimitive(type, node: node, path: path) { return value }
        if let enumType = T.self as? any ConfigEnum.Type {
            let word = try string(node, path: path, expected: "one of: \(enumType.allowedValues.joined(separator: ", "))")
            guard let value = enumType.parseConfigWord(word) else {
                throw error(path, "invalid value \(ScalarText.quoted(word)); expected one of: \(enumType.allowedValues.joined(separator: ", "))", node: node)
            }
            return value as! T
        }
        if let stringType = T.self as? any ConfigStringConvertible.Type {
            let text = try string(node, path: path, expected: "a string")
            do {
                return try stringType.init(configString: text) as! T
            } catch {
                throw self.error(path, error.message, node: node)
            }
        }
        let tracker = KeyTracker()
        let decoder = ConfigNodeDecoder(session: self, node: node, path: path, tracker: tracker)
        let value: T
        do {
            value = try T(from: decoder)
        } catch let error as ConfigError {
            throw error
        } catch let error as DecodingError {
            throw convert(error)
        }
        try checkUnknownKeys(tracker)
        return value
    }

    private func checkUnknownKeys(_ tracker: KeyTracker) throws {
        for container in tracker.containers {
            for (key, _) in container.mapping {
                guard case .scalar(let scalar) = key else { continue }
                let name = scalar.string
                if container.requested.contains(name) { continue }
                throw unknownKey(name, keyNode: key, in: container)
            }
        }
    }

    func unknownKey(_ name: String, keyNode: Node, in container: KeyTracker.Container) -> ConfigError {
        let path = container.path.key(name)
        let line = keyNode.mark?.line
        let message: String
        if name == "<<" {
            message = "merge keys (`<<`) are not supported; write the fields out, or alias a whole value"
        } else if let suggestion = ConfigKeyStyle.suggestion(for: name, among: container.requestedInOrder) {
            message = "unknown key `\(name)`; did you mean `\(suggestion)`?"
        } else if container.requestedInOrder.isEmpty {
            message = "unknown key `\(name)`; this mapping takes no fields"
        } else {
            message = "unknown key `\(name)`; known keys: \(container.requestedInOrder.joined(separator: ", "))"
        }
        return ConfigError(file: document.file, line: line ?? document.lineIndex.line(for: path), path: path.description, message: message)
    }

    // MARK: Scalars

    func string(_ node: Node, path: ConfigPath, expected: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw error(path, "expected \(expected), found \(ScalarText.describe(node))", node: node)
        }
        switch ScalarText.kind(scalar) {
        case .string:
            return scalar.string
        case .plain:
            if ScalarText.isNull(scalar) {
                throw error(path, "expected \(expected), found null", node: node)
            }
            return scalar.string
        case .unsupportedTag(let tag):
            throw error(path, "unsupported YAML tag `\(tag)`", node: node)
        }
    }

    private func plainScalar(_ node: Node, path: ConfigPath, expected: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw error(path, "expected \(expected), found \(ScalarText.describe(node))", node: node)
        }
        switch ScalarText.kind(scalar) {
        case .plain:
            return scalar.string
        case .string:
            throw error(path, "expected \(expected), found the quoted string \(ScalarText.quoted(scalar.string))", node: node)
        case .unsupportedTag(let tag):
            throw error(path, "unsupported YAML tag `\(tag)`", node: node)
        }
    }

    func bool(_ node: Node, path: ConfigPath) throws -> Bool {
        let text = try plainScalar(node, path: path, expected: "true or false")
        guard let value = ScalarText.bool(text) else {
            throw error(path, "expected true or false, found \(ScalarText.describe(node))", node: node)
        }
        return value
    }

    func double(_ node: Node, path: ConfigPath) throws -> Double {
        let text = try plainScalar(node, path: path, expected: "a number")
        if ScalarText.isNonFiniteNumber(text) {
            throw error(path, "expected a finite number, found \(text)", node: node)
        }
        guard let value = ScalarText.number(text) else {
            if let parsed = Double(text), !parsed.isFinite {
                throw error(path, "number \(text) is out of range", node: node)
            }
            throw error(path, "expected a number, found \(ScalarText.describe(node))", node: node)
        }
        return value
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type, _ node: Node, path: ConfigPath) throws -> I {
        let text = try plainScalar(node, path: path, expected: "an integer")
        switch ScalarText.integer(text) {
        case .value(let value):
            guard let converted = I(exactly: value) else {
                throw error(path, "integer \(text) is out of range [\(I.min), \(I.max)]", node: node)
            }
            return converted
        case .overflow:
            if I.self == UInt64.self, let value = UInt64(text) { return I(value) }
            throw error(path, "integer \(text) is out of range", node: node)
        case .notInteger:
            throw error(path, "expected an integer, found \(ScalarText.describe(node))", node: node)
        }
    }

    private func decodePrimitive<T>(_ type: T.Type, node: Node, path: ConfigPath) throws -> T? {
        switch type {
        case is String.Type: return try string(node, path: path, expected: "a string") as? T
        case is Double.Type: return try double(node, path: path) as? T
        case is Float.Type: return Float(try double(node, path: path)) as? T
        case is Bool.Type: return try bool(node, path: path) as? T
        case is Int.Type: return try integer(Int.self, node, path: path) as? T
        case is Int8.Type: return try integer(Int8.self, node, path: path) as? T
        case is Int16.Type: return try integer(Int16.self, node, path: path) as? T
        case is Int32.Type: return try integer(Int32.self, node, path: path) as? T
        case is Int64.Type: return try integer(Int64.self, node, path: path) as? T
        case is UInt.Type: return try integer(UInt.self, node, path: path) as? T
        case is UInt8.Type: return try integer(UInt8.self, node, path: path) as? T
        case is UInt16.Type: return try integer(UInt16.self, node, path: path) as? T
        case is UInt32.Type: return try integer(UInt32.self, node, path: path) as? T
        case is UInt64.Type: return try integer(UInt64.self, node, path: path) as? T
        default: return nil
        }
    }

    // MARK: Errors thrown by hand-written init(from:)

    func convert(_ decodingError: DecodingError) -> ConfigError {
        switch decodingError {
        case .keyNotFound(let key, let context):
            let path = Self.configPath(context.codingPath + [key])
            let reason = context.debugDescription.isEmpty ? "" : " (\(context.debugDescription))"
            return error(path, "missing required field `\(Self.yamlKey(key))`\(reason)")
        case .dataCorrupted(let context):
            return error(Self.configPath(context.codingPath), context.debugDescription)
        case .typeMismatch(let type, let context):
            return error(Self.configPath(context.codingPath), "expected \(type): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            return error(Self.configPath(context.codingPath), "expected \(type), found null")
        @unknown default:
            return ConfigError(file: document.file, line: nil, path: "", message: "\(decodingError)")
        }
    }

    static func yamlKey(_ key: any CodingKey) -> String {
        if let pathKey = key as? PathKey, case .key(let name) = pathKey.component { return name }
        return ConfigKeyStyle.yamlKey(forProperty: key.stringValue)
    }

    static func configPath(_ keys: [any CodingKey]) -> ConfigPath {
        ConfigPath(keys.map { key in
            if let pathKey = key as? PathKey { return pathKey.component }
            if let index = key.intValue { return .index(index) }
            return .key(ConfigKeyStyle.yamlKey(forProperty: key.stringValue))
        })
    }
}

/// Which keys of which mappings a type's `init(from:)` asked about.
final class KeyTracker {
    final class Container {
        let mapping: Node.Mapping
        let path: ConfigPath
        var requested: Set<String> = []
        var requestedInOrder: [String] = []

        init(mapping: Node.Mapping, path: ConfigPath) {
            self.mapping = mapping
            self.path = path
        }

        func request(_ key: String) {
            if requested.insert(key).inserted { requestedInOrder.append(key) }
        }
    }

    var containers: [Container] = []

    func container(for mapping: Node.Mapping, path: ConfigPath) -> Container {
        if let existing = containers.first(where: { $0.path == path }) { return existing }
        let container = Container(mapping: mapping, path: path)
        containers.append(container)
        return container
    }
}

/// A coding key that carries a path component already in YAML spelling.
struct PathKey: CodingKey {
    let component: ConfigPath.Component

    init(_ component: ConfigPath.Component) { self.component = component }

    init?(stringValue: String) { component = .key(stringValue) }
    init?(intValue: Int) { component = .index(intValue) }

    var stringValue: String {
        switch component {
        case .key(let key): return key
        case .index(let index): return "\(index)"
        }
    }

    var intValue: Int? {
        if case .index(let index) = component { return index }
        return nil
    }
}

extension ConfigPath {
    var codingKeys: [any CodingKey] { components.map { PathKey($0) } }
}
