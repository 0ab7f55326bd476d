import Foundation

/// Runs Tests/Peers/check_episodes.py (h5py, PyAV) on a run directory and decodes its report.
public struct EpisodeCheck: Decodable, Sendable {
    public struct Summary: Decodable, Sendable {
        public var episode: Int
        public var length: Int
        public var outcome: String
        public var aborted_reason: String
        public var frames_missing: Int
        /// The task's stage names, attempts and successes per stage (episode attributes).
        public var stages: [String]
        public var stage_attempts: [Int]
        public var stage_successes: [Int]
        /// `/stage` with repeats collapsed: the order the stages ran in.
        public var stage_sequence: [Int]
    }

    public var episodes: Int
    public var problems: [String]
    public var summary: [Summary]
    public var dump: [String: JSONValue]

    public static func run(_ runPath: String, dump: [String] = []) throws -> EpisodeCheck {
        let result = try PythonPeer.runScript("check_episodes.py", [runPath] + dump.flatMap { ["--dump", $0] }, timeoutSeconds: 120)
        guard result.status == 0 else { throw ChildProcess.Failure(description: "check_episodes.py: \(result.stderr)") }
        return try JSONDecoder().decode(EpisodeCheck.self, from: Data(result.stdout.utf8))
    }
}

/// Any JSON value (for dumped datasets).
public enum JSONValue: Decodable, Sendable {
    case number(Double)
    case bool(Bool)
    case string(String)
    case array([JSONValue])
    case null

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .array(try c.decode([JSONValue].self)) }
    }

    /// Every number, flattened in row-major order (bools as 0/1).
    public var flat: [Double] {
        switch self {
        case let .number(n): [n]
        case let .bool(b): [b ? 1 : 0]
        case let .array(items): items.flatMap(\.flat)
        case .string, .null: []
        }
    }
}
