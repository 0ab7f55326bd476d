import Foundation
import Simulation

/// Starts `pld sim ARGUMENTS` as a child of this benchmark and returns once it printed READY.
/// The child exits with this process (`--parent-pid`); its stderr goes to `logPath` (nil:
/// discarded), whose last line is quoted if it dies before READY.
func launchSimChild(pldExecutable: String, arguments: [String], logPath: String?) throws -> Process {
    let sim = Process()
    sim.executableURL = URL(fileURLWithPath: pldExecutable)
    sim.arguments = ["sim"] + arguments + ["--parent-pid", String(getpid())]
    let output = Pipe()
    sim.standardOutput = output
    if let logPath {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        sim.standardError = FileHandle(forWritingAtPath: logPath)
    } else {
        sim.standardError = FileHandle.nullDevice
    }
    try sim.run()
    var banner = Data()
    while !String(decoding: banner, as: UTF8.self).contains("READY") {
        let chunk = output.fileHandleForReading.availableData
        guard !chunk.isEmpty else {
            let last = logPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?.split(separator: "\n").last.map(String.init)
            throw SimulationError("pld sim exited before READY" + (last.map { ": \($0)" } ?? ""))
        }
        banner.append(chunk)
    }
    return sim
}
