import Foundation

/// Launches `pld-test-peer` (the `Tests/TestPeer` executable) for cross-process tests.
public enum TestPeer {
    /// The peer binary: `$PLD_TEST_PEER`, or the build directory holding the test binary
    /// (`.build/<triple>/debug/pldPackageTests.xctest` on Linux; inside the `.xctest` bundle on
    /// macOS).
    public static let executable: URL = {
        if let path = ProcessInfo.processInfo.environment["PLD_TEST_PEER"] {
            return URL(fileURLWithPath: path)
        }
        var testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            testBinary = URL(fileURLWithPath: path)
        }
        var directory = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("pld-test-peer")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return testBinary.deletingLastPathComponent().appendingPathComponent("pld-test-peer")
    }()

    /// Starts `pld-test-peer <arguments>`.
    public static func launch(_ arguments: String...) throws -> ChildProcess {
        try ChildProcess(executable, arguments)
    }
}
