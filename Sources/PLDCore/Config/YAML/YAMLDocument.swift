import Foundation
import Yams

/// Bounds applied to every configuration file, so that no input (binary junk, an alias bomb, a
/// multi-gigabyte file, a 10 000-deep list) can crash or stall the loader.
public enum ConfigLimits {
    /// Largest accepted file: 1 MiB. Real configs are a few tens of KiB with comments.
    public static let maxBytes = 1 << 20
    /// Most alias uses (`*name`) in one file. With at most this many aliases the composed tree
    /// can grow by at most 3^(32/3) ≈ 10^5 nodes, which bounds Yams' own key hashing.
    public static let maxAliases = 32
    /// Most nodes after alias expansion. Real configs have a few thousand.
    public static let maxNodes = 50_000
    /// Deepest nesting of mappings and lists. Real configs nest about eight levels.
    public static let maxDepth = 64
}

/// Which line each field path starts on, recorded while the document is walked so that
/// decoding and validation errors can cite lines.
public struct ConfigLineIndex: Sendable, Equatable {
    var lines: [ConfigPath: Int] = [:]

    /// The line of `path`, or of its nearest enclosing path that appears in the file (a field
    /// left to its default cites the section that omits it).
    public func line(for path: ConfigPath) -> Int? {
        var current: ConfigPath? = path
        while let candidate = current {
            if let line = lines[candidate] { return line }
            current = candidate.parent
        }
        return nil
    }

    /// The line of `path` only if that exact path is written in the file.
    public func exactLine(for path: ConfigPath) -> Int? { lines[path] }
}

/// A parsed, bounded YAML document: the root node plus the line index.
struct YAMLDocument {
    let file: String
    let root: Node
    let lineIndex: ConfigLineIndex

    func error(_ path: ConfigPath, _ message: String, line: Int? = nil) -> ConfigError {
        ConfigError(file: file, line: line ?? lineIndex.line(for: path), path: path.description, message: message)
    }

    /// Parses `bytes` as one YAML document. Throws `ConfigError` for anything that is not a
    /// single well-formed, bounded YAML document whose top level is a mapping.
    static func parse(bytes: [UInt8], file: String) throws(ConfigError) -> YAMLDocument {
        func fail(_ message: String, line: Int? = nil, path: String = "") -> ConfigError {
            ConfigError(file: file, line: line, path: path, message: message)
        }
        if bytes.count > ConfigLimits.maxBytes {
            throw fail("file is \(bytes.count) bytes; configuration files are limited to \(ConfigLimits.maxBytes) bytes (1 MiB)")
        }
        // libyaml is told the encoding up front, which skips its BOM detection; drop a UTF-8 BOM.
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        let text = try decodeUTF8(body, file: file)
        if text.unicodeScalars.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\u{FEFF}" }) {
            throw fail("file is empty; expected a mapping of configuration fields", line: 1)
        }
        try checkAliasCount(body, file: file)

