import PLDCore

/// The most arms one safety chain drives (a bimanual rig has 2).
public let safetyMaxArms = 4

/// What one tick of the safety chain hands to the caller: a command per arm, the events, and
/// whether the caller must latch the e-stop.
///
/// Inline storage only. The caller passes it back as `previous` on the next tick (or
/// `SafetyChain.holding` if it sent hold commands instead, e.g. under a latched e-stop).
public struct SafetyOutput: Sendable {
    /// Arms, in the order of the configuration's `arms` list.
    public var armCount: Int
    /// One command per arm (indices below `armCount`).
    public var commands: InlineArray<4, ArmCommand>
    public var events = SafetyEventBuffer()
    /// Set when the action held NaN/Inf: the configured policy. `.estop` also sets
    /// `latchesEStop`.
    public var nonFiniteAction: NonFiniteActionPolicy?
    /// An event listed in `safety.fatal_events` (or a NaN/Inf action under `nan_policy: estop`)
    /// happened: the caller latches the e-stop; motion resumes only after `pld reset`.
    public var latchesEStop = false
    /// The first event kind that latched the e-stop, for the operator's status line.
    public var fatalEvent: SafetyEventKind?

    /// Every arm holding, no events (`SafetyChain.holding`).
    static func holding(jointCounts: InlineArray<4, Int>, armCount: Int) -> SafetyOutput {
        precondition((1...safetyMaxArms).contains(armCount), "arm count \(armCount) outside 1...\(safetyMaxArms)")
        var commands = InlineArray<4, ArmCommand>(repeating: .hold(jointCount: 0))
        for arm in 0..<armCount { commands[arm] = .hold(jointCount: jointCounts[arm]) }
        return SafetyOutput(armCount: armCount, commands: commands)
    }

    /// True when any arm was held this tick.
    public var anyArmHolds: Bool {
        for arm in 0..<armCount where commands[arm].mode == .hold { return true }
        return false
    }
}
