import Foundation

/// An error from MuJoCo (a model that does not load) or from this wrapper's own validation
/// (a name that is not in the model, a buffer of the wrong size, a renderer that cannot start).
///
/// `description` is one line naming what was attempted and the file, element or camera at
/// fault, e.g.
/// `mujoco load /…/panda.xml: XML Error: Schema violation: unrecognized attribute 'rnage' (Element 'joint', line 12)`.
///
/// Errors are values built only on failure paths; no steady-state call throws.
public struct MuJoCoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is, to branch on without parsing the message.
    public enum Kind: String, Sendable, Hashable {
        /// `mj_loadXML` rejected the model (parse, schema or compile error) or the file is missing.
        case load
        /// A name lookup (`mj_name2id`) found no element of that type and name.
        case notFound
        /// An argument was out of range: an index, a buffer size, a joint of the wrong type.
        case invalidArgument
        /// The offscreen renderer could not be created (OSMesa, OpenGL or buffer size).
        case render
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// The cause, from MuJoCo's error buffer or the wrapper's own check, on one line.
    public let message: String
    /// What was being attempted, e.g. `"load /path/panda.xml"` or `"look up joint 'joint9'"`.
    public let operation: String

    public init(_ kind: Kind, message: String, operation: String) {
        self.kind = kind
        self.message = MuJoCoError.oneLine(message)
        self.operation = operation
    }

    /// `mujoco <operation>: <message>`.
    public var description: String { "mujoco \(operation): \(message)" }

    /// Joins MuJoCo's multi-line messages ("XML Error: …\n\nElement 'x', line 3\n") into one
    /// line, so a log line or an exit message stays a single line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " | ")
    }
}
