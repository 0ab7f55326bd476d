import PLDCore

/// Forward kinematics of one arm, injected by the runtime.
///
/// Safety imports only PLDCore, so it cannot call MuJoCo itself: the runtime wraps its
/// `Drivers.ArmKinematics` (or any other model) in this value, one per arm, when it builds the
/// `SafetyChain`.
///
/// Contract of the closure:
/// - it is called **on the control thread**, inside `SafetyChain.apply`, at most
///   `maxCallsPerTick` times per arm and tick;
/// - it must not allocate, lock, block or log (keep any scratch storage, such as the `[Double]`
///   that `ArmKinematics.pose(q:)` takes, captured and preallocated);
/// - `q` holds the joint positions in the same joint space as `ArmState.q` and the commands
///   (entries at and beyond the arm's joint count are zero); apply calibration offsets inside
///   the closure if the model needs them;
/// - the returned pose is the end effector in the arm's base frame, the frame of the arm's
///   `safety.workspaces` box and of `ArmState.eePose`.
public struct ForwardKinematics {
    /// Number of joints the model expects.
    public let jointCount: Int
    private let pose: (_ q: InlineArray<8, Double>) -> Pose

    /// Most calls per arm and tick: a `joint_position` arm's workspace check evaluates the
    /// target, the measured q and each bisection step, twice (stage 5 and its recheck after
    /// stages 6–7). An `ee_delta` arm needs one call, only when its state has no pose.
    public static let maxCallsPerTick = 2 * (WorkspaceLimit.bisectionSteps + 2)

    public init(jointCount: Int, endEffectorPose: @escaping (_ q: InlineArray<8, Double>) -> Pose) {
        self.jointCount = jointCount
        self.pose = endEffectorPose
    }

    /// End-effector pose in the base frame at joint positions `q`.
    public func endEffectorPose(_ q: InlineArray<8, Double>) -> Pose { pose(q) }

    /// End-effector position in the base frame at joint positions `q`, m.
    public func position(_ q: InlineArray<8, Double>) -> SIMD3<Double> { pose(q).translation }
}
