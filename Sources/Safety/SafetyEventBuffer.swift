import PLDCore

/// The events of one tick, in fixed-size inline storage (no allocation when recording).
///
/// Keeps the first `capacity` events in order; later ones are counted in `overflowCount` and in
/// the per-kind counts, so a flood of interventions is never silently lost from the totals.
/// Value type: the tick copies it into its record.
public struct SafetyEventBuffer: Sendable {
    /// Events kept per tick. A tick can raise about 20 events per 7-joint arm when every stage
    /// intervenes; 64 covers a bimanual rig with room to spare.
    public static let capacity = 64

    /// Events kept (at most `capacity`).
    public private(set) var count = 0
    /// Events raised after the buffer was full.
    public private(set) var overflowCount = 0
    private var storage = InlineArray<64, SafetyEvent>(
        repeating: SafetyEvent(kind: .actionClamped, stage: .actionBox, arm: -1, element: -1, requested: 0, applied: 0))
    private var kindCounts = InlineArray<16, Int>(repeating: 0)
    /// One bit per kind raised this tick (`SafetyEventKind.bit`).
    private(set) var kindMask: UInt32 = 0

    public init() {}

    /// The `index`-th event kept, in the order raised.
    public subscript(index: Int) -> SafetyEvent {
        precondition(index >= 0 && index < count, "event \(index) of \(count)")
        return storage[index]
    }

    /// Every event raised this tick, kept or overflowed.
    public var totalCount: Int { count + overflowCount }

    public var isEmpty: Bool { totalCount == 0 }

    /// Events of `kind` raised this tick, kept or overflowed.
    public func count(of kind: SafetyEventKind) -> Int { kindCounts[kind.ordinal] }

    /// Records `event`, or counts it as overflow when the buffer is full.
    public mutating func record(_ event: SafetyEvent) {
        kindCounts[event.kind.ordinal] += 1
        kindMask |= event.kind.bit
        if count < Self.capacity {
            storage[count] = event
            count += 1
        } else {
            overflowCount += 1
        }
    }

    /// For tests, logs and recording (allocates).
    public var array: [SafetyEvent] { (0..<count).map { storage[$0] } }
}
