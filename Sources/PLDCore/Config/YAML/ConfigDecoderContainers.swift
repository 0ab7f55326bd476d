import Yams

// The Decoder and container types of the strict YAML decoder; the rules they implement are
// stated on `ConfigDecodeSession`. They hold no state of their own beyond a position in the
// tree: every decision (key spelling, scalar reading, error wording) is the session's.

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

    /// Whether `yamlKey` spells one of `Key`'s fields (asked for yet or not).
    private func isField(_ yamlKey: String) -> Bool {
        guard !verbatim else { return true }
        let property = Self.propertyName(yamlKey)
        return ConfigKeyStyle.yamlKey(forProperty: property) == yamlKey && Key(stringValue: property) != nil
    }

    private func missing(_ name: String) -> ConfigError {
        // A misspelt required key reads better as "unknown key, did you mean" than as "missing".
        // Only keys that are no field at all count as misspellings.
        for (key, _) in mapping {
            guard case .scalar(let scalar) = key, !keys.requested.contains(scalar.string), !isField(scalar.string) else { continue }
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
