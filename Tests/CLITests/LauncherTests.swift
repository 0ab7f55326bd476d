import Foundation
import TestSupport
import Testing

/// `pld` is two binaries (Sources/pld/main.swift): a light launcher that runs the operator
/// commands itself, because `pld estop` is on the e-stop's critical path, and `pld-engine`
/// for everything else.
@Suite struct LauncherTests {
    /// Libraries a terminal command must not wait for the dynamic loader to map and relocate.
    static let heavyLibraries = ["libmujoco", "libhdf5", "libopenblas", "libturbojpeg", "libcurl", "libswiftCore", "libFoundation"]

    /// What the dynamic loader maps for `path` (ldd: one line per library).
    static func linkedLibraries(_ path: String) throws -> [String] {
        let result = try PythonPeer.run(URL(fileURLWithPath: "/usr/bin/ldd"), [path])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map { String($0.trimmingCharacters(in: .whitespaces)) } }
    }

    @Test func theLauncherLinksNoHeavyLibraryButTheEngineDoes() throws {
        let launcher = try Self.linkedLibraries(BuiltProducts.executable("pld").path)
        #expect(launcher.contains { $0.hasPrefix("libzmq") }, "\(launcher)")
        for heavy in Self.heavyLibraries {
            #expect(!launcher.contains { $0.hasPrefix(heavy) }, "pld links \(heavy): \(launcher)")
        }
        // The check can fail: the engine links them.
        let engine = try Self.linkedLibraries(BuiltProducts.executable("pld-engine").path)
        #expect(engine.contains { $0.hasPrefix("libmujoco") } && engine.contains { $0.hasPrefix("libhdf5") }, "\(engine)")
    }

    /// Operator commands answer from the launcher (their help is there); the rest reach the
    /// engine with the same arguments, exit status and output.
    @Test func operatorCommandsRunInTheLauncherAndTheRestInTheEngine() throws {
        let estop = try pld("estop", "--help")
        #expect(estop.status == 0 && estop.stdout.contains("USAGE: pld estop"), "\(estop.stdout)\(estop.stderr)")
        let version = try pld("version")
        #expect(version.status == 0 && version.stdout.contains("libzmq"), "\(version.stdout)\(version.stderr)")
        let unknown = try pld("no-such-command")
        #expect(unknown.status != 0 && unknown.stderr.contains("no-such-command"), "\(unknown.stderr)")
    }

    /// A launcher copied somewhere without its engine says what is missing in one line.
    @Test func aLauncherWithoutItsEngineSaysSoInOneLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pld-alone-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let alone = directory.appendingPathComponent("pld")
        try FileManager.default.copyItem(at: BuiltProducts.executable("pld"), to: alone)
        let result = try PythonPeer.run(URL(fileURLWithPath: "/usr/bin/env"), ["PATH=/usr/bin:/bin", alone.path, "run", "--help"])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("pld-engine not found next to \(directory.path)/pld"), "\(result.stderr)")
        // The operator commands still work without the engine.
        let help = try PythonPeer.run(alone, ["status", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: pld status"), "\(help.stdout)\(help.stderr)")
    }
}
