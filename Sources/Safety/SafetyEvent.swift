import PLDCore

/// The stage of the safety chain that raised an event (finer than `SafetyEventKind`: the action
/// box and the gripper range both raise `action_clamped`, in different units).
public enum SafetyStage: UInt8, Sendable, Equatable, CaseIterable {
    case nonFiniteRejection
    case stateStale
    case actionBox
    case gripper
    case stepCap
    case workspace
    case jointLimits
    case velocity
    case acceleration
    /// The workspace check repeated on the final joint targets, after stages 6 and 7 moved them.
    case workspaceRecheck
    /// The last check that every value sent is finite (a forward-kinematics model returning NaN).
    case outputGuard
}

/// One intervention of the safety chain: what was asked for and what goes to the arm.
///
/// Meaning of `element`, `requested` and `applied` per stage:
///
/// | stage | element | requested → applied |
/// |---|---|---|
/// | nonFiniteRejection | index in the arm's segment (−1: wrong action width) | the offending value → 0 (nothing sent: hold) |
/// | stateStale | −1 | state age, s → 0 (hold) |
/// | actionBox | index in the arm's segment | normalised value → clamped value |
/// | gripper | index of the gripper in the segment | command in 0 open … 1 closed → clamped to [0, 1] |
/// | stepCap (ee) | 0 translation, 3 rotation | norm of the vector (m or rad) → capped norm |
/// | stepCap (joints), jointLimits, velocity, acceleration | joint index | joint target, rad → target sent, rad |
/// | workspace, workspaceRecheck | axis 0 x, 1 y, 2 z (−1: no end-effector pose, hold) | target position on that axis, m → position sent, m |
/// | workspace (`step_capped`: an ee arm outside its box, the way back capped) | 0 | length of the way back, m → step cap, m |
/// | outputGuard | −1 | NaN → 0 (hold) |
///
/// `arm` is the arm's index in the configuration's `arms` list (`SafetyChain.arms[arm].name`).
public struct SafetyEvent: Sendable, Equatable {
    public var kind: SafetyEventKind
    public var stage: SafetyStage
    public var arm: Int
    public var element: Int
    public var requested: Double
    public var applied: Double

    public init(kind: SafetyEventKind, stage: SafetyStage, arm: Int, element: Int, requested: Double, applied: Double) {
        self.kind = kind
        self.stage = stage
        self.arm = arm
        self.element = element
        self.requested = requested
        self.applied = applied
    }
}

extension SafetyEventKind {
    /// Dense index for fixed-size per-kind counters and masks (no hashing on the control thread).
    public var ordinal: Int {
        switch self {
        case .nonFiniteAction: 0
        case .actionClamped: 1
        case .stepCapped: 2
        case .workspaceClamped: 3
        case .jointLimitClamped: 4
        case .velocityLimited: 5
        case .accelerationLimited: 6
        case .stateStale: 7
        case .cameraStale: 8
        case .featureStale: 9
        case .policyStall: 10
        case .driverFault: 11
        case .deadlineMiss: 12
        }
    }

    /// The kind with `ordinal` (the inverse of `ordinal`).
    public init?(ordinal: Int) {
        switch ordinal {
        case 0: self = .nonFiniteAction
        case 1: self = .actionClamped
        case 2: self = .stepCapped
        case 3: self = .workspaceClamped
        case 4: self = .jointLimitClamped
        case 5: self = .velocityLimited
        case 6: self = .accelerationLimited
        case 7: self = .stateStale
        case 8: self = .cameraStale
        case 9: self = .featureStale
        case 10: self = .policyStall
        case 11: self = .driverFault
        case 12: self = .deadlineMiss
        default: return nil
        }
    }

    /// This kind's bit in a mask of kinds.
    var bit: UInt32 { 1 << UInt32(ordinal) }
}
