import Foundation

/// Where a simulated device writes its log lines (one line per event: restarts, watchdog
/// trips, faults). The default writes `[pld sim] <line>` to standard error; tests pass a
/// collector.
public struct SimLog: Sendable {
    private let write: @Sendable (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// Writes `[pld sim] <line>` to standard error.
    public static let standardError = SimLog { line in
        FileHandle.standardError.write(Data("[pld sim] \(line)\n".utf8))
    }

    /// Discards everything.
    public static let silent = SimLog { _ in }

    public func callAsFunction(_ line: String) { write(line) }
}
