import Foundation
import Testing

/// Runs `Tests/Peers/openpi_msgpack_peer.py` with the machine's `python3` (override with the
/// `PLD_PYTHON` environment variable) and collects its exit status and output.
struct OpenPIPeerProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Repository root, three levels above this file (Tests/WireTests/<file>).
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let script = repoRoot.appendingPathComponent("Tests/Peers/openpi_msgpack_peer.py")

    /// A fresh empty directory for one test's exchange files.
    static func makeTemporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("pld-openpi-peer-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs the peer with `arguments`; gives up (and terminates it) after `timeoutSeconds`.
    static func run(_ arguments: [String], in directory: URL, timeoutSeconds: Double = 60) throws -> Output {
        let stdoutURL = directory.appendingPathComponent("peer.stdout")
        let stderrURL = directory.appendingPathComponent("peer.stderr")
        try Data().write(to: stdoutURL)
        try Data().write(to: stderrURL)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
        }

        let python = ProcessInfo.processInfo.environment["PLD_PYTHON"] ?? "python3"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path] + arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()

        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("python peer \(arguments) timed out after \(timeoutSeconds) s")
        }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")
    }

    /// The JSON object the peer printed as the last line of stdout.
    static func jsonObject(_ output: Output) throws -> [String: Any] {
        let line = output.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        guard let dict = object as? [String: Any] else { throw PeerOutputError(line: line) }
        return dict
    }

    struct PeerOutputError: Error, CustomStringConvertible {
        var line: String
        var description: String { "peer printed no JSON object: \(line)" }
    }
}

/// Test contents shared with the python peer (see the formulas in openpi_msgpack_peer.py).
enum OpenPIPeerContent {
    /// Byte i of image k's C-order data is (i * 7 + k * 101) % 251.
    static func image(_ k: Int, count: Int) -> [UInt8] {
        (0..<count).map { UInt8((($0 * 7) + k * 101) % 251) }
    }

    /// Element i is 0.5 * i - 1.25.
    static func state(_ n: Int) -> [Float] {
        (0..<n).map { Float($0) * 0.5 - 1.25 }
    }

    /// Element i of the (10, 8) chunk is 0.25 * i - 10.
    static let actions: [Double] = (0..<80).map { Double($0) * 0.25 - 10 }

    static func hex64(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
