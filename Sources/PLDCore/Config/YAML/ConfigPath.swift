/// A field path inside a configuration document, spelled as in the YAML file:
/// `arms[1].pld_arm.state_endpoint`, `stages[2].on_success`.
public struct ConfigPath: Hashable, Sendable, CustomStringConvertible {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    public static let root = ConfigPath()

    public var isRoot: Bool { components.isEmpty }

    /// The path of a mapping entry below this one. `key` is the YAML (snake_case) spelling.
    public func key(_ key: String) -> ConfigPath {
        ConfigPath(components + [.key(key)])
    }

    /// The path of a list element below this one.
    public func index(_ index: Int) -> ConfigPath {
        ConfigPath(components + [.index(index)])
    }

    public subscript(_ key: String) -> ConfigPath { self.key(key) }
    public subscript(_ index: Int) -> ConfigPath { self.index(index) }

    /// The enclosing path, or `nil` at the root.
    public var parent: ConfigPath? {
        components.isEmpty ? nil : ConfigPath(Array(components.dropLast()))
    }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }
}

/// How Swift property names map to YAML keys.
///
/// The rule: every ASCII uppercase letter becomes `_` followed by its lowercase form, and
/// nothing else changes. `rateHz` ↔ `rate_hz`, `spinBeforeDeadlineUs` ↔
/// `spin_before_deadline_us`, `accelerationRadPerS2` ↔ `acceleration_rad_per_s2`,
/// `quaternionWxyz` ↔ `quaternion_wxyz`. Property names therefore never contain capitalised
/// acronyms (`nucHost`, not `NUCHost`), and YAML keys never contain uppercase letters.
public enum ConfigKeyStyle {
    public static func yamlKey(forProperty name: String) -> String {
        var needsWork = false
        for byte in name.utf8 where byte >= 65 && byte <= 90 {
            needsWork = true
            break
        }
        guard needsWork else { return name }
        var result = ""
        result.reserveCapacity(name.utf8.count + 4)
        for scalar in name.unicodeScalars {
            if scalar.value >= 65 && scalar.value <= 90 {
                result.append("_")
                result.unicodeScalars.append(Unicode.Scalar(scalar.value + 32)!)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The closest of `candidates` to a key that was not recognised, when one is a near miss
    /// (same letters ignoring `_`, `-` and case, or a small edit distance).
    public static func suggestion(for key: String, among candidates: some Sequence<String>) -> String? {
        let normalisedKey = normalised(key)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != key {
            if normalised(candidate) == normalisedKey { return candidate }
            let distance = editDistance(key, candidate)
            let allowed = max(2, min(key.count, candidate.count) / 3)
            if distance <= allowed, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    static func normalised(_ key: String) -> String {
        String(key.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Levenshtein distance over Unicode scalars; inputs are short keys.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(64))
        let b = Array(b.unicodeScalars.prefix(64))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
