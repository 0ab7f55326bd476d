import Synchronization

/// A value behind a mutex, shared between a device's threads (its loop, its request server,
/// and callers reading counters). Critical sections are short and never block on I/O.
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }

    /// A copy of the current value.
    var value: Value { mutex.withLock { $0 } }
}
