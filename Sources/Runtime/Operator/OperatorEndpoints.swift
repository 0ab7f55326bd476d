import Foundation
import PLDCore

extension OperatorRuntimeDirectory {
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
