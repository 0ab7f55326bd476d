import Foundation
import Runtime

/// Writes `run_summary.json` (format `pld-run-summary/1`, read by Tools/report) to `directory`
/// and runs Tools/report on it for report.md and the plots. Failures are reported in one line
/// each and never fail the run: the episodes are already safe on disk.
func writeRunReport(_ summary: RunSummary, configName: String, directory: String, log: (String) -> Void) {
    let path = (directory as NSString).appendingPathComponent("run_summary.json")
    let counter: (RunStatusBoard.Counter) -> UInt64 = { summary.counters[$0] ?? 0 }
    func micros(_ n: (p50: UInt64, p99: UInt64, max: UInt64)) -> [String: Double] {
        ["p50": Double(n.p50) / 1e3, "p99": Double(n.p99) / 1e3, "max": Double(n.max) / 1e3]
    }
    var object: [String: Any] = [
        "format": "pld-run-summary/1",
        "config_name": configName,
        "started_unix_ns": summary.startedUnixNanos,
        "ended_unix_ns": summary.endedUnixNanos,
        "end_reason": summary.endReason,
        "speed": summary.speed,
        "control_rate_hz": summary.controlRateHz,
        "ticks": summary.ticks,
        "deadline_misses": summary.deadlineMisses,
        "tick_compute_us": micros(summary.tickComputeNanos),
        "tick_jitter_us": micros(summary.tickJitterNanos),
        "tick_compute_histogram_us": summary.tickComputeBuckets.map { [Double($0.upperBound) / 1e3, Double($0.count)] },
        "tick_jitter_histogram_us": summary.tickJitterBuckets.map { [Double($0.upperBound) / 1e3, Double($0.count)] },
        "counters": [
            "episodes": counter(.episodes), "successes": counter(.successes), "interventions": counter(.interventions),
            "manual_resets": counter(.manualResets), "estops": counter(.estops), "faults_driver": counter(.faultsDriver),
            "faults_policy": counter(.faultsPolicy), "faults_camera": counter(.faultsCamera),
            "faults_driver_between_episodes": counter(.faultsBetweenEpisodes),
            "safety_events": counter(.safetyEvents), "policy_stalls": counter(.policyStalls),
        ],
        "rss_start_kib": summary.residentStartKiB,
        "rss_end_kib": summary.residentEndKiB,
        "warnings": summary.warnings,
        "stage_names": summary.stageNames,
    ]
    if let learner = summary.learner {
        object["learner"] = [
            "phase": learner.phase, "warmup_episodes": learner.warmupEpisodes, "learning_episodes": learner.learningEpisodes,
            "offline_transitions": learner.offlineTransitions, "online_transitions": learner.onlineTransitions,
            "updates": learner.updates, "warm_start_updates": learner.warmStartUpdates, "versions": learner.version,
            "failure": learner.failure.map { $0 as Any } ?? NSNull(),
        ] as [String: Any]
    }
    let started = summary.startedUnixNanos
    var endedAt = started
    object["episodes"] = summary.episodes.map { e -> [String: Any] in
        endedAt += Int64(e.durationNanos)
        var entry: [String: Any] = [
            "index": e.index, "length": e.steps, "duration_s": Double(e.durationNanos) / 1e9,
            "handoff_step": e.handoffStep.map { $0 as Any } ?? NSNull(), "ended_unix_ns": endedAt,
        ]
        switch e.outcome {
        case .success: entry["outcome"] = "success"; entry["aborted_reason"] = NSNull()
        case .timeout: entry["outcome"] = "timeout"; entry["aborted_reason"] = NSNull()
        case let .failed(stage, cause):
            entry["outcome"] = "failure"; entry["aborted_reason"] = NSNull()
            entry["failed_stage"] = stage < summary.stageNames.count ? summary.stageNames[stage] : String(stage)
            entry["failure_cause"] = cause.rawValue
        case let .aborted(reason): entry["outcome"] = "aborted"; entry["aborted_reason"] = reason.recordedName
        }
        // Per stage: [attempts, successes, failures, timeouts, steps].
        entry["stage_stats"] = (0..<min(summary.stageNames.count, 16)).map { k -> [Int] in
            let s = e.stageStats[k]
            return [Int(s.attempts), Int(s.successes), Int(s.failures), Int(s.timeouts), Int(s.steps)]
        }
        entry["final_stage"] = e.finalStage
        if summary.learner != nil {
            entry["residual_version"] = e.residualVersion
            entry["learner_warmup"] = e.learnerWarmup
        }
        return entry
    }
    if let recording = summary.recording {
        object["recording"] = [
            "directory": recording.directory, "episodes_written": recording.counters.episodesClosed,
            "dropped_steps": recording.counters.stepsDropped, "failure": recording.failure.map { $0 as Any } ?? NSNull(),
        ] as [String: Any]
    } else {
        object["recording"] = NSNull()
    }
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        log("report: cannot write \(path): \(error.localizedDescription)")
        return
    }
    guard let script = locateTool("Tools/report") else {
        log("report: wrote \(path); Tools/report not found (run from the repository, or set PLD_TOOLS_DIR) so no report.md")
        return
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, directory]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    do {
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 0 {
            log("report: \((directory as NSString).appendingPathComponent("report.md"))")
        } else {
            log("report: Tools/report failed: \(String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    } catch {
        log("report: cannot run Tools/report: \(error.localizedDescription)")
    }
}
