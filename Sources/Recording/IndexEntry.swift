import Foundation

/// One line of a run's `index.jsonl`: a closed episode (EpisodeFormat.md).
public struct IndexEntry: Codable, Sendable, Equatable {
    public var episodeIndex: Int
    /// Relative to the run directory.
    public var file: String
    public var length: Int
    public var fps: Double
    public var outcome: String
    public var success: Bool
    public var abortedReason: String?
    public var handoffStep: Int?
    public var residualSteps: Int
    public var stages: [Int]
    public var safetyEvents: Int
    public var policyStalls: Int
    public var droppedSteps: Int
    public var prompt: String
    /// Camera name → video path relative to the run directory (empty for raw frames).
    public var videos: [String: String]
    public var startedUnixNs: Int64
    public var durationS: Double
    /// Size of the HDF5 file, bytes.
    public var bytes: Int
    public var configHash: String
    /// Per task stage: attempts, successes, failures, timeouts and steps (absent in runs
    /// recorded before stages were counted).
    public var stageStats: [StageStat]?

    public struct StageStat: Codable, Sendable, Equatable {
        public var name: String
        public var attempts: Int
        public var successes: Int
        public var failures: Int
        public var timeouts: Int
        public var steps: Int
        public init(name: String, attempts: Int, successes: Int, failures: Int, timeouts: Int, steps: Int) {
            self.name = name
            self.attempts = attempts
            self.successes = successes
            self.failures = failures
            self.timeouts = timeouts
            self.steps = steps
        }
    }

    enum CodingKeys: String, CodingKey {
        case episodeIndex = "episode_index", file, length, fps, outcome, success
        case abortedReason = "aborted_reason", handoffStep = "handoff_step", residualSteps = "residual_steps", stages
        case safetyEvents = "safety_events", policyStalls = "policy_stalls", droppedSteps = "dropped_steps", prompt, videos
        case startedUnixNs = "started_unix_ns", durationS = "duration_s", bytes, configHash = "config_hash"
        case stageStats = "stage_stats"
    }

    public init(
        episodeIndex: Int, file: String, length: Int, fps: Double, outcome: String, success: Bool, abortedReason: String?,
        handoffStep: Int?, residualSteps: Int, stages: [Int], safetyEvents: Int, policyStalls: Int, droppedSteps: Int,
        prompt: String, videos: [String: String], startedUnixNs: Int64, durationS: Double, bytes: Int, configHash: String
    ) {
        self.episodeIndex = episodeIndex
        self.file = file
        self.length = length
        self.fps = fps
        self.outcome = outcome
        self.success = success
        self.abortedReason = abortedReason
        self.handoffStep = handoffStep
        self.residualSteps = residualSteps
        self.stages = stages
        self.safetyEvents = safetyEvents
        self.policyStalls = policyStalls
        self.droppedSteps = droppedSteps
        self.prompt = prompt
        self.videos = videos
        self.startedUnixNs = startedUnixNs
        self.durationS = durationS
        self.bytes = bytes
        self.configHash = configHash
    }

    // Explicit so that nulls are written (`"aborted_reason": null`), as the format promises.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(episodeIndex, forKey: .episodeIndex)
        try c.encode(file, forKey: .file)
        try c.encode(length, forKey: .length)
        try c.encode(fps, forKey: .fps)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(success, forKey: .success)
        try c.encode(abortedReason, forKey: .abortedReason)
        try c.encode(handoffStep, forKey: .handoffStep)
        try c.encode(residualSteps, forKey: .residualSteps)
        try c.encode(stages, forKey: .stages)
        try c.encode(safetyEvents, forKey: .safetyEvents)
        try c.encode(policyStalls, forKey: .policyStalls)
        try c.encode(droppedSteps, forKey: .droppedSteps)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(videos, forKey: .videos)
        try c.encode(startedUnixNs, forKey: .startedUnixNs)
        try c.encode(durationS, forKey: .durationS)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(configHash, forKey: .configHash)
        try c.encodeIfPresent(stageStats, forKey: .stageStats)
    }

    /// The entry as one JSON line (no newline).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and numbers cannot fail (non-finite doubles aside, and
        // fps and duration are finite by construction).
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes one index line; the error names what is wrong.
    public static func decode(line: String) throws(RecordingError) -> IndexEntry {
        do {
            return try JSONDecoder().decode(IndexEntry.self, from: Data(line.utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw RecordingError("missing field `\(key.stringValue)`")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw RecordingError(path.isEmpty ? "not an index entry (expected a JSON object)" : "field `\(path)`: \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw RecordingError(path.isEmpty ? "not JSON" : "field `\(path)`: \(context.debugDescription)")
        } catch {
            throw RecordingError("not an index entry: \(error)")
        }
    }
}
