import Foundation

/// Executables SwiftPM builds next to the test binary (`pld`, `pld-bench`, `pld-test-peer`).
public enum BuiltProducts {
    /// The build directory holding the test binary (`.build/<triple>/debug/pldPackageTests.xctest`
    /// on Linux; inside the `.xctest` bundle on macOS), found through `/proc/self/exe`.
    public static let directory: URL = {
        var testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            testBinary = URL(fileURLWithPath: path)
        }
        var directory = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("pld-test-peer").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return testBinary.deletingLastPathComponent()
    }()

    /// An executable product by name; `$PLD_<NAME>` (upper-cased, dashes as underscores) overrides.
    public static func executable(_ name: String) -> URL {
        let variable = "PLD_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        if let path = ProcessInfo.processInfo.environment[variable] { return URL(fileURLWithPath: path) }
        return directory.appendingPathComponent(name)
    }
}

/// Launches `pld-test-peer` (the `Tests/TestPeer` executable) for cross-process tests.
public enum TestPeer {
    /// The peer binary (`$PLD_TEST_PEER` overrides).
    public static let executable: URL = BuiltProducts.executable("pld-test-peer")

    /// Starts `pld-test-peer <arguments>`.
    public static func launch(_ arguments: String...) throws -> ChildProcess {
        try ChildProcess(executable, arguments)
    }
}
