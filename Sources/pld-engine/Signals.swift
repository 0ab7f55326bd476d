import Dispatch
import Foundation
import OperatorCLI

/// Blocks until SIGINT or SIGTERM arrives, calling `status` every `statusEverySeconds` wall
/// seconds meanwhile. Returns the signal's name. The default handlers are replaced so the
/// process can stop its threads in order instead of dying mid-write.
func waitForTerminationSignal(statusEverySeconds: Double, status: @escaping @Sendable () -> Void) -> String {
    let received = DispatchSemaphore(value: 0)
    let name = LockedName()
    var sources: [DispatchSourceSignal] = []
    for (number, label) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            name.set(label)
            received.signal()
        }
        source.resume()
        sources.append(source)
    }
    while received.wait(timeout: .now() + statusEverySeconds) == .timedOut { status() }
    for source in sources { source.cancel() }
    return name.get()
}

private final class LockedName: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var value = "signal"
    func set(_ name: String) { lock.withLock { value = name } }
    func get() -> String { lock.withLock { value } }
}

/// Calls `action` each time one of `signals` arrives (default SIGINT and SIGTERM, whose default
/// handlers it replaces), until cancelled.
final class SignalWatch: @unchecked Sendable {
    // @unchecked: the sources are created and cancelled on one thread.
    private var sources: [DispatchSourceSignal] = []

    init(_ signals: [Int32] = [SIGINT, SIGTERM], _ action: @escaping @Sendable () -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        sources = []
    }
}

/// Sends SIGTERM to this process once the process `pid` no longer exists (checked twice a
/// second on a background thread), so the orderly SIGTERM shutdown runs.
func exitWhenProcessEnds(_ pid: pid_t) {
    Thread.detachNewThread {
        while kill(pid, 0) == 0 || errno == EPERM {
            Thread.sleep(forTimeInterval: 0.5)
        }
        printError("pld sim: parent process \(pid) is gone, stopping")
        kill(getpid(), SIGTERM)
    }
}
