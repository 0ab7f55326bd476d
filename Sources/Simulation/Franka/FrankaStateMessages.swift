import Wire

/// Builds the state messages a deoxys NUC publishes, filled as libfranka fills `RobotState`
/// and `GripperState` for a Panda with a Franka Hand under deoxys's torque control.
///
/// - Measured values come from the plant: `q`, `dq`, `tau_J`, `O_T_EE`.
/// - deoxys controls torques without a libfranka motion generator, so the "desired" and
///   "commanded" motion-generator fields report the measured ones (`q_d = q`, `dq_d = dq`,
///   `O_T_EE_d = O_T_EE_c = O_T_EE`, `theta = q`, `dtheta = dq`), and the rest are zeros.
/// - Hand and load constants are libfranka's Franka Hand defaults.
/// - `current_robot_poses_frames` stays empty (deoxys never fills it).
enum FrankaStateMessages {
    /// A state the node stored (libfranka `RobotState` as of `timeSeconds`).
    struct Snapshot {
        var plant: FrankaPlantState
        /// Robot time of the snapshot, s.
        var timeSeconds: Double
    }

    /// Franka Hand flange → end effector: 0.1034 m along z, −45° about z (libfranka default).
    static let handTransform: [Double] = [
        0.7071067811865476, -0.7071067811865476, 0, 0,
        0.7071067811865476, 0.7071067811865476, 0, 0,
        0, 0, 1, 0,
        0, 0, 0.1034, 1,
    ]
    static let identityTransform: [Double] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    static let handMassKilograms = 0.73
    static let handInertia: [Double] = [0.001, 0, 0, 0, 0.0025, 0, 0, 0, 0.0017]
    static let handCenterOfMass: [Double] = [-0.01, 0, 0.03]

    /// The arm state message for `snapshot`, published as number `frame`.
    static func robotState(
        _ snapshot: Snapshot, frame: UInt64, mode: DeoxysFrankaRobotStateMessage.RobotMode,
        errors: DeoxysFrankaRobotStateMessage.Errors
    ) -> DeoxysFrankaRobotStateMessage {
        let s = snapshot.plant
        let zeros6 = [Double](repeating: 0, count: 6), zeros7 = [Double](repeating: 0, count: 7)
        var m = DeoxysFrankaRobotStateMessage()
        m.oTEe = s.O_T_EE
        m.oTEeD = s.O_T_EE
        m.fTEe = handTransform
        m.fTNe = handTransform
        m.neTEe = identityTransform
        m.eeTK = identityTransform
        m.mEe = handMassKilograms
        m.iEe = handInertia
        m.fXCee = handCenterOfMass
        m.mLoad = 0
        m.iLoad = [Double](repeating: 0, count: 9)
        m.fXCload = [0, 0, 0]
        m.mTotal = handMassKilograms
        m.iTotal = handInertia
        m.fXCtotal = handCenterOfMass
        let elbow = [s.q.count > 2 ? s.q[2] : 0, -1]
        m.elbow = elbow
        m.elbowD = elbow
        m.elbowC = elbow
        m.delbowC = [0, 0]
        m.ddelbowC = [0, 0]
        m.tauJ = s.tauJ
        m.tauJD = zeros7
        m.dtauJ = zeros7
        m.q = s.q
        m.qD = s.q
        m.dq = s.dq
        m.dqD = s.dq
        m.ddqD = zeros7
        m.jointContact = zeros7
        m.cartesianContact = zeros6
        m.jointCollision = zeros7
        m.cartesianCollision = zeros6
        m.tauExtHatFiltered = zeros7
        m.oFExtHatK = zeros6
        m.kFExtHatK = zeros6
        m.oDPEeD = zeros6
        m.oTEeC = s.O_T_EE
        m.oDPEeC = zeros6
        m.oDdPEeC = zeros6
        m.theta = s.q
        m.dtheta = s.dq
        m.currentErrors = errors
        m.lastMotionErrors = errors
        m.controlCommandSuccessRate = 1.0
        m.robotMode = mode
        m.time = duration(snapshot.timeSeconds)
        m.frame = frame
        return m
    }

    /// The gripper state message (libfranka `GripperState`).
    static func gripperState(_ s: FrankaPlantState, temperatureCelsius: UInt32, timeSeconds: Double)
        -> DeoxysFrankaGripperStateMessage
    {
        var m = DeoxysFrankaGripperStateMessage()
        m.width = s.gripperWidthMeters
        m.maxWidth = s.gripperMaxWidthMeters
        m.isGrasped = s.gripperIsGrasped
        m.temperature = temperatureCelsius
        var time = DeoxysFrankaGripperStateMessage.Duration()
        time.toSec = timeSeconds
        time.toMsec = UInt64(max(0, timeSeconds * 1000).rounded(.down))
        m.time = time
        return m
    }

    static func duration(_ seconds: Double) -> DeoxysFrankaRobotStateMessage.Duration {
        var time = DeoxysFrankaRobotStateMessage.Duration()
        time.toSec = seconds
        time.toMsec = UInt64(max(0, seconds * 1000).rounded(.down))
        return time
    }
}
