import Foundation

/// Events handed from NIO's event loop (channel handlers post) to the one thread that waits
/// for them (the policy worker, inside a blocking client call).
///
/// Threading: `post` from any thread; `next` and `drain` from the single waiting thread.
final class BlockingMailbox<Event: Sendable>: @unchecked Sendable {
    // @unchecked: `events` is only touched with `condition` held.
    private let condition = NSCondition()
    private var events: [Event] = []
    private var head = 0

    func post(_ event: Event) {
        condition.lock()
        events.append(event)
        condition.signal()
        condition.unlock()
    }

    /// The oldest event, waiting until `deadlineNanos` (`PolicyClock.monotonicNanos`); nil on
    /// timeout.
    func next(deadlineNanos: UInt64) -> Event? {
        condition.lock()
        defer { condition.unlock() }
        while head == events.count {
            let now = PolicyClock.monotonicNanos()
            guard now < deadlineNanos else { return nil }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(deadlineNanos - now) / 1e9))
        }
        let event = events[head]
        head += 1
        if head == events.count {
            events.removeAll(keepingCapacity: true)
            head = 0
        }
        return event
    }

    /// The events queued now, without waiting.
    func drain() -> [Event] {
        condition.lock()
        defer { condition.unlock() }
        let pending = Array(events[head...])
        events.removeAll(keepingCapacity: true)
        head = 0
        return pending
    }
}
