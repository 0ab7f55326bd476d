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

struct ConfigNodeDecoder: Decoder {
    let session: ConfigDecodeSession
    let node: Node
    let path: ConfigPath
    let tracker: KeyTracker

    var codingPath: [any CodingKey] { path.codingKeys }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else {
            if ScalarText.isNull(node) {
                throw session.error(path, "expected a mapping, found null (write `{}` or remove the key)", node: node)
            }
            throw session.error(path, "expected a mapping, found \(ScalarText.describe(node))", node: node)
        }
        let container = ConfigKeyedContainer<Key>(
            session: session, mapping: mapping, path: path,
            keys: tracker.container(for: mapping, path: path), tracker: tracker)
        return KeyedDecodingContainer(container)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else {
            throw session.error(path, "expected a list, found \(ScalarText.describe(node))", node: node)
        }
        return ConfigUnkeyedContainer(session: session, elements: Array(sequence), path: path, tracker: tracker)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        ConfigSingleValueContainer(session: session, node: node, path: path)
    }
}

struct ConfigKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let session: ConfigDecodeSession
    let mapping: Node.Mapping
    let path: ConfigPath
    let keys: KeyTracker.Container
    let tracker: KeyTracker
    let verbatim: Bool
    private let entries: [String: (key: Node, value: Node)]

    init(session: ConfigDecodeSession, mapping: Node.Mapping, path: ConfigPath, keys: KeyTracker.Container, tracker: KeyTracker) {
        self.session = session
        self.mapping = mapping
        self.path = path
        self.keys = keys
        self.tracker = tracker
        // Dictionaries keyed by String decode through the standard library's private key type;
        // their keys are data, not property names, so they are used verbatim.
        self.verbatim = String(describing: Key.self) == "_DictionaryCodingKey"
        var entries: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            if case .scalar(let scalar) = key { entries[scalar.string] = (key, value) }
        }
        self.entries = entries
    }

    var codingPath: [any CodingKey] { path.codingKeys }

    var allKeys: [Key] {
        mapping.compactMap { key, _ in
            guard case .scalar(let scalar) = key else { return nil }
            return Key(stringValue: verbatim ? scalar.string : Self.propertyName(scalar.string))
        }
    }

    private static func propertyName(_ yamlKey: String) -> String {
        var result = ""
        var upperNext = false
        for character in yamlKey {
            if character == "_" { upperNext = true; continue }
            result.append(upperNext ? Character(character.uppercased()) : character)
            upperNext = false
        }
        return result
    }

    private func name(_ key: Key) -> String {
        verbatim ? key.stringValue : ConfigKeyStyle.yamlKey(forProperty: key.stringValue)
    }

    private func entry(_ key: Key) -> (name: String, value: Node?) {
        let name = self.name(key)
        keys.request(name)
        return (name, entries[name]?.value)
    }

    private func missing(_ name: String) -> ConfigError {
        // A misspelt required key reads better as "unknown key, did you mean" than as "missing".
        for (key, _) in mapping {
            guard case .scalar(let scalar) = key, !keys.requested.contains(scalar.string) else { continue }
            if ConfigKeyStyle.suggestion(for: scalar.string, among: [name]) != nil {
                return session.unknownKey(scalar.string, keyNode: key, in: keys)
            }
        }
        return session.error(path.key(name), "missing required field `\(name)`")
    }

    func contains(_ key: Key) -> Bool { entry(key).value != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        let (name, value) = entry(key)
        guard let value else { throw missing(name) }
        return ScalarText.isNull(value)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (name, value) = entry(key)
        guard let value else { throw missing(name) }
        return try session.decode(type, node: value, path: path.key(name))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let (name, value) = entry(key)
        guard let value, !ScalarText.isNull(value) else { return nil }
        return try session.decode(type, node: value, path: path.key(name))
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type as Bool.Type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type as String.Type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type as Double.Type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type as Float.Type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type as Int.Type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type as Int8.Type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type as Int16.Type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type as Int32.Type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type as Int64.Type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type as UInt.Type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type as UInt8.Type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type as UInt16.Type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type as UInt32.Type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type as UInt64.Type, key) }

    private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        let (name, value) = entry(key)
        guard let value else { throw missing(name) }
        return try session.decode(type, node: value, path: path.key(name))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let (name, value) = entry(key)
        guard let value else { throw missing(name) }
        return try ConfigNodeDecoder(session: session, node: value, path: path.key(name), tracker: tracker).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let (name, value) = entry(key)
        guard let value else { throw missing(name) }
        return try ConfigNodeDecoder(session: session, node: value, path: path.key(name), tracker: tracker).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ConfigNodeDecoder(session: session, node: .mapping(mapping), path: path, tracker: tracker)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let (name, value) = entry(key)
        guard let value else { throw missing(name) }
        return ConfigNodeDecoder(session: session, node: value, path: path.key(name), tracker: tracker)
    }
}

