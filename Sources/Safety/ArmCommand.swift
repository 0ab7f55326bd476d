/// The physical command for one arm that leaves the safety chain, in the units the links send.
///
/// Inline storage only: the control thread copies it without allocating.
public struct ArmCommand: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// Send no motion: the caller sends the arm's hold command (PLD `hold`, deoxys a zero
        /// delta or its hold path). Raised by NaN/Inf actions and stale states.
        case hold
        /// `ee_delta` arms: `translationM` and `rotationRad` relative to the measured pose.
        case endEffectorDelta
        /// `joint_position` arms: absolute `jointTargetsRad`.
        case jointTargets
    }

    public var mode: Mode
    /// `ee_delta`: position goal = measured end-effector position + this, base frame, m
    /// (deoxys OSC delta goal, deoxys-wire.md §6.3).
    public var translationM: SIMD3<Double> = .zero
    /// `ee_delta`: axis-angle (direction = axis, length = angle, rad); orientation goal =
    /// R(rotationRad) · measured orientation, base frame.
    public var rotationRad: SIMD3<Double> = .zero
    /// Joints of the arm (entries at and beyond it are zero).
    public var jointCount: Int
    /// `joint_position`: absolute joint targets, rad, in the joint space of `ArmState.q`.
    public var jointTargetsRad = InlineArray<8, Double>(repeating: 0)
    /// `joint_position`: target − measured q at this tick, rad (0 on hold). The next tick's
    /// acceleration limit compares against it.
    public var jointStepsRad = InlineArray<8, Double>(repeating: 0)
    /// Gripper command, 0 open … 1 closed (the PLD arm protocol's convention); nil for an arm
    /// without a gripper and on hold.
    public var gripper: Double?

    public init(mode: Mode, jointCount: Int) {
        self.mode = mode
        self.jointCount = jointCount
    }

    /// No motion for an arm with `jointCount` joints.
    public static func hold(jointCount: Int) -> ArmCommand { ArmCommand(mode: .hold, jointCount: jointCount) }

    /// Every value that would be sent is finite.
    public var isFinite: Bool {
        guard translationM.x.isFinite, translationM.y.isFinite, translationM.z.isFinite,
              rotationRad.x.isFinite, rotationRad.y.isFinite, rotationRad.z.isFinite,
              gripper?.isFinite ?? true
        else { return false }
        for j in 0..<jointCount where !jointTargetsRad[j].isFinite || !jointStepsRad[j].isFinite { return false }
        return true
    }

    /// For tests and logs (allocates).
    public var jointTargets: [Double] { (0..<jointCount).map { jointTargetsRad[$0] } }

    public static func == (a: ArmCommand, b: ArmCommand) -> Bool {
        guard a.mode == b.mode, a.jointCount == b.jointCount, a.translationM == b.translationM,
              a.rotationRad == b.rotationRad, a.gripper == b.gripper
        else { return false }
        for j in 0..<a.jointCount where a.jointTargetsRad[j] != b.jointTargetsRad[j] || a.jointStepsRad[j] != b.jointStepsRad[j] {
            return false
        }
        return true
    }
}
