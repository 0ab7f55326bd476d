import PLDCore

/// What a gate may look at: the arms' newest states, what their grippers were told, and this
/// tick's classifier scores. The tick implements it over its preallocated state.
public protocol GateContext {
    func armIndex(named name: String) -> Int?
    /// Normalised gripper position (0 open … 1 closed); nil without a fresh state.
    func gripperPosition(arm: Int) -> Double?
    /// The last gripper command to the arm was "close" (≥ 0.5).
    func gripperCommandedClosed(arm: Int) -> Bool
    /// Joint `joint` of the arm, rad; nil without a fresh state or past the arm's joints.
    func jointPosition(arm: Int, joint: Int) -> Double?
    /// This tick's score of the named classifier; NaN when unknown or not configured.
    func classifierScore(named name: String) -> Double
}

/// Conditions checked before a stage (or a reset) may start. Every unknown — no state, no
/// score, an arm that is not there — makes a gate fail: a gate refuses rather than guesses
/// (ENPIRE's lesson: never reset while holding something unexpected).
public enum Gates {
    /// A gripper commanded closed that stopped between these fractions of its travel is
    /// closed on an object.
    public static let holdingRange = 0.1...0.9

    public static func holds(_ gate: GateCondition, in context: some GateContext) -> Bool {
        switch gate.kind {
        case .gripperOpen, .gripperClosed, .gripperEmpty, .gripperHolding:
            guard let name = gate.arm, let arm = context.armIndex(named: name),
                let position = context.gripperPosition(arm: arm), position.isFinite
            else { return false }
            let holding = context.gripperCommandedClosed(arm: arm) && position > holdingRange.lowerBound && position < holdingRange.upperBound
            switch gate.kind {
            case .gripperOpen: return position < holdingRange.lowerBound
            case .gripperClosed: return position >= holdingRange.upperBound
            case .gripperHolding: return holding
            default: return !holding
            }
        case .jointsNear:
            guard let name = gate.arm, let arm = context.armIndex(named: name), let target = gate.jointsRad else { return false }
            let tolerance = gate.toleranceRad ?? 0.05
            for j in 0..<target.count {
                guard let q = context.jointPosition(arm: arm, joint: j), abs(q - target[j]) <= tolerance else { return false }
            }
            return true
        case .classifierBelow, .classifierAbove:
            guard let name = gate.classifier, let threshold = gate.threshold else { return false }
            let score = context.classifierScore(named: name)
            guard score.isFinite else { return false }
            return gate.kind == .classifierBelow ? score < threshold : score >= threshold
        }
    }

    /// Index of the first gate that does not hold, nil when all hold.
    public static func firstFailing(_ gates: [GateCondition], in context: some GateContext) -> Int? {
        for index in 0..<gates.count where !holds(gates[index], in: context) { return index }
        return nil
    }
}
