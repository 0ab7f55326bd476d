import Synchronization

/// A bounded single-producer / single-consumer queue of values in storage allocated once.
///
/// Contract: exactly one thread calls `push`, exactly one (other) thread calls `pop`; neither
/// ever blocks, takes a lock or allocates (the element type must not allocate when copied —
/// use inline storage such as `ActionVector`). When full, `push` returns false and the
/// producer decides what that means (the tick counts it; it never waits). This is how the
/// control thread talks to the policy, recorder and status threads (DESIGN.md §3).
public final class SPSCQueue<Element>: @unchecked Sendable {
    // @unchecked: slots are handed over through the acquire/release pair on head and tail;
    // each slot is written only by the producer and read only by the consumer.
    private let storage: UnsafeMutablePointer<Element?>
    public let capacity: Int
    private let head = Atomic<Int>(0)  // next slot to read; written by the consumer
    private let tail = Atomic<Int>(0)  // next slot to write; written by the producer

    public init(capacity: Int) {
        precondition(capacity > 0, "SPSCQueue capacity must be positive")
        self.capacity = capacity
        storage = .allocate(capacity: capacity + 1)
        storage.initialize(repeating: nil, count: capacity + 1)
    }

    deinit {
        storage.deinitialize(count: capacity + 1)
        storage.deallocate()
    }

    /// Producer only. False when full (the element is not queued).
    @discardableResult
    public func push(_ element: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let next = t == capacity ? 0 : t + 1
        guard next != head.load(ordering: .acquiring) else { return false }
        storage[t] = element
        tail.store(next, ordering: .releasing)
        return true
    }

    /// Consumer only. Nil when empty.
    public func pop() -> Element? {
        let h = head.load(ordering: .relaxed)
        guard h != tail.load(ordering: .acquiring) else { return nil }
        let element = storage[h]
        storage[h] = nil
        head.store(h == capacity ? 0 : h + 1, ordering: .releasing)
        return element
    }

    /// Elements queued now (approximate while the other side is active).
    public var count: Int {
        let t = tail.load(ordering: .acquiring), h = head.load(ordering: .acquiring)
        return t >= h ? t - h : t + capacity + 1 - h
    }
}
