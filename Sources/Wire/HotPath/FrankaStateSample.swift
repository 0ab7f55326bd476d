/// The parts of a deoxys `FrankaRobotStateMessage` the runtime uses, in fixed-size storage.
///
/// A value type with no heap storage: the control thread copies it freely. Matrices are
/// libfranka column-major 4×4 (`oTEE[12...14]` is the translation in m).
public struct FrankaStateSample: Sendable {
    /// Joint positions, rad.
    public var q = InlineArray<7, Double>(repeating: 0)
    /// Joint velocities, rad/s.
    public var dq = InlineArray<7, Double>(repeating: 0)
    /// Desired joint positions of the running motion, rad.
    public var qDesired = InlineArray<7, Double>(repeating: 0)
    /// Measured link-side joint torques, N·m.
    public var tauJ = InlineArray<7, Double>(repeating: 0)
    /// Filtered external torque estimate, N·m.
    public var tauExternal = InlineArray<7, Double>(repeating: 0)
    /// Measured end-effector pose in the base frame, column-major 4×4.
    public var oTEE = InlineArray<16, Double>(repeating: 0)
    /// Last desired end-effector pose, column-major 4×4.
    public var oTEEDesired = InlineArray<16, Double>(repeating: 0)
    /// Estimated external wrench on the end effector in the base frame (N, N·m).
    public var externalWrench = InlineArray<6, Double>(repeating: 0)
    /// `RobotMode` raw value (0 Other, 1 Idle, 2 Move, 3 Guiding, 4 Reflex, 5 UserStopped,
    /// 6 AutomaticErrorRecovery).
    public var robotMode: Int32 = 0
    /// `current_errors` as a bit set: bit i is field i+1 of `FrankaRobotStateMessage.Errors`.
    public var currentErrors: UInt64 = 0
    /// `last_motion_errors`, same layout.
    public var lastMotionErrors: UInt64 = 0
    /// libfranka's 1 kHz command success rate, 0…1.
    public var controlCommandSuccessRate: Double = 0
    /// NUC robot time in ms; stops advancing while no controller runs (stale state).
    public var timeMilliseconds: UInt64 = 0
    /// Publish counter; keeps counting even while the state is stale.
    public var frame: UInt64 = 0

    public init() {}

    /// End-effector position (m) from `oTEE`.
    public var eePositionMeters: (x: Double, y: Double, z: Double) { (oTEE[12], oTEE[13], oTEE[14]) }
}

/// The parts of a deoxys `FrankaGripperStateMessage` the runtime uses.
public struct FrankaGripperSample: Sendable, Equatable {
    public var widthMeters: Double = 0
    public var maxWidthMeters: Double = 0
    public var isGrasped = false
    public var temperature: UInt32 = 0
    public var timeMilliseconds: UInt64 = 0
    public init() {}
}
