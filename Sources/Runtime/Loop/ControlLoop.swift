import Foundation
import PLDCore
import Synchronization

/// What the control thread knows about the tick it is running.
public struct TickTiming: Sendable {
    /// 0, 1, 2, … since the loop started (missed deadlines skip indices).
    public var index: UInt64
    /// The absolute deadline this tick was scheduled for (CLOCK_MONOTONIC ns).
    public var deadlineNanos: UInt64
    /// When the thread actually woke.
    public var wakeNanos: UInt64
    public var periodNanos: UInt64
}

/// A fixed-rate loop on a dedicated thread: the contract the whole tick pipeline lives under.
///
/// - Every period the thread sleeps to an absolute deadline (`clock_nanosleep`, TIMER_ABSTIME;
///   optionally spinning the last few µs), runs the tick, and measures wake-up jitter
///   (wake − deadline) and compute time (tick end − wake) into lock-free histograms.
/// - A tick that ends after the next deadline is a **miss**: counted, and the schedule skips
///   the deadlines that passed instead of bursting to catch up (one late tick, not a storm).
/// - The loop itself allocates nothing and takes no locks per tick; the tick closure must obey
///   the same rules (DESIGN.md §3).
///
/// Threading: `start` and `stop` from any thread; the tick runs only on the loop's thread;
/// statistics are readable from any thread.
public final class ControlLoop: Sendable {
    public let periodNanos: UInt64
    public let options: RealtimeOptions
    public let name: String
    /// Wake-up jitter per tick, ns.
    public let jitter = AtomicHistogram()
    /// Tick compute time, ns.
    public let compute = AtomicHistogram()
    private let missCount = Atomic<UInt64>(0)
    private let tickCount = Atomic<UInt64>(0)
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let warningLines = Mutex<[String]>([])

    public init(periodNanos: UInt64, options: RealtimeOptions = RealtimeOptions(), name: String = "pld control") {
        precondition(periodNanos > 0, "control period must be positive")
        self.periodNanos = periodNanos
        self.options = options
        self.name = name
    }

    public var misses: UInt64 { missCount.load(ordering: .relaxed) }
    public var ticks: UInt64 { tickCount.load(ordering: .relaxed) }
    /// Scheduling requests the OS refused (empty once the thread runs as asked).
    public var warnings: [String] { warningLines.withLock { $0 } }
    public var isRunning: Bool { running.load(ordering: .acquiring) }

    /// Starts the thread. `tick` returns false to end the loop. Returns after the thread has
    /// applied its scheduling options (so `warnings` is complete).
    public func start(_ tick: @escaping @Sendable (TickTiming) -> Bool) {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            let warnings = applyRealtimeOptions(options)
            warningLines.withLock { $0 = warnings }
            ready.signal()
            run(tick)
            running.store(false, ordering: .releasing)
            finished.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        ready.wait()
    }

    /// Asks the loop to end after the current tick and waits for it.
    public func stop() {
        guard running.load(ordering: .acquiring) else { return }
        running.store(false, ordering: .releasing)
        finished.wait()
        finished.signal()
    }

    /// Waits until the loop ends by itself (tick returned false) or is stopped.
    public func join() {
        finished.wait()
        finished.signal()
    }

    private func run(_ tick: (TickTiming) -> Bool) {
        let period = periodNanos
        let spin = options.spinBeforeDeadlineNanos
        var deadline = monotonicNanos() + period
        var index: UInt64 = 0
        while running.load(ordering: .relaxed) {
            if spin > 0 {
                if deadline > spin { sleepUntil(deadline - spin) }
                while monotonicNanos() < deadline {}
            } else {
                sleepUntil(deadline)
            }
            let wake = monotonicNanos()
            jitter.record(wake &- deadline)
            let keepGoing = tick(TickTiming(index: index, deadlineNanos: deadline, wakeNanos: wake, periodNanos: period))
            let end = monotonicNanos()
            compute.record(end &- wake)
            tickCount.add(1, ordering: .relaxed)
            if !keepGoing { break }
            if end > deadline + period {
                // Late: count one miss and resume at the next deadline still ahead.
                missCount.add(1, ordering: .relaxed)
                let skipped = (end - deadline) / period
                deadline += skipped * period + period
                index += skipped + 1
            } else {
                deadline += period
                index += 1
            }
        }
    }
}
