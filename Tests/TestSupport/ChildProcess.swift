import Foundation

/// A child process for tests, with line-oriented access to its stdout.
///
/// The child is killed (SIGKILL) if the test forgets to stop it, when ``waitForLine(prefix:timeoutMilliseconds:)``
/// times out, and on deinit, so a failing test never leaves a process behind. Its stdin is a
/// pipe that ``stop()`` closes: `pld-test-peer` exits on end-of-file. Its stderr goes to the
/// test's stderr.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `lines`/`pending`/`finished` are guarded by `lock`; the rest is immutable.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let executable: URL
    public let arguments: [String]
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSCondition()
    private var lines: [String] = []
    private var pending = Data()
    private var outputClosed = false
    private var launched = false

    /// Launches `executable` with `arguments`.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        self.executable = executable
        self.arguments = arguments
        process.executableURL = executable
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardInput = input
        process.standardOutput = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.append(data)
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        try process.run()
        launched = true
    }

    deinit {
        output.fileHandleForReading.readabilityHandler = nil
        kill()
    }

    private func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        if data.isEmpty {
            outputClosed = true
        } else {
            pending.append(data)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        lock.broadcast()
    }

    /// Waits until the child prints a line starting with `prefix` and returns that line.
    /// Lines before it are consumed. Kills the child and throws if the line does not come in
    /// time (unless `killOnTimeout` is false: then it only throws) or the child closes its stdout first.
    @discardableResult
    public func waitForLine(prefix: String, timeoutMilliseconds: Int = 5_000, killOnTimeout: Bool = true) throws -> String {
        let deadline = Date().addingTimeInterval(Double(timeoutMilliseconds) / 1000)
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let index = lines.firstIndex(where: { $0.hasPrefix(prefix) }) {
                let line = lines[index]
                lines.removeSubrange(...index)
                return line
            }
            if outputClosed || !lock.wait(until: deadline) {
                let seen = lines.joined(separator: " | ")
                let reason = outputClosed ? "exited" : "timed out after \(timeoutMilliseconds) ms"
                if killOnTimeout || outputClosed {
                    lock.unlock()
                    kill()
                    lock.lock()
                }
                throw Failure(
                    description: "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) "
                        + "\(reason) waiting for \"\(prefix)\"; unread output: [\(seen)]")
            }
        }
    }

    /// Waits for the child to close its stdout (exit), up to `timeoutMilliseconds`, and returns
    /// every line not consumed yet.
    public func remainingLines(timeoutMilliseconds: Int = 30_000) -> [String] {
        let deadline = Date().addingTimeInterval(Double(timeoutMilliseconds) / 1000)
        lock.lock()
        defer { lock.unlock() }
        while !outputClosed && lock.wait(until: deadline) {}
        let rest = lines + (pending.isEmpty ? [] : [String(decoding: pending, as: UTF8.self)])
        lines = []
        return rest
    }

    /// Waits until the child prints a line containing `text`, and returns it without consuming
    /// the lines before it.
    @discardableResult
    public func waitForLine(containing text: String, timeoutMilliseconds: Int = 5_000) throws -> String {
        let deadline = Date().addingTimeInterval(Double(timeoutMilliseconds) / 1000)
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let index = lines.firstIndex(where: { $0.contains(text) }) {
                return lines.remove(at: index)
            }
            if outputClosed || !lock.wait(until: deadline) {
                throw Failure(description: "\(executable.lastPathComponent) \(outputClosed ? "exited" : "timed out") waiting for a line containing \"\(text)\"; unread output: [\(lines.joined(separator: " | "))]")
            }
        }
    }

    /// The rest of the `READY <endpoint>` line: the endpoint the child bound.
    public func waitForReady(timeoutMilliseconds: Int = 5_000) throws -> String {
        let line = try waitForLine(prefix: "READY ", timeoutMilliseconds: timeoutMilliseconds)
        return String(line.dropFirst("READY ".count))
    }

    /// Ends the child politely (closes its stdin), and kills it if it is still running after
    /// `graceMilliseconds`.
    public func stop(graceMilliseconds: Int = 1_000) {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(Double(graceMilliseconds) / 1000)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        kill()
    }

    /// The exit status once the child has exited (after `stop()` or `kill()`), else nil.
    public var exitStatus: Int32? { process.isRunning || !launched ? nil : process.terminationStatus }

    /// The child's process id (0 before launch).
    public var pid: Int32 { launched ? process.processIdentifier : 0 }

    /// Sends `signal` to the child (no-op once it has exited).
    public func signal(_ signal: Int32) {
        guard launched, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, signal)
    }

    /// Kills the child with SIGKILL (a simulated crash) and reaps it. Does nothing if it has
    /// already exited.
    public func kill() {
        guard launched else { return }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }
}

/// Runs `body` on a thread of its own and awaits it, so that a test which waits on processes,
/// sockets or files for seconds does not hold one of Swift Testing's few cooperative threads
/// (two on a two-core machine) while tests in other suites wait to run.
public func awaitBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
