import Foundation
import Glibc
import PLDCore

/// One camera's episode video: an `ffmpeg` child process reading raw RGB frames on its stdin
/// and writing an MP4 (libx264 or libsvtav1, the configured pixel format, GOP and CRF).
///
/// Runs off the control thread (the recorder thread writes frames; a full pipe blocks only the
/// recorder). The encoder runs at nice 10 so it yields the CPU to the control loop. Its stderr
/// (`-loglevel error`) goes to `logPath`, whose last line is quoted when encoding fails.
///
/// Threading: one owner thread.
final class VideoEncoder {
    let outputPath: String
    let width: Int
    let height: Int
    private let pid: pid_t
    /// Write end of ffmpeg's stdin.
    private let input: Int32
    private let logPath: String
    private(set) var frames = 0
    private var closed = false

    /// The ffmpeg arguments for `config` (exposed for tests and the README).
    static func arguments(width: Int, height: Int, fps: Double, config: VideoConfig, output: String) -> [String] {
        let rate = fps == fps.rounded() ? String(Int(fps)) : String(format: "%.6f", fps)
        var args = [
            "-hide_banner", "-loglevel", "error", "-nostats",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", "\(width)x\(height)", "-framerate", rate, "-i", "pipe:0",
            "-c:v", config.codec.rawValue, "-pix_fmt", config.pixelFormat.rawValue, "-g", String(config.gop),
            "-crf", String(config.crf), "-preset", config.effectivePreset,
        ]
        switch config.codec {
        case .libx264: args += ["-threads", String(config.encoderThreads)]
        case .libsvtav1: args += ["-svtav1-params", "lp=\(config.encoderThreads)"]
        case .raw: break
        }
        return args + ["-f", "mp4", "-y", output]
    }

    /// Starts ffmpeg with `posix_spawn` (no helper threads, no run loop: the recorder thread
    /// owns the child and reaps it itself), its stdin a pipe, stdout /dev/null, stderr `logPath`.
    init(outputPath: String, width: Int, height: Int, fps: Double, config: VideoConfig, logPath: String) throws(RecordingError) {
        precondition(config.codec != .raw, "raw frames are not encoded")
        self.outputPath = outputPath
        self.width = width
        self.height = height
        self.logPath = logPath
        guard let ffmpeg = Self.ffmpegPath else {
            throw RecordingError("recording: ffmpeg not found on PATH (needed for \(config.codec.rawValue) video; install ffmpeg or set recording.video.codec: raw)")
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw RunDirectory.errnoError("cannot create a pipe for ffmpeg", outputPath) }
        // Neither end may survive into a child: ffmpeg sees end of input only once every copy
        // of the write end is closed. (Glibc's module does not export pipe2.)
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal handling (we ignore SIGPIPE and SIGXFSZ).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGXFSZ)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let argv = [ffmpeg] + Self.arguments(width: width, height: height, fps: fps, config: config, output: outputPath)
        var child: pid_t = 0
        let status = withCStrings(argv) { pointers -> Int32 in
            var terminated = pointers.map { UnsafeMutablePointer(mutating: $0) } + [nil]
            return posix_spawn(&child, ffmpeg, &actions, &attributes, &terminated, environ)
        }
        close(fds[0])
        guard status == 0 else {
            close(fds[1])
            throw RecordingError("recording: cannot start \(ffmpeg): \(String(cString: strerror(status)))")
        }
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(child), 10)
        pid = child
        input = fds[1]
    }

    deinit { if !closed { cancel() } }

    /// Sends one frame of `width · height · 3` RGB bytes. Blocks while ffmpeg's pipe is full.
    func write(frame: UnsafeRawBufferPointer) throws(RecordingError) {
        precondition(frame.count == width * height * 3, "frame of \(frame.count) bytes for \(width)×\(height)")
        let fd = input
        var offset = 0
        while offset < frame.count {
            let n = Glibc.write(fd, frame.baseAddress! + offset, frame.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                // EPIPE: ffmpeg exited (its log says why). Closing first lets any other failure
                // end it too (end of input) before it is reaped.
                closed = true
                close(input)
                _ = reap()
                throw failure("writing frame \(frames) failed (\(String(cString: strerror(code))))")
            }
            offset += n
        }
        frames += 1
    }

    /// Ends the input, waits for ffmpeg, and fsyncs the video. Throws when ffmpeg failed.
    func finish() throws(RecordingError) {
        guard !closed else { return }
        closed = true
        close(input)
        let status = reap()
        // Exited (low 7 bits 0) with code 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw failure(status & 0x7f == 0 ? "ffmpeg exited with status \((status >> 8) & 0xff)" : "ffmpeg died of signal \(status & 0x7f)")
        }
        let fd = open(outputPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RecordingError("\(outputPath): ffmpeg wrote no file") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw RunDirectory.errnoError("cannot fsync", outputPath) }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// Stops ffmpeg without waiting for a valid file (error paths).
    func cancel() {
        guard !closed else { return }
        closed = true
        close(input)
        kill(pid, SIGTERM)
        _ = reap()
    }

    /// Waits for the child and returns its wait status.
    private func reap() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    private func failure(_ what: String) -> RecordingError {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let last = log.split(separator: "\n").last.map(String.init) ?? ""
        let outOfSpace = log.contains("No space left") || log.contains("File too large")
        return RecordingError("\(outputPath): video \(what)" + (last.isEmpty ? "" : ": \(last)"), isOutOfSpace: outOfSpace)
    }

    /// `ffmpeg` on PATH, or nil.
    static let ffmpegPath: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/ffmpeg"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }()
}
