import Foundation
import OperatorCLI
import Runtime
import Synchronization
import Wire

/// The live view in `pld run`'s own terminal: one screen redrawn 4 times a second (episode
/// progress, stage, handoff, success rate, link ages, tick timing, recent events) and keys —
/// space e-stop, r reset, p pause/resume, q stop after the episode, s/f mark the episode a
/// success/failure. Keys go through `RobotRun.operatorActions`, the same functions the control
/// socket uses.
///
/// Threading: its own thread ("pld live view") reads the keyboard and draws; `log` may be
/// called from any thread. The terminal is put in non-canonical, no-echo mode (signals stay on:
/// Ctrl-C still ends the run) on the alternate screen, and restored by `stop()`.
final class LiveView: @unchecked Sendable {
    // @unchecked: `saved` and `thread` are touched by the starting thread before the view
    // thread runs and after it has finished; the rest is atomics and a mutex.
    private let logLines = Mutex<[String]>([])
    private let lastKey = Mutex<String>("")
    private let running = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private var saved = termios()
    private var started = false

    /// True when both ends are a terminal (else `pld run` prints plain lines).
    static var terminalAttached: Bool { isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 }

    /// A log line (warnings, recovery, errors) shown under "recent".
    func log(_ line: String) {
        let stamp = Self.clock(Date().timeIntervalSince1970)
        logLines.withLock { lines in
            lines.append("\(stamp) \(line)")
            if lines.count > 32 { lines.removeFirst(lines.count - 32) }
        }
    }

    /// After `stop()`: the log lines the screen showed, to stderr, so they stay in the
    /// scrollback.
    func printLog() {
        for line in logLines.withLock({ $0 }) { printError("pld run: \(line)") }
    }

