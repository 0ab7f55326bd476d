import Foundation
import Yams

/// A configuration document type: decoded strictly from YAML, then validated as a whole.
///
/// Conforming types get `load(path:)`, `load(yaml:file:)` and `loadWithSource(path:)`.
public protocol ConfigDocument: Codable, Sendable, Equatable {
    /// Range and cross-field checks that decoding cannot express. Returns every violation, in
    /// roughly document order; an empty list means the value is usable.
    func validate() -> [ConfigIssue]
}

/// Where a loaded configuration came from: the exact bytes (hash these to identify the file)
/// and the line of every field path.
public struct ConfigSource: Sendable, Equatable {
    /// The file name as the caller gave it; used in every error message.
    public let file: String
    /// The file's bytes exactly as read.
    public let rawBytes: [UInt8]
    public let lineIndex: ConfigLineIndex

    /// Resolves a path written inside the file: absolute paths stay, relative paths are taken
    /// relative to the directory that holds the file (so `../Calibration/x.yaml` works from
    /// `RobotConfigs/`).
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let directory = (file as NSString).deletingLastPathComponent
        if directory.isEmpty { return path }
        return ((directory as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}

/// A validated configuration together with its source.
public struct LoadedConfig<Value: ConfigDocument>: Sendable {
    public let value: Value
    public let source: ConfigSource

    /// A stable canonical form of the *effective* configuration (defaults filled in): JSON with
    /// snake_case keys in sorted order and no insignificant whitespace. Two files that differ only
    /// in comments, layout or spelled-out defaults give the same text. Hash this (or
    /// `source.rawBytes`) to identify a configuration in recordings.
    public func canonicalJSON() -> String { value.canonicalJSON() }

    public init(value: Value, source: ConfigSource) {
        self.value = value
        self.source = source
    }

    /// The same file with an adjusted value (command-line overrides such as `pld run --learn`).
    public func replacingValue(_ value: Value) -> LoadedConfig<Value> { LoadedConfig(value: value, source: source) }
}

extension ConfigDocument {
    /// Loads, decodes and validates a configuration file.
    public static func load(path: String) throws(ConfigError) -> Self {
        try loadWithSource(path: path).value
    }

    /// Loads, decodes and validates a configuration file, keeping its bytes and line index.
    public static func loadWithSource(path: String) throws(ConfigError) -> LoadedConfig<Self> {
        let bytes = try ConfigLoader.readFile(path)
        return try ConfigLoader.load(Self.self, bytes: bytes, file: path)
    }

    /// Decodes and validates YAML text; `file` names it in error messages.
    public static func load(yaml: String, file: String) throws(ConfigError) -> Self {
        try ConfigLoader.load(Self.self, bytes: Array(yaml.utf8), file: file).value
    }

    /// Decodes and validates YAML bytes; `file` names them in error messages.
    public static func load(bytes: [UInt8], file: String) throws(ConfigError) -> Self {
        try ConfigLoader.load(Self.self, bytes: bytes, file: file).value
    }

    /// See `LoadedConfig.canonicalJSON()`.
    public func canonicalJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(self) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The loading pipeline: bounded read → UTF-8 → YAML → strict decode → validate.
public enum ConfigLoader {
    /// Reads at most `ConfigLimits.maxBytes` (+1, to detect larger files) from `path`.
    public static func readFile(_ path: String) throws(ConfigError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(file: path, line: nil, path: "", message: "no such file")
        }
        if isDirectory.boolValue {
            throw ConfigError(file: path, line: nil, path: "", message: "is a directory, expected a YAML file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigError(file: path, line: nil, path: "", message: "cannot open file for reading (permissions?)")
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: ConfigLimits.maxBytes + 1) ?? Data()
            if data.count > ConfigLimits.maxBytes {
                throw ConfigError(file: path, line: nil, path: "",
                                  message: "file is larger than \(ConfigLimits.maxBytes) bytes (1 MiB); configuration files are limited to that size")
            }
            return [UInt8](data)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: path, line: nil, path: "", message: "cannot read file: \(error.localizedDescription)")
        }
    }

    /// Decodes without validating. Useful for tools that want to report every problem.
    public static func decode<T: Decodable>(_ type: T.Type, bytes: [UInt8], file: String)
        throws(ConfigError) -> (value: T, lineIndex: ConfigLineIndex)
    {
        let document = try YAMLDocument.parse(bytes: bytes, file: file)
        let session = ConfigDecodeSession(document: document)
        do {
            let value = try session.decode(T.self, node: document.root, path: .root)
            return (value, document.lineIndex)
        } catch let error as ConfigError {
            throw error
        } catch let error as DecodingError {
            throw session.convert(error)
        } catch {
            throw ConfigError(file: file, line: nil, path: "", message: "cannot decode: \(error)")
        }
    }

    /// Decodes and validates; the first violation (by line) becomes the thrown error.
    public static func load<T: ConfigDocument>(_ type: T.Type, bytes: [UInt8], file: String)
        throws(ConfigError) -> LoadedConfig<T>
    {
        let (value, lineIndex) = try decode(T.self, bytes: bytes, file: file)
        let issues = value.validate()
        if !issues.isEmpty {
            // Report the earliest problem in the file; validation order breaks ties.
            let errors = errors(for: issues, file: file, lineIndex: lineIndex)
            let first = errors.enumerated().min { a, b in
                (a.element.line ?? .max, a.offset) < (b.element.line ?? .max, b.offset)
            }!.element
            throw first
        }
        return LoadedConfig(value: value, source: ConfigSource(file: file, rawBytes: bytes, lineIndex: lineIndex))
    }

    /// All validation violations of a decoded value, as errors with lines.
    public static func errors(for issues: [ConfigIssue], file: String, lineIndex: ConfigLineIndex) -> [ConfigError] {
        issues.map { error(for: $0, file: file, lineIndex: lineIndex) }
    }

    static func error(for issue: ConfigIssue, file: String, lineIndex: ConfigLineIndex) -> ConfigError {
        ConfigError(file: file, line: lineIndex.line(for: issue.path), path: issue.path.description, message: issue.message)
    }
}
