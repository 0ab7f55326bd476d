import Foundation
import PLDCore

/// What an operator can do to a run, whoever asks: the control socket (`pld estop` …) and the
/// live view's keys call the same functions, so a key and a command can never mean different
/// things. Safe from any thread except the control thread (it allocates and may wait briefly).
public struct OperatorActions: Sendable {
    let view: OperatorView

    public struct Outcome: Sendable {
        public var accepted: Bool
        /// One line: what happened, or why it was refused.
        public var message: String
        /// E-stop: CLOCK_MONOTONIC when the holds were handed to the arms' sockets (0: not sent).
        public var holdsSentNanos: UInt64 = 0
    }

    /// Raises the latch and sends a hold to every arm from this thread (not the control
    /// thread's), so it works while the control thread is stuck.
    public func estop(by who: String, reason: String = "") -> Outcome {
        let why = reason.isEmpty ? "" : " (\(reason))"
        let wasLatched = view.egress.isLatched
        let sent = view.egress.estop(reason: "operator: \(who)\(why)", now: monotonicNanos)
        let sentAt = sent ? monotonicNanos() : 0
        if !wasLatched {
            view.status.count(.estops)
            view.events.add("e-stop by \(who)\(why)")
            view.log("e-stop by \(who)\(why); every arm holds until `pld reset`")
        }
        let message = sent
            ? (wasLatched ? "already latched; holds sent again" : "latched; every arm holds until `pld reset`")
            : "latched; the links were busy for 50 ms, so the holds go out with the next control tick"
        return Outcome(accepted: true, message: message, holdsSentNanos: sentAt)
    }

    /// Asks the control thread to reset (it checks the gates) and waits up to 2 s for its
    /// answer.
    public func reset(by who: String, reason: String = "") -> Outcome {
        let ticket = view.control.requestReset()
        let deadline = monotonicNanos() + 2_000_000_000
        var verdict: RunControl.ResetVerdict?
        while verdict == nil, monotonicNanos() < deadline {
            verdict = view.control.resetVerdict(for: ticket)
            if verdict == nil { usleep(1_000) }
        }
        let why = reason.isEmpty ? "" : " (\(reason))"
        switch verdict {
        case .accepted?:
            view.events.add("reset by \(who)\(why)")
            return Outcome(accepted: true, message: "resetting: \(resetSummary); then the run continues")
        case .noProcedure?:
            view.events.add("reset by \(who)\(why) (no procedure)")
            return Outcome(accepted: true, message: "latch cleared; the config has no reset procedure, so the run continues from where the arms are")
        case .finishing?:
            return Outcome(accepted: false, message: "the run is finishing; nothing to reset")
        case let .gateFailed(index)?:
            view.events.add("reset refused: gate \(index) (\(gateDescription(index))) does not hold")
            return Outcome(accepted: false, message: "reset refused: gate \(index) (\(gateDescription(index))) does not hold; make the cell safe, then reset again")
        case nil:
            return Outcome(accepted: true, message: "reset pending: the control thread has not answered in 2 s (it runs when the control thread does)")
        }
    }

    public func pause(by who: String, reason: String = "") -> Outcome {
        view.control.setPaused(true)
        view.events.add("paused by \(who)" + (reason.isEmpty ? "" : " (\(reason))"))
        return Outcome(accepted: true, message: "paused: every arm holds; `pld resume` continues")
    }

    public func resume(by who: String, reason: String = "") -> Outcome {
        guard !view.egress.isLatched else {
            return Outcome(accepted: false, message: "the e-stop is latched (\(view.egress.reason)); `pld reset` clears it")
        }
        view.control.setPaused(false)
        view.events.add("resumed by \(who)" + (reason.isEmpty ? "" : " (\(reason))"))
        return Outcome(accepted: true, message: "resumed")
    }

    public func stop(by who: String, reason: String = "") -> Outcome {
        view.control.requestStopAfterEpisode()
        view.events.add("stop requested by \(who)" + (reason.isEmpty ? "" : " (\(reason))"))
        return Outcome(accepted: true, message: "the run ends after the current episode")
    }

    /// The operator's verdict on the running episode (counted as an intervention).
    public func mark(_ verdict: RunControl.Mark, by who: String) -> Outcome {
        guard view.status.phase == "running" else {
            return Outcome(accepted: false, message: "no episode is running (\(view.status.phase))")
        }
        view.control.requestMark(verdict)
        let word = verdict == .success ? "success" : "failure"
        view.events.add("episode \(view.status.episode) marked \(word) by \(who)")
        return Outcome(accepted: true, message: "episode \(view.status.episode) marked \(word)")
    }

    private var resetSummary: String {
        guard let reset = view.config.reset else { return "no procedure" }
        return String(format: "joint-space move home at ≤ %.2f rad/s", reset.maxJointSpeedRadPerS)
            + (reset.openGripperFirst ? ", gripper opened first" : "")
    }

    private func gateDescription(_ index: Int) -> String { resetGateDescription(view.config, index) }
}

/// Reset gate `index` of the config as operators read it ("gripper_empty left").
func resetGateDescription(_ config: RobotConfig, _ index: Int) -> String {
    guard let gates = config.reset?.gates, index >= 0, index < gates.count else { return "#\(index)" }
    let gate = gates[index]
    return [gate.kind.rawValue, gate.arm, gate.classifier].compactMap { $0 }.joined(separator: " ")
}
