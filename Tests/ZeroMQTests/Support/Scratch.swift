import Foundation
import Testing

/// A per-test temporary directory for ipc socket files, removed by ``remove()``.
///
/// ipc paths are limited to about 107 bytes, so the directory lives directly under /tmp.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = "/tmp/pld-zmq-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// An ipc endpoint for a socket file called `name` in this directory.
    func ipcEndpoint(_ name: String) -> String { "ipc://\(path)/\(name)" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The transports the cross-process tests run over.
enum Transport: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case tcp, ipc

    var testDescription: String { rawValue }

    /// An endpoint to bind: any free loopback port, or a socket file in `scratch`.
    func bindEndpoint(in scratch: ScratchDirectory, name: String) -> String {
        switch self {
        case .tcp: "tcp://127.0.0.1:*"
        case .ipc: scratch.ipcEndpoint(name)
        }
    }
}

/// Milliseconds elapsed while running `body`.
func elapsedMilliseconds<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = start.duration(to: clock.now)
    return (result, Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
}

/// Bytes of a UTF-8 string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A UTF-8 string of some bytes.
func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
