import Foundation
import Synchronization

/// The run's recent events, one line each with its UTC time, for `status` (`last_event`), the
/// live view and the log. Written by the main and operator threads, never by the control
/// thread (it allocates nothing; the main thread turns its episode results into events).
public final class RunEvents: Sendable {
    public struct Event: Sendable, Equatable {
        public var unixSeconds: Double
        public var text: String
    }

    private let events = Mutex<[Event]>([])
    public let capacity: Int

    public init(capacity: Int = 64) { self.capacity = capacity }

    public func add(_ text: String) {
        let event = Event(unixSeconds: Date().timeIntervalSince1970, text: text)
        events.withLock { list in
            list.append(event)
            if list.count > capacity { list.removeFirst(list.count - capacity) }
        }
    }

    /// The newest `count` events, oldest first.
    public func recent(_ count: Int) -> [Event] { events.withLock { Array($0.suffix(count)) } }

    public var last: Event? { events.withLock { $0.last } }
}