        let root: Node?
        do {
            let parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            throw translate(error, text: text, file: file)
        } catch {
            throw fail("cannot parse YAML: \(error)")
        }
        guard let root else {
            throw fail("file is empty (only comments); expected a mapping of configuration fields", line: 1)
        }
        var walker = LineIndexWalker(file: file)
        try walker.walk(root, path: .root, depth: 0, line: root.mark?.line ?? 1)
        let document = YAMLDocument(file: file, root: root, lineIndex: walker.index)
        guard case .mapping = root else {
            if case .scalar(let scalar) = root, ScalarText.isNull(scalar) {
                throw fail("file is empty (the document is null); expected a mapping of configuration fields", line: root.mark?.line)
            }
            throw fail("expected a mapping of configuration fields at the top level, found \(ScalarText.describe(root))", line: root.mark?.line)
        }
        return document
    }

    // MARK: Pre-parse checks

    private static func decodeUTF8(_ bytes: [UInt8], file: String) throws(ConfigError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            if let nul = bytes.firstIndex(of: 0) {
                throw ConfigError(file: file, line: lineNumber(atByte: nul, in: bytes), path: "",
                                  message: "file contains a NUL byte at offset \(nul); expected YAML text")
            }
            return text
        }
        let offset = firstInvalidUTF8Offset(bytes)
        throw ConfigError(file: file, line: lineNumber(atByte: offset, in: bytes), path: "",
                          message: "file is not UTF-8 text (invalid byte 0x\(String(bytes[min(offset, bytes.count - 1)], radix: 16)) at offset \(offset)); expected YAML")
    }

    private static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return bytes.count
            case .error: return offset
            }
        }
    }

    static func lineNumber(atByte offset: Int, in bytes: [UInt8]) -> Int {
        var line = 1
        for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A { line += 1 }
        return line
    }

    /// Counts alias tokens (`*name` at the start of a token, outside comments) before Yams
    /// composes the tree: Yams hashes mapping keys while composing, and an aliased bomb used as a
    /// key would make that exponential. Quoted text containing ` *x` may be over-counted; that
    /// only matters for files with more than `maxAliases` of them.
    private static func checkAliasCount(_ bytes: [UInt8], file: String) throws(ConfigError) {
        var count = 0
        var inComment = false
        var previous: UInt8 = 0x0A
        for index in bytes.indices {
            let byte = bytes[index]
            defer { previous = byte }
            if byte == 0x0A { inComment = false; continue }
            if inComment { continue }
            let afterSeparator = previous == 0x20 || previous == 0x09 || previous == 0x0A || previous == 0x0D
                || previous == 0x5B || previous == 0x7B || previous == 0x2C  // [ { ,
            if byte == 0x23, afterSeparator { inComment = true; continue }  // #
            if byte == 0x2A, afterSeparator, index + 1 < bytes.count {  // *
                let next = bytes[index + 1]
                if next != 0x20, next != 0x09, next != 0x0A, next != 0x0D, next != 0x2C, next != 0x5D, next != 0x7D {
                    count += 1
                    if count > ConfigLimits.maxAliases {
                        throw ConfigError(file: file, line: lineNumber(atByte: index, in: bytes), path: "",
                                          message: "more than \(ConfigLimits.maxAliases) aliases (*name); alias use is limited so that loading stays bounded")
                    }
                }
            }
        }
    }

    // MARK: Yams errors

    private static func translate(_ error: YamlError, text: String, file: String) -> ConfigError {
        func syntax(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> ConfigError {
            var message = "YAML syntax error: \(problem)"
            if let context, !context.text.isEmpty {
                message += " (\(context.text) started on line \(context.mark.line))"
            }
            return ConfigError(file: file, line: mark.line, path: "", message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _):
            return syntax(problem, context, mark)
        case .parser(let context, let problem, let mark, _):
            return syntax(problem, context, mark)
        case .composer(let context, let problem, let mark, _):
            if problem.contains("another document") {
                return ConfigError(file: file, line: mark.line, path: "",
                                   message: "expected a single YAML document, found another one (remove the extra `---`)")
            }
            return syntax(problem, context, mark)
        case .reader(let problem, let offset, _, _):
            var line: Int?
            if let offset {
                line = 1 + text.unicodeScalars.prefix(offset).reduce(0) { $0 + ($1 == "\n" ? 1 : 0) }
            }
            return ConfigError(file: file, line: line, path: "", message: "cannot read YAML text: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return DuplicateKeyLocator.locate(duplicates: duplicates, firstMark: context.mark, text: text, file: file)
        case .memory:
            return ConfigError(file: file, line: nil, path: "", message: "YAML parser ran out of memory")
        default:
            return ConfigError(file: file, line: nil, path: "", message: "cannot parse YAML: \(error)")
        }
    }
}

/// Walks a composed tree once: records the line of every field path, and enforces the node and
/// depth limits (aliases share subtrees, so the walk counts the expanded size).
struct LineIndexWalker {
    let file: String
    var index = ConfigLineIndex()
    var nodes = 0

    init(file: String) { self.file = file }

    mutating func walk(_ node: Node, path: ConfigPath, depth: Int, line: Int) throws(ConfigError) {
        nodes += 1
        if nodes > ConfigLimits.maxNodes {
            throw ConfigError(file: file, line: line, path: "",
                              message: "document expands to more than \(ConfigLimits.maxNodes) nodes (aliases?); configuration files are limited to keep loading bounded")
        }
        if depth > ConfigLimits.maxDepth {
            throw ConfigError(file: file, line: line, path: "",
                              message: "nesting deeper than \(ConfigLimits.maxDepth) levels")
        }
        if index.lines[path] == nil { index.lines[path] = line }
        switch node {
        case .scalar, .alias:
            return
        case .sequence(let sequence):
            for (offset, element) in sequence.enumerated() {
                try walk(element, path: path.index(offset), depth: depth + 1, line: element.mark?.line ?? line)
            }
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw ConfigError(file: file, line: key.mark?.line ?? line, path: path.description,
                                      message: "mapping keys must be plain names, found \(ScalarText.describe(key)) as a key")
                }
                let keyLine = key.mark?.line ?? line
                try walk(value, path: path.key(keyScalar.string), depth: depth + 1, line: keyLine)
            }
        }
    }
}