struct ConfigUnkeyedContainer: UnkeyedDecodingContainer {
    let session: ConfigDecodeSession
    let elements: [Node]
    let path: ConfigPath
    let tracker: KeyTracker
    private(set) var currentIndex = 0

    init(session: ConfigDecodeSession, elements: [Node], path: ConfigPath, tracker: KeyTracker) {
        self.session = session
        self.elements = elements
        self.path = path
        self.tracker = tracker
    }

    var codingPath: [any CodingKey] { path.codingKeys }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private func checkNotAtEnd() throws {
        if isAtEnd {
            throw session.error(path, "expected more than \(elements.count) elements")
        }
    }

    mutating func decodeNil() throws -> Bool {
        try checkNotAtEnd()
        if ScalarText.isNull(elements[currentIndex]) {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd()
        let value = try session.decode(type, node: elements[currentIndex], path: path.index(currentIndex))
        currentIndex += 1
        return value
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try decodeElement(type) }
    mutating func decode(_ type: String.Type) throws -> String { try decodeElement(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try decodeElement(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try decodeElement(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try decodeElement(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decodeElement(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decodeElement(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decodeElement(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decodeElement(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decodeElement(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeElement(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeElement(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeElement(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeElement(type) }

    private mutating func decodeElement<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd()
        let value = try session.decode(type, node: elements[currentIndex], path: path.index(currentIndex))
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try checkNotAtEnd()
        let decoder = ConfigNodeDecoder(session: session, node: elements[currentIndex], path: path.index(currentIndex), tracker: tracker)
        currentIndex += 1
        return try decoder.container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkNotAtEnd()
        let decoder = ConfigNodeDecoder(session: session, node: elements[currentIndex], path: path.index(currentIndex), tracker: tracker)
        currentIndex += 1
        return try decoder.unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        try checkNotAtEnd()
        let decoder = ConfigNodeDecoder(session: session, node: elements[currentIndex], path: path.index(currentIndex), tracker: tracker)
        currentIndex += 1
        return decoder
    }
}

struct ConfigSingleValueContainer: SingleValueDecodingContainer {
    let session: ConfigDecodeSession
    let node: Node
    let path: ConfigPath

    var codingPath: [any CodingKey] { path.codingKeys }

    func decodeNil() -> Bool { ScalarText.isNull(node) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try session.decode(type, node: node, path: path)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try session.bool(node, path: path) }
    func decode(_ type: String.Type) throws -> String { try session.string(node, path: path, expected: "a string") }
    func decode(_ type: Double.Type) throws -> Double { try session.double(node, path: path) }
    func decode(_ type: Float.Type) throws -> Float { Float(try session.double(node, path: path)) }
    func decode(_ type: Int.Type) throws -> Int { try session.integer(type, node, path: path) }
    func decode(_ type: Int8.Type) throws -> Int8 { try session.integer(type, node, path: path) }
    func decode(_ type: Int16.Type) throws -> Int16 { try session.integer(type, node, path: path) }
    func decode(_ type: Int32.Type) throws -> Int32 { try session.integer(type, node, path: path) }
    func decode(_ type: Int64.Type) throws -> Int64 { try session.integer(type, node, path: path) }
    func decode(_ type: UInt.Type) throws -> UInt { try session.integer(type, node, path: path) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try session.integer(type, node, path: path) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try session.integer(type, node, path: path) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try session.integer(type, node, path: path) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try session.integer(type, node, path: path) }
}
