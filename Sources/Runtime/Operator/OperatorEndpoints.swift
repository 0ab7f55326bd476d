import Foundation
import PLDCore

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

    /// Creates `directory` and its parents up to `runtime` with mode 0700, and refuses a
    /// directory another user owns or others can enter (someone could then reach the sockets).
    static func makeOwnerOnly(_ directory: String) throws(RuntimeError) {
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw RuntimeError("operator: cannot create \(directory): \(error.localizedDescription)")
        }
        var info = stat()
        guard stat(directory, &info) == 0 else { throw RuntimeError("operator: cannot stat \(directory)") }
        guard info.st_uid == getuid() else {
            throw RuntimeError("operator: \(directory) belongs to uid \(info.st_uid), not to this user; refusing to put control sockets there")
        }
        if info.st_mode & 0o077 != 0, chmod(directory, 0o700) != 0 {
            throw RuntimeError("operator: \(directory) is open to other users and cannot be made owner-only")
        }
    }
}

/// The two endpoints of one run, resolved from its config.
public struct OperatorEndpoints: Sendable, Equatable {
    public var control: Endpoint
    public var status: Endpoint

    public init(config: OperatorConfig, configName: String, runtimeDirectory: String = OperatorRuntimeDirectory.path()) {
        control = config.controlEndpoint.resolved(runtimeDirectory: runtimeDirectory, configName: configName, socket: "control")
        status = config.statusEndpoint.resolved(runtimeDirectory: runtimeDirectory, configName: configName, socket: "status")
    }

    public var usesTCP: Bool { control.transport == .tcp || status.transport == .tcp }
}