/// Yams reports a duplicate key with the line of its first occurrence but without the field
/// path. To name the path, rename the first occurrence and parse again.
enum DuplicateKeyLocator {
    static let sentinel = "__pld_duplicate_key__"

    static func locate(duplicates: [String], firstMark: Mark, text: String, file: String) -> ConfigError {
        let name = duplicates.first ?? "?"
        let fallback = ConfigError(file: file, line: firstMark.line, path: name,
                                   message: "duplicate key `\(name)`")
        guard let patched = insert(sentinel, at: firstMark, in: text),
              let parser = try? Parser(yaml: patched, resolver: .basic, constructor: .default, encoding: .utf8),
              let root = try? parser.singleRoot(),
              let found = find(in: root, path: .root, depth: 0)
        else { return fallback }
        let originalKey = String(found.key.dropFirst(sentinel.count))
        let path = found.parent.key(originalKey)
        var secondLine: Int?
        for (key, _) in found.mapping {
            if case .scalar(let scalar) = key, scalar.string == originalKey { secondLine = key.mark?.line }
        }
        return ConfigError(file: file, line: secondLine ?? firstMark.line, path: path.description,
                           message: "duplicate key `\(originalKey)` (first written on line \(firstMark.line))")
    }

    private static func insert(_ prefix: String, at mark: Mark, in text: String) -> String? {
        var lineStart = text.unicodeScalars.startIndex
        var line = 1
        var index = text.unicodeScalars.startIndex
        while line < mark.line, index < text.unicodeScalars.endIndex {
            if text.unicodeScalars[index] == "\n" {
                line += 1
                lineStart = text.unicodeScalars.index(after: index)
            }
            index = text.unicodeScalars.index(after: index)
        }
        guard line == mark.line,
              let position = text.unicodeScalars.index(lineStart, offsetBy: mark.column - 1,
                                                       limitedBy: text.unicodeScalars.endIndex)
        else { return nil }
        var scalars = text.unicodeScalars
        scalars.insert(contentsOf: prefix.unicodeScalars, at: position)
        return String(scalars)
    }

    private static func find(in node: Node, path: ConfigPath, depth: Int)
        -> (parent: ConfigPath, key: String, mapping: Node.Mapping)?
    {
        guard depth <= ConfigLimits.maxDepth else { return nil }
        switch node {
        case .scalar, .alias:
            return nil
        case .sequence(let sequence):
            for (offset, element) in sequence.enumerated() {
                if let found = find(in: element, path: path.index(offset), depth: depth + 1) { return found }
            }
            return nil
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else { continue }
                if scalar.string.hasPrefix(sentinel) { return (path, scalar.string, mapping) }
                if let found = find(in: value, path: path.key(scalar.string), depth: depth + 1) { return found }
            }
            return nil
        }
    }
}
