
/// What an arm is doing, in one vocabulary for both arm kinds. The raw vendor values stay in
/// `ArmState.frankaRobotMode` / `ArmState.driverMode`.
public enum ArmMode: Sendable, Equatable {
    /// No state yet, or a value this runtime does not know.
    case unknown
    /// Franka `Idle`: no controller running (its published state is then stale, see `ArmState`).
    case idle
    /// Following commands: Franka `Move`, PLD `DRIVER_MODE_TRACKING`.
    case tracking
    /// PLD `DRIVER_MODE_HOLDING`: holding the last position (no commands, or hold requested).
    case holding
    /// PLD `DRIVER_MODE_MOVING`: executing a MoveToJoints request.
    case moving
    /// PLD `DRIVER_MODE_DAMPING`: motors damp after their own timeout; needs ClearErrors.
    case damping
    /// Franka `Guiding`: hand-guided.
    case guiding
    /// Franka `Reflex`: a safety reflex stopped the motion.
    case reflex
    /// Franka `UserStopped`: the user stop (external enabling device) is pressed.
    case userStopped
    /// Franka `AutomaticErrorRecovery`.
    case errorRecovery
    /// PLD `DRIVER_MODE_ERROR`: a motor fault.
    case error

    /// libfranka `RobotMode` raw value (0 Other, 1 Idle, 2 Move, 3 Guiding, 4 Reflex,
    /// 5 UserStopped, 6 AutomaticErrorRecovery).
    public init(frankaRobotMode raw: Int32) {
        switch raw {
        case 1: self = .idle
        case 2: self = .tracking
        case 3: self = .guiding
        case 4: self = .reflex
        case 5: self = .userStopped
        case 6: self = .errorRecovery
        default: self = .unknown
        }
    }
}

/// Which link produced an `ArmState`.
public enum ArmLinkKind: Sendable, Equatable {
    case franka
    case pldArm
}

/// The latest good state of one arm, as the runtime sees it, for both arm kinds.
///
/// A value type with fixed-size inline storage (no heap): the control thread copies it freely.
/// Joints beyond `jointCount` are zero. A link only ever fills it from a state that decoded and
/// passed its checks; after a refused message the previous values stay and `messageAgeNanos`
/// keeps growing.
public struct ArmState: Sendable {
    public var link: ArmLinkKind
    /// Number of arm joints (7 for a Franka; the driver's count for a PLD arm).
    public var jointCount: Int
    /// True once a good state arrived; all values are zero before.
    public var hasState = false

    /// Joint positions, rad, in the driver's joint space (apply `ArmCalibration` offsets to get
    /// calibrated joints).
    public var q = InlineArray<8, Double>(repeating: 0)
    /// Joint velocities, rad/s.
    public var dq = InlineArray<8, Double>(repeating: 0)
    /// Joint torques, N·m (Franka: measured link-side `tau_J`).
    public var tau = InlineArray<8, Double>(repeating: 0)

    /// End-effector pose in the arm's base frame, 4×4 column-major (libfranka convention:
    /// `eePose[12...14]` is the translation in m). Franka: `O_T_EE`. PLD arms: identity unless
    /// the driver provides it (`hasEEPose`); kinematics computes it elsewhere.
    public var eePose: InlineArray<16, Double> = ArmState.identityPose
    public var hasEEPose = false

    /// Gripper opening, normalised: 0 open … 1 closed.
    public var gripperPosition: Double = 0
    /// Finger opening, m (Franka only; 0 for PLD arms).
    public var gripperWidthMeters: Double = 0
    /// Franka gripper `is_grasped`.
    public var gripperIsGrasped = false
    /// True once a gripper state arrived (Franka: its own link; PLD arms: part of the state).
    public var hasGripperState = false

    public var mode: ArmMode = .unknown
    /// libfranka `RobotMode` raw value (Franka only).
    public var frankaRobotMode: Int32 = 0
    /// The PLD driver's mode (PLD arms only).
    /// Raw `pld.DriverMode` of a PLD arm (Drivers exposes it typed as `driverMode`).
    public var driverModeRaw: Int32 = 0
    /// Franka `current_errors`: bit i is field i+1 of `FrankaRobotStateMessage.Errors`.
    public var errorBits: UInt64 = 0
    /// Franka `last_motion_errors`, same layout.
    public var lastMotionErrorBits: UInt64 = 0
    /// The arm reports a fault that needs attention: Franka errors, reflex or user stop; PLD
    /// error or damping mode, or a fault message.
    public var isFault = false

    /// Franka `frame` (publish counter) or PLD `sequence`.
    public var sequence: UInt64 = 0
    /// Franka robot time (`time.toMSec`), ms; 0 for PLD arms.
    public var robotTimeMilliseconds: UInt64 = 0
    /// PLD `sample_unix_ns` (the driver's clock; never compared with ours); 0 for Franka.
    public var sampleUnixNanos: Int64 = 0
    /// PLD: the ArmCommand sequence the driver applied last.
    public var lastCommandSequence: UInt64 = 0

    /// Monotonic time (ours) when this state was received.
    public var receivedAtNanos: UInt64 = 0
    /// How old the state is at the last `poll(now:)`: now − `receivedAtNanos`.
    public var messageAgeNanos: UInt64 = 0
    /// No usable state: none yet, none within `state_timeout_s`, or (Franka) robot time not
    /// advancing while a controller should be running.
    public var isStale = true
    /// Franka: `time.toMSec` advanced within the stall timeout. While no controller runs the NUC
    /// republishes its last stored state with a frozen time, so this is false when idle.
    public var robotTimeAdvancing = false

    public init(link: ArmLinkKind, jointCount: Int) {
        precondition((1...8).contains(jointCount), "ArmState: joint count \(jointCount) outside 1...8")
        self.link = link
        self.jointCount = jointCount
    }

    public static let identityPose: InlineArray<16, Double> = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]

    /// End-effector position in m (translation column of `eePose`).
    public var eePositionMeters: (x: Double, y: Double, z: Double) { (eePose[12], eePose[13], eePose[14]) }

    /// Joint positions as an array (allocates; not for the control thread).
    public var jointPositions: [Double] { (0..<jointCount).map { q[$0] } }
}
