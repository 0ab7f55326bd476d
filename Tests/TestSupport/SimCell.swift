import Foundation
import Synchronization

/// A shipped sim robot config copied into a scratch directory with every port replaced by a
/// free one, so several tests can each run their own `pld sim` (and later `pld run`) at once.
/// The scratch directory mirrors the repository layout (RobotConfigs/, Calibration/) so relative
/// calibration paths keep working.
public struct SimCell: Sendable {
    public let directory: URL
    /// The rewritten robot config.
    public let configPath: String
    /// Original port → port used in this cell.
    public let ports: [Int: Int]

    /// Copies `RobotConfigs/<name>` and the calibration files and remaps its ports.
    public init(config name: String) throws {
        try self.init(configPath: PythonPeer.repositoryRoot.appendingPathComponent("RobotConfigs/\(name)").path)
    }

    /// Copies the robot config at `configPath` (in a `RobotConfigs/` folder next to a
    /// `Calibration/` folder) and those calibration files, and remaps its ports.
    public init(configPath: String) throws {
        let source = URL(fileURLWithPath: configPath)
        let root = source.deletingLastPathComponent().deletingLastPathComponent()
        let name = source.lastPathComponent
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pld-cell-\(UUID().uuidString.prefix(8))")
        let files = FileManager.default
        try files.createDirectory(at: directory.appendingPathComponent("RobotConfigs"), withIntermediateDirectories: true)
        try files.copyItem(at: root.appendingPathComponent("Calibration"), to: directory.appendingPathComponent("Calibration"))
        let text = try String(contentsOf: source, encoding: .utf8)
        var mapping: [Int: Int] = [:]
        var lines: [String] = []
        for line in text.components(separatedBy: "\n") {
            let hash = line.range(of: " #")
            var content = hash.map { String(line[..<$0.lowerBound]) } ?? line
            let comment = hash.map { String(line[$0.lowerBound...]) } ?? ""
            let isPortLine = content.contains("tcp://") || content.contains("ws://") || content.contains("http://")
                || content.range(of: #"^\s*(arm_command|arm_state|gripper_command|gripper_state|metrics_port):"#, options: .regularExpression) != nil
            if isPortLine, let match = content.range(of: #"(?<=[: ])\d{4,5}\b"#, options: .regularExpression) {
                let original = Int(content[match])!
                let fresh = try mapping[original] ?? SimCell.freePort()
                mapping[original] = fresh
                content.replaceSubrange(match, with: String(fresh))
            }
            // Operator sockets of this cell only: runs of several cells of one config at once
            // must not find each other's (the default is per config name and user).
            for socket in ["control", "status"] where content.range(of: #"^\s*\#(socket)_endpoint: default\s*$"#, options: .regularExpression) != nil {
                content = content.replacingOccurrences(of: "default", with: "ipc://\(directory.path)/\(socket).sock")
            }
            lines.append(content + comment)
        }
        ports = mapping
        self.configPath = directory.appendingPathComponent("RobotConfigs/\(name)").path
        try lines.joined(separator: "\n").write(toFile: self.configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `pld sim --scene SCENE --config <this cell> [extra]` and waits for its READY line.
    public func launchSim(scene: String, _ extra: [String] = [], timeoutMilliseconds: Int = 30_000) throws -> ChildProcess {
        let child = try ChildProcess(BuiltProducts.executable("pld"), ["sim", "--scene", scene, "--config", configPath] + extra)
        try child.waitForLine(prefix: "READY", timeoutMilliseconds: timeoutMilliseconds)
        return child
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Ports this process has handed out: the kernel may give a released ephemeral port back
    /// at once, and two endpoints of one cell (or two cells) must never share one.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed
    /// out before.
    public static func freePort() throws -> Int {
        for _ in 0..<64 {
            let port = try unusedPort()
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw ChildProcess.Failure(description: "no fresh TCP port after 64 tries")
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
    private static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChildProcess.Failure(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw ChildProcess.Failure(description: "bind(127.0.0.1:0) failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
