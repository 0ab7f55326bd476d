import Foundation

/// Polls `condition` every 2 ms of wall time until it holds or `timeoutSeconds` pass.
/// - Returns: whether it held in time.
@discardableResult
func eventually(timeoutSeconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(2_000)
    }
    return try condition()
}

/// Log lines collected from a simulator (a `SimLog` sink for tests).
final class LogLines: Sendable {
    private let lines = Locked<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
    func count(containing text: String) -> Int { all.filter { $0.contains(text) }.count }
}
