import PLDCore

/// The physics behind a simulated Franka Panda with a Franka Hand: what the simulated deoxys
/// NUC (``FrankaNUCSimulator``) reads and commands, in the terms libfranka gives a real NUC.
///
/// Implemented by the MuJoCo world; tests use a kinematic stand-in.
///
/// Threading: the NUC calls these methods from its own threads — the arm node thread
/// (``readState()``, the arm commands) and the gripper node thread (``readState()``, the
/// gripper commands) — concurrently with each other and with the physics thread that steps the
/// world. Implementations must be thread-safe, and every call must return promptly: commands
/// only set goals that the physics thread then tracks; none blocks until a motion ends.
public protocol FrankaPlant: AnyObject, Sendable {
    /// One consistent snapshot of the arm and gripper.
    func readState() -> FrankaPlantState

    /// Moves the end effector to `goal` (base frame) over `interpolationSeconds`, like deoxys's
    /// LINEAR_POSE interpolator feeding its OSC controller: linear in position, slerp in
    /// rotation (quaternion sign aligned), starting from the previous goal — or from the
    /// measured pose when no controller was running (first goal after ``stopMotion()`` or at
    /// start) — and holding `goal` afterwards.
    func commandPose(goal: Pose, interpolationSeconds: Double)

    /// Moves the 7 joints to `goal` (rad) over `interpolationSeconds`, linearly from the
    /// previous joint goal (or the measured position when no controller was running), and
    /// holds it: position control for `.position`, joint impedance for `.impedance`.
    func commandJoints(goal: [Double], interpolationSeconds: Double, kind: JointControlKind)

    /// Ends any motion (deoxys NO_CONTROL, termination, process exit, reflex): the arm holds
    /// still where it is now, and the next goal interpolates from the measured pose.
    func stopMotion()

    /// Franka Hand `move`: fingers to `widthMeters` at `speedMetersPerSecond`. Starts the motion
    /// and returns; ``FrankaPlantState/gripperIsMoving`` is true until it ends.
    func moveGripper(widthMeters: Double, speedMetersPerSecond: Double)

    /// Franka Hand `grasp`: close towards `widthMeters` at `speedMetersPerSecond` with
    /// `forceNewtons`. When the motion ends, ``FrankaPlantState/gripperIsGrasped`` is true if the
    /// fingers stopped within [width − epsilonInner, width + epsilonOuter] (libfranka's
    /// success rule). Starts the motion and returns.
    func grasp(
        widthMeters: Double, speedMetersPerSecond: Double, forceNewtons: Double, epsilonInnerMeters: Double,
        epsilonOuterMeters: Double)

    /// Franka Hand `stop`: ends the current gripper motion (releasing a grasp's force).
    func stopGripper()

    /// Franka Hand `homing`: open fully and re-measure the maximum width. Starts the motion and
    /// returns.
    func homeGripper()
}

/// What a simulated Franka reports: the subset of libfranka `RobotState` and `GripperState`
/// that the NUC publishes from physics (the rest is filled as libfranka would fill it).
public struct FrankaPlantState: Sendable, Equatable {
    /// Joint positions, rad (7).
    public var q: [Double]
    /// Joint velocities, rad/s (7).
    public var dq: [Double]
    /// Measured link-side joint torques, N·m (7).
    public var tauJ: [Double]
    /// libfranka `O_T_EE`: the end-effector pose in the base frame, column-major 4×4 (16).
    public var O_T_EE: [Double]
    /// Current finger opening, m.
    public var gripperWidthMeters: Double
    /// Maximum opening measured by the last homing, m (Franka Hand: 0.08).
    public var gripperMaxWidthMeters: Double
    /// Whether the hand holds an object (libfranka `GripperState.is_grasped`).
    public var gripperIsGrasped: Bool
    /// Whether a gripper move, grasp or homing is still running (a libfranka gripper call
    /// would still be blocking).
    public var gripperIsMoving: Bool
    /// Whether the arm is moving under a controller (goal not reached yet, or velocity not
    /// settled).
    public var isMoving: Bool

    public init(
        q: [Double], dq: [Double], tauJ: [Double], O_T_EE: [Double], gripperWidthMeters: Double,
        gripperMaxWidthMeters: Double = 0.08, gripperIsGrasped: Bool = false, gripperIsMoving: Bool = false,
        isMoving: Bool = false
    ) {
        self.q = q
        self.dq = dq
        self.tauJ = tauJ
        self.O_T_EE = O_T_EE
        self.gripperWidthMeters = gripperWidthMeters
        self.gripperMaxWidthMeters = gripperMaxWidthMeters
        self.gripperIsGrasped = gripperIsGrasped
        self.gripperIsMoving = gripperIsMoving
        self.isMoving = isMoving
    }

    /// ``O_T_EE`` as a pose.
    public var endEffectorPose: Pose { Pose(columnMajor: O_T_EE) }
}

/// How a joint-space goal is tracked.
public enum JointControlKind: Sendable, Equatable {
    /// deoxys JOINT_POSITION (libfranka joint position motion generator).
    case position
    /// deoxys JOINT_IMPEDANCE (torque control with joint stiffness and damping).
    case impedance
}