    func start(_ run: RobotRun) {
        tcgetattr(STDIN_FILENO, &saved)
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        FileHandle.standardOutput.write(Data("\u{1B}[?1049h\u{1B}[?25l".utf8))
        started = true
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            self.loop(run)
            self.finished.store(true, ordering: .releasing)
        }
        thread.name = "pld live view"
        thread.start()
    }

    /// Stops drawing and gives the terminal back as it was.
    func stop() {
        guard started else { return }
        running.store(false, ordering: .releasing)
        while !finished.load(ordering: .acquiring) { usleep(5_000) }
        FileHandle.standardOutput.write(Data("\u{1B}[?25h\u{1B}[?1049l".utf8))
        tcsetattr(STDIN_FILENO, TCSANOW, &saved)
        started = false
    }

    private func loop(_ run: RobotRun) {
        var nextDraw = Date()
        while running.load(ordering: .acquiring) {
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            let wait = max(0, Int32(nextDraw.timeIntervalSinceNow * 1000))
            if poll(&descriptor, 1, min(wait, 250)) > 0 {
                var byte: UInt8 = 0
                while read(STDIN_FILENO, &byte, 1) == 1 { handleKey(byte, run) }
            }
            if Date() >= nextDraw {
                nextDraw = Date().addingTimeInterval(0.25)
                draw(run.statusSnapshot(), events: run.events.recent(8))
            }
        }
    }

    private func handleKey(_ byte: UInt8, _ run: RobotRun) {
        let who = "the run's terminal"
        let actions = run.operatorActions
        let outcome: OperatorActions.Outcome
        switch byte {
        case UInt8(ascii: " "): outcome = actions.estop(by: who, reason: "space bar")
        case UInt8(ascii: "r"): outcome = actions.reset(by: who)
        case UInt8(ascii: "p"):
            outcome = run.status.state == .paused ? actions.resume(by: who) : actions.pause(by: who)
        case UInt8(ascii: "q"): outcome = actions.stop(by: who)
        case UInt8(ascii: "s"): outcome = actions.mark(.success, by: who)
        case UInt8(ascii: "f"): outcome = actions.mark(.failure, by: who)
        default: return
        }
        let key = byte == UInt8(ascii: " ") ? "space" : String(UnicodeScalar(byte))
        lastKey.withLock { $0 = "[\(key)] " + (outcome.accepted ? "" : "refused: ") + outcome.message }
    }

    private func draw(_ s: PLDRunStatus, events: [RunEvents.Event]) {
        var size = winsize()
        let columns = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) : 100
        let width = 30
        let filled = s.episodeMaxSteps == 0 ? 0 : min(width, Int(s.episodeStep) * width / Int(s.episodeMaxSteps))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let residual = s.handoffStep < 0 ? "base only (no handoff)"
            : Int(s.episodeStep) >= Int(s.handoffStep) ? "handoff at \(s.handoffStep): base + residual" : "handoff at \(s.handoffStep): base alone"
        let state = s.state == .estopped ? "\u{1B}[1;41m E-STOPPED \u{1B}[0m" : s.state == .faulted || s.state == .paused
            ? "\u{1B}[1;43m \(s.state.label.uppercased()) \u{1B}[0m" : "\u{1B}[1m\(s.state.label.uppercased())\u{1B}[0m"
        var lines = [
            "pld run — \(s.configName) — \(state)   \(Self.clock(Double(s.timeUnixNs) / 1e9)) UTC",
            s.pauseReason.isEmpty ? "" : "  \(s.pauseReason)",
            "episode \(s.episode)  [\(bar)] \(s.episodeStep)/\(s.episodeMaxSteps) steps   stage: \(s.stageName)   \(residual)",
            String(format: "success (last %d): %.0f %%   episodes %llu, successes %llu, aborted %llu",
                   min(50, Int(s.episodesDone - s.episodesAborted)), 100 * s.successRateLast50, s.episodesDone, s.successes, s.episodesAborted),
            String(format: "tick: compute p50 %.0f µs p99 %.0f µs   jitter p99 %.0f µs   deadline misses %llu",
                   s.tick.computeP50Us, s.tick.computeP99Us, s.tick.jitterP99Us, s.tick.deadlineMisses),
            "links: " + s.links.map { link in
                let age = link.ageS < 0 ? "" : String(format: " %.0f ms", link.ageS * 1e3)
                return "\(link.name) " + (link.healthy ? "ok" : "\u{1B}[31mDOWN\u{1B}[0m") + age
            }.joined(separator: " │ "),
            "counts: interventions \(s.interventions), manual resets \(s.manualResets), e-stops \(s.estops), faults \(s.faults) "
                + "(driver \(s.faultsDriver), policy \(s.faultsPolicy), camera \(s.faultsCamera)), safety events \(s.safetyEvents)",
            "",
            "recent:",
        ]
        let logs = logLines.withLock { Array($0.suffix(4)) }
        lines += events.map { "  \(Self.clock($0.unixSeconds)) \($0.text)" }
        lines += logs.map { "  \($0)" }
        lines += ["", "keys: space e-stop · r reset · p pause/resume · q stop after this episode · s/f mark success/failure"]
        let key = lastKey.withLock { $0 }
        if !key.isEmpty { lines.append(key) }
        let screen = lines.map { Self.truncate($0, to: columns) }.joined(separator: "\u{1B}[K\n")
        FileHandle.standardOutput.write(Data(("\u{1B}[H" + screen + "\u{1B}[K\n\u{1B}[J").utf8))
    }

    /// `line` cut to `columns` visible characters (escape sequences do not count).
    static func truncate(_ line: String, to columns: Int) -> String {
        var visible = 0
        var out = ""
        var inEscape = false
        for ch in line {
            if ch == "\u{1B}" { inEscape = true }
            if inEscape {
                out.append(ch)
                if ch.isLetter { inEscape = false }
                continue
            }
            guard visible < columns else { break }
            out.append(ch)
            visible += 1
        }
        return out + (inEscape ? "" : "\u{1B}[0m")
    }

    static func clock(_ unixSeconds: Double) -> String {
        let t = Int(unixSeconds) % 86_400
        return String(format: "%02d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
    }
}
