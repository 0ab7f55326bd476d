import PLDCore

/// Stage 1: an action with a NaN or an infinity anywhere (or of the wrong width) is dropped
/// whole. Every arm holds this tick; the caller sends hold commands and, under
/// `nan_policy: estop`, latches the e-stop. libfranka throws on such commands
/// (method-and-safety.md §8.2); no part of a poisoned vector is trusted, not even the finite
/// elements of another arm.
enum NonFiniteRejection {
    /// The event to record when `action` cannot be used, or nil when every element is finite.
    static func rejection(of action: ActionVector, width: Int, arms: [SafetyArm]) -> SafetyEvent? {
        guard action.count == width else {
            return SafetyEvent(kind: .nonFiniteAction, stage: .nonFiniteRejection, arm: -1, element: -1,
                               requested: Double(action.count), applied: 0)
        }
        for i in 0..<action.count where !action[i].isFinite {
            var owner = -1
            var element = i
            for arm in arms.indices where i >= arms[arm].segmentOffset && i < arms[arm].segmentOffset + arms[arm].segmentWidth {
                owner = arm
                element = i - arms[arm].segmentOffset
            }
            return SafetyEvent(kind: .nonFiniteAction, stage: .nonFiniteRejection, arm: owner, element: element,
                               requested: action[i], applied: 0)
        }
        return nil
    }
}
