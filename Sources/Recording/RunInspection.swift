import Foundation

/// What `pld inspect` shows of a run directory: one row per closed episode, totals, and the
/// files that belong to no closed episode. Read-only.
public struct RunInspection: Sendable {
    public let runPath: String
    public let entries: [IndexEntry]
    /// Partial and incomplete files, relative to the run directory.
    public let unclosedFiles: [String]

    public init(runPath: String, entries: [IndexEntry]) {
        self.runPath = runPath
        self.entries = entries.sorted { $0.episodeIndex < $1.episodeIndex }
        var files: [String] = []
        let manager = FileManager.default
        for folder in ["episodes", "incomplete"] {
            let names = (try? manager.contentsOfDirectory(atPath: (runPath as NSString).appendingPathComponent(folder))) ?? []
            files += names.sorted().filter { folder == "incomplete" || $0.hasSuffix(".partial") }.map { "\(folder)/\($0)" }
        }
        unclosedFiles = files
    }

    public struct Totals: Sendable, Codable {
        public var episodes = 0
        public var successes = 0
        public var frames = 0
        /// Frames from the handoff step on (the hybrid part SFT trains on).
        public var hybridFrames = 0
        public var safetyEvents = 0
        public var policyStalls = 0
        public var droppedSteps = 0
        public var bytes = 0
        public var seconds = 0.0

        enum CodingKeys: String, CodingKey {
            case episodes, successes, frames, hybridFrames = "hybrid_frames", safetyEvents = "safety_events"
            case policyStalls = "policy_stalls", droppedSteps = "dropped_steps", bytes, seconds
        }
    }

    public var totals: Totals {
        var t = Totals()
        for e in entries {
            t.episodes += 1
            if e.success { t.successes += 1 }
            t.frames += e.length
            if let handoff = e.handoffStep { t.hybridFrames += max(0, e.length - handoff) }
            t.safetyEvents += e.safetyEvents
            t.policyStalls += e.policyStalls
            t.droppedSteps += e.droppedSteps
            t.bytes += e.bytes
            t.seconds += Double(e.length) / e.fps
        }
        return t
    }

    /// The table, a totals line, and the unclosed files.
    public func table() -> [String] {
        let widths = [8, 7, 7, 22, 8, 9, 8, 7, 7, 8, 10]
        func row(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                let (cell, width) = pair
                let padding = String(repeating: " ", count: max(0, width - cell.count))
                // Text columns (outcome, stages) read left-aligned, numbers right-aligned.
                return index == 0 || index == 3 || index == 6 ? cell + padding : padding + cell
            }.joined(separator: " ")
        }
        var lines = [row(["episode", "steps", "sim s", "outcome", "handoff", "residual", "stages", "safety", "stalls", "dropped", "size"])]
        for e in entries {
            let outcome = e.outcome == "aborted" ? "aborted (\(e.abortedReason ?? "?"))" : e.outcome
            lines.append(row([
                String(e.episodeIndex), String(e.length), String(format: "%.1f", Double(e.length) / e.fps), outcome,
                e.handoffStep.map(String.init) ?? "none", String(e.residualSteps), e.stages.map(String.init).joined(separator: ","),
                String(e.safetyEvents), String(e.policyStalls), String(e.droppedSteps), Self.size(e.bytes),
            ]))
        }
        let t = totals
        let rate = t.episodes == 0 ? 0 : 100 * Double(t.successes) / Double(t.episodes)
        lines.append(
            "total: \(t.episodes) episodes, \(t.successes) successes (\(String(format: "%.0f", rate)) %), \(t.frames) frames "
                + "(\(String(format: "%.1f", t.seconds)) sim s), \(t.hybridFrames) hybrid frames, \(t.safetyEvents) safety events, "
                + "\(t.policyStalls) policy stalls, \(t.droppedSteps) dropped steps, \(Self.size(t.bytes))")
        if !unclosedFiles.isEmpty {
            lines.append("not closed (the open episode of a live run, or left by an interrupted one; never exported):")
            lines += unclosedFiles.map { "  \($0)" }
        }
        return lines
    }

    public func json() -> String {
        struct Output: Encodable {
            var run: String
            var episodes: [IndexEntry]
            var totals: Totals
            var unclosedFiles: [String]
            enum CodingKeys: String, CodingKey { case run, episodes, totals, unclosedFiles = "unclosed_files" }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Output(run: runPath, episodes: entries, totals: totals, unclosedFiles: unclosedFiles))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
            : bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) : String(format: "%.0f KiB", Double(bytes) / 1024)
    }
}
