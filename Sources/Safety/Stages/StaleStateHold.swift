import PLDCore

/// Before the per-arm stages: an arm whose state is missing, stale (older than its
/// `state_timeout_s`, as the link marks it) or not finite holds this tick. Every later stage
/// measures against the state, so none of them can run without a trustworthy one.
enum StaleStateHold {
    /// The event to record when `state` cannot be trusted, or nil.
    static func staleness(of state: ArmState, arm: SafetyArm) -> SafetyEvent? {
        guard state.hasState, !state.isStale, state.jointCount == arm.jointCount, isFinite(state, arm: arm) else {
            return SafetyEvent(kind: .stateStale, stage: .stateStale, arm: arm.index, element: -1,
                               requested: Double(state.messageAgeNanos) / 1e9, applied: 0)
        }
        return nil
    }

    private static func isFinite(_ state: ArmState, arm: SafetyArm) -> Bool {
        for j in 0..<arm.jointCount where !state.q[j].isFinite { return false }
        if arm.kind == .eeDelta && state.hasEEPose {
            for i in 0..<16 where !state.eePose[i].isFinite { return false }
        }
        return true
    }
}
