import Synchronization

/// Hands the newest value from one writer thread to one reader thread without locks, waiting or
/// allocation: three slots, one owned by the writer, one by the reader, one in the middle that
/// they swap through a single atomic exchange. The reader always sees a complete value (never
/// one being written) and skips values it was too slow to see — right for "latest sensor
/// reading" data such as feature vectors going to the control thread.
///
/// Contract: exactly one thread calls `write`, exactly one (other) thread calls `read`.
public final class TripleBuffer<Value>: @unchecked Sendable {
    // @unchecked: each slot is owned by exactly one side at a time; ownership moves only
    // through the atomic exchange on `middle`.
    private let slots: UnsafeMutablePointer<Value>
    private let middle: Atomic<Int>  // slot index | fresh bit (4)
    private var writerSlot = 0  // touched only by the writer
    private var readerSlot = 2  // touched only by the reader
    private static var freshBit: Int { 4 }

    public init(initial: Value) {
        slots = .allocate(capacity: 3)
        slots.initialize(repeating: initial, count: 3)
        middle = Atomic(1)
    }

    deinit {
        slots.deinitialize(count: 3)
        slots.deallocate()
    }

    /// Writer: publishes `value` as the newest.
    public func write(_ value: Value) {
        slots[writerSlot] = value
        writerSlot = middle.exchange(writerSlot | Self.freshBit, ordering: .acquiringAndReleasing) & 3
    }

    /// Reader: the newest published value, and whether it is new since the last read.
    public func read() -> (value: Value, isNew: Bool) {
        var isNew = false
        if middle.load(ordering: .relaxed) & Self.freshBit != 0 {
            readerSlot = middle.exchange(readerSlot, ordering: .acquiringAndReleasing) & 3
            isNew = true
        }
        return (slots[readerSlot], isNew)
    }
}
