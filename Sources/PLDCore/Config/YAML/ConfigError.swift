import Foundation

/// One problem with a configuration file, as a single line a robotics engineer can act on:
///
///     RobotConfigs/franka_sim_cube.yaml:14: control.rate_hz: expected a number, found "fast"
///
/// `line` is 1-based and `nil` when the problem has no place in the file (the file cannot be
/// read, or a required section is missing from an empty mapping). `path` is the field path in
/// YAML spelling (`arms[0].franka.ports.arm_command`); it is empty for problems with the whole
/// document (syntax errors, empty file, oversized input).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The file as the caller named it (relative paths stay relative, so messages stay short).
    public var file: String
    public var line: Int?
    public var path: String
    public var message: String

    public init(file: String, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if !path.isEmpty { text += "\(path): " }
        return text + message
    }

    public var errorDescription: String? { description }
}

/// A violation found by a `validate()` pass: where (field path) and what. The loader turns it
/// into a `ConfigError` by looking the path up in the file's line index.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    public var path: ConfigPath
    public var message: String

    public init(path: ConfigPath, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isRoot ? message : "\(path): \(message)" }
}
