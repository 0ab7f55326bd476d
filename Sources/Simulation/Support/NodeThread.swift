import Dispatch
import Foundation

/// A named OS thread that runs one device loop, and a way to wait for it to end.
///
/// Device loops own their ZeroMQ sockets (sockets are not `Sendable`): the body creates them
/// on this thread and closes them before returning. The body must return promptly once its
/// owner asks it to stop (loops check a flag at least every few wall milliseconds).
final class NodeThread: Sendable {
    private let finished = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread called `name` (visible in debuggers and `top -H`).
    init(name: String, body: @escaping @Sendable () -> Void) {
        let finished = self.finished
        let thread = Thread {
            body()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Blocks until the body has returned. May be called more than once.
    func join() {
        finished.wait()
        finished.signal()
    }
}

/// A one-shot value handed from one thread to a waiting one (e.g. "sockets bound" or the
/// bind error from a device thread to `start()`).
final class OneShot<Value: Sendable>: Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private let box = LockedValue<Value?>(nil)

    /// Stores `value` (the first call wins) and wakes the waiter.
    func fulfil(_ value: Value) {
        let first = box.withLock { stored -> Bool in
            guard stored == nil else { return false }
            stored = value
            return true
        }
        if first { ready.signal() }
    }

    /// Waits for the value.
    func wait() -> Value {
        ready.wait()
        ready.signal()
        return box.withLock { $0! }
    }
}
