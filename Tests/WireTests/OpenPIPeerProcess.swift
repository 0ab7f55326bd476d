import Foundation
import TestSupport
import Testing

/// Runs `Tests/Peers/openpi_msgpack_peer.py` through `PythonPeer` and reads its JSON output.
struct OpenPIPeerProcess {
    typealias Output = PythonPeer.Result

    /// A fresh empty directory for one test's exchange files.
    static func makeTemporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("pld-openpi-peer-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs the peer with `arguments`; gives up (and kills it) after `timeoutSeconds`.
    static func run(_ arguments: [String], in directory: URL, timeoutSeconds: Double = 60) throws -> Output {
        try PythonPeer.runScript("openpi_msgpack_peer.py", arguments, currentDirectory: directory, timeoutSeconds: timeoutSeconds)
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
