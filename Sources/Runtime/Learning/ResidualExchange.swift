import Policies
import Synchronization

/// Hands new residual weights from the learner thread to the control thread, which swaps them
/// in between episodes (never during one), and hands the replaced ones back so that they are
/// freed on the learner's thread, not the control thread.
///
/// Threading: `offer` and `collectRetired` on the learner thread; `take` and `retire` on the
/// control thread (lock-free: atomic exchanges of retained references; no allocation, no free).
final class ResidualExchange: @unchecked Sendable {
    // @unchecked: the two slots hold retained references moved by atomic exchange only.
    private let pending = Atomic<UInt>(0)
    private let pendingVersion = Atomic<Int>(0)
    private let retired = Atomic<UInt>(0)
    /// Set by the learner while it wants base-only episodes (its warm-up).
    let warmup = Atomic<Bool>(false)
    /// The version the control thread runs now (0 = the run's initial weights).
    let activeVersion = Atomic<Int>(0)
    /// Updates the learner still owes for the transitions it has (warm start included), and
    /// episodes handed to it that it has not taken in yet. While either is positive and
    /// `learner.wait_for_updates` is on, the next episode waits (arms holding at home).
    let pendingUpdates = Atomic<Int>(0)
    let episodesInFlight = Atomic<Int>(0)

    /// Learner: `policy` (weights `version`) replaces whatever is waiting. Returns a policy
    /// that was waiting and never taken (the caller drops it here, on its own thread).
    @discardableResult
    func offer(_ policy: ResidualPolicy, version: Int) -> ResidualPolicy? {
        pendingVersion.store(version, ordering: .relaxed)
        let old = pending.exchange(UInt(bitPattern: Unmanaged.passRetained(policy).toOpaque()), ordering: .acquiringAndReleasing)
        return old == 0 ? nil : Unmanaged<ResidualPolicy>.fromOpaque(UnsafeRawPointer(bitPattern: old)!).takeRetainedValue()
    }

    /// Control thread: the newest offered policy and its version, if one is waiting and the
    /// last replaced one has been collected (else it waits for the next episode).
    func take() -> (policy: ResidualPolicy, version: Int)? {
        guard retired.load(ordering: .acquiring) == 0 else { return nil }
        let bits = pending.exchange(0, ordering: .acquiringAndReleasing)
        guard bits != 0 else { return nil }
        let version = pendingVersion.load(ordering: .relaxed)
        activeVersion.store(version, ordering: .relaxed)
        return (Unmanaged<ResidualPolicy>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeRetainedValue(), version)
    }

    /// Control thread: keeps `policy` alive until the learner collects it (call before
    /// dropping the control thread's last reference).
    func retire(_ policy: ResidualPolicy) {
        retired.store(UInt(bitPattern: Unmanaged.passRetained(policy).toOpaque()), ordering: .releasing)
    }

    /// Learner: releases the replaced policy, if any, on this thread.
    func collectRetired() {
        let bits = retired.exchange(0, ordering: .acquiringAndReleasing)
        if bits != 0 { Unmanaged<ResidualPolicy>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).release() }
    }

    deinit {
        collectRetired()
        let bits = pending.exchange(0, ordering: .acquiringAndReleasing)
        if bits != 0 { Unmanaged<ResidualPolicy>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).release() }
    }
}
