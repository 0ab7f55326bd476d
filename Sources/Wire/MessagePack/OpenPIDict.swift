/// A str-keyed dict that keeps its keys in insertion order, so an encoded observation has the
/// key order the caller wrote (and the same bytes every time). Subscript lookups are linear
/// scans (openpi dicts have a handful of keys); use `dictionary` for many lookups in a big one.
///
/// Threading: a value type; share copies freely.
public struct OpenPIDict: Sendable, Equatable {
    public private(set) var entries: [(key: String, value: OpenPIValue)]

    public init() {
        entries = []
    }

    /// Keys must be unique (a programming error otherwise, as with `Dictionary`).
    public init(uniqueKeysWithValues entries: [(key: String, value: OpenPIValue)]) {
        self.entries = []
        self.entries.reserveCapacity(entries.count)
        var seen = Set<String>(minimumCapacity: entries.count)
        for entry in entries {
            precondition(seen.insert(entry.key).inserted, "duplicate key '\(entry.key)' in OpenPIDict")
            self.entries.append(entry)
        }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    /// Reading: the value for `key`, or nil. Writing: replaces in place (order kept), appends a
    /// new key at the end, or removes the key when set to nil.
    public subscript(key: String) -> OpenPIValue? {
        get {
            for entry in entries where entry.key == key { return entry.value }
            return nil
        }
        set {
            let index = entries.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let i?, let v?): entries[i].value = v
            case (let i?, nil): entries.remove(at: i)
            case (nil, let v?): entries.append((key: key, value: v))
            case (nil, nil): break
            }
        }
    }

    mutating func append(key: String, value: OpenPIValue) {
        entries.append((key: key, value: value))
    }

    mutating func reserveCapacity(_ n: Int) {
        entries.reserveCapacity(n)
    }

    /// The entries as a Swift dictionary (order lost).
    public var dictionary: [String: OpenPIValue] {
        Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// A msgpack map with str keys in entry order.
    public var messagePackValue: MessagePackValue {
        .map(entries.map { (key: .string($0.key), value: $0.value.messagePackValue) })
    }

    public static func == (lhs: OpenPIDict, rhs: OpenPIDict) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension OpenPIDict: ExpressibleByDictionaryLiteral {
    /// Keeps the literal's order.
    public init(dictionaryLiteral elements: (String, OpenPIValue)...) {
        self.init(uniqueKeysWithValues: elements.map { (key: $0.0, value: $0.1) })
    }
}
