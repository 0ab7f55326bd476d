import Foundation

/// Where operator sockets live on this machine, shared by `pld run` (binds) and the terminal
/// commands (connect): `$XDG_RUNTIME_DIR` when it is set and a directory, else
/// `/tmp/pld-<uid>`; below it `pld/<config name>/{control,status}.sock`, every directory
/// owner-only (0700), so only this user's processes can reach a local run.
public enum OperatorRuntimeDirectory {
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: xdg, isDirectory: &isDirectory), isDirectory.boolValue { return xdg }
        }
        return "/tmp/pld-\(getuid())"
    }

    /// `<runtime>/pld`: one subdirectory per config name with a local run's sockets.
    public static func runsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        path(environment: environment) + "/pld"
    }
}
