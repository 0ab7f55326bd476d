import Foundation
import MuJoCo

/// Where one arm should go during a chunk, and what its gripper does.
struct YAMArmGoal: Sendable {
    enum Target: Sendable {
        /// Stop where the plan is (braking within the acceleration limit).
        case hold
        /// Move the grasp site in a straight line (position and rotation) to this pose.
        case pose(MJPose)
        /// Move the joints in a straight line to these positions, rad.
        case joints([Double])
        /// Move the joints in a straight line to the IK solution for this grasp-site pose,
        /// searched from `seed` (nil: the plan's joints), resolved once per chunk: fast free
        /// moves whose path in space does not matter, and a chosen arm posture.
        case posture(MJPose, seed: [Double]?)
    }

    var target: Target
    /// Gripper target, 0 open … 1 closed.
    var gripper: Double
    /// Fraction of the full speeds of ``YAMArmMotion/Limits`` (slow descents and insertions).
    var speedScale = 1.0
    /// What the arm carries: mass, kg, and centre of mass in the grasp site's frame, m.
    var payload: (massKg: Double, offsetM: SIMD3<Double>)?
}

/// The planned target of one arm at one control step.
struct YAMArmPlanPoint: Sendable {
    /// Joint targets, rad.
    var q: [Double]
    /// This step's change of `q`, rad (the previous step's, for the acceleration limit).
    var stepRad: [Double]
    /// Speed along the current straight line as a fraction of the goal's full speed, 0…1.
    var speedFraction: Double
    /// Gripper target, 0 open … 1 closed.
    var gripper: Double
}

/// One arm's planned motion, one control step at a time: a straight line toward the goal with
/// a trapezoidal speed profile (accelerate, cruise, brake to a stop at the goal), then joint
/// targets through IK, then every joint's step kept inside ``Limits``.
///
/// The limits are what keeps the runtime's safety chain from ever clamping a planned target.
/// The chain measures each step against the *measured* joints (Δ = target − q, |Δ| ≤ 0.05 rad;
/// |Δ − Δ_prev| ≤ 0.5 · 10 rad/s² · T² = 0.0056 rad at 30 Hz), and the YAM's PD gains make the
/// arm lag its target by about (kd + joint damping) / kp · q̇ — 0.07 s on joints 1–3
/// (kp 80, kd 5), 0.16 s on the wrist (kp 10, kd 1.5). So Δ ≈ q̇ · (T + lag): 0.4 rad/s on
/// the big joints and 0.21 rad/s on the wrist keep Δ under 0.042 rad, and 1.2 / 0.6 rad/s²
/// keep its change per tick under 0.0042 rad. (Measured on the plant: a wrist joint ramped to
/// 0.2 rad/s peaks at Δ = 0.040 rad, at 0.25 rad/s at 0.049.)
///
/// A payload adds a steady droop: the driver's gravity compensation knows only the arm, so
/// the card's weight holds each joint τ / kp short of its target (about 0.02 rad on a wrist
/// joint, kp 10, for the 0.1 kg card held at arm's length). That droop counts in Δ too, so with
/// a payload each joint's speed is capped at (``Limits/stepBudgetRad`` − droop) / (T + lag);
/// ``YAMGPUInsertionPolicy`` also aims a loaded arm's goal past the droop.
enum YAMArmMotion {
    struct Limits: Sendable {
        /// Δ the plan may use per joint (the chain allows 0.05 rad), rad.
        var stepBudgetRad = 0.042
        /// Slowest speed a payload's droop may force, rad/s.
        var minimumJointSpeedRadPerS = 0.02
        /// The plant's PD stiffness per joint, N·m/rad (the shipped config's gains, i2rt's), and
        /// the steady lag per unit speed it implies, s.
        var kp: [Double] = [80, 80, 80, 10, 10, 10]
        var lagS: [Double] = [0.069, 0.069, 0.069, 0.16, 0.16, 0.16]
        var jointSpeedRadPerS: [Double] = [0.4, 0.4, 0.4, 0.21, 0.21, 0.21]
        var jointAccelerationRadPerS2: [Double] = [1.2, 1.2, 1.2, 0.6, 0.6, 0.6]
        var linearSpeedMPerS = 0.1
        var angularSpeedRadPerS = 0.5
        /// Time to reach full speed from rest (and to brake from it), s.
        var accelerationTimeS = 0.5
        /// Control period, s (30 Hz).
        var periodS = 1.0 / 30
    }

    /// The plan point one control period after `point`, moving toward `goal`.
    static func advance(
        _ point: YAMArmPlanPoint, toward goal: YAMArmGoal, limits: Limits, kinematics: YAMArmKinematics
    ) -> YAMArmPlanPoint {
        let period = limits.periodS
        let scale = max(0.05, min(1, goal.speedScale))
        var jointSpeed = limits.jointSpeedRadPerS
        if let payload = goal.payload {
            let torques = kinematics.gravityTorques(point.q, massKg: payload.massKg, offset: payload.offsetM)
            for j in 0..<6 {
                let droop = abs(torques[j]) / limits.kp[j]
                let speed = (limits.stepBudgetRad - droop) / (period + limits.lagS[j])
                jointSpeed[j] = min(jointSpeed[j], max(limits.minimumJointSpeedRadPerS, speed))
            }
        }
        var next = point
        next.gripper = goal.gripper
        var desired = [Double](repeating: 0, count: 6)
        var speed = 0.0
        switch goal.target {
        case .hold:
            // Brake: every joint's step shrinks toward zero as fast as the limits allow.
            for j in 0..<6 {
                let brake = limits.jointAccelerationRadPerS2[j] * period * period
                let step = point.stepRad[j]
                desired[j] = step > 0 ? max(0, step - brake) : min(0, step + brake)
            }
        case .posture:
            preconditionFailure("resolve postures to joints before advancing (YAMGPUInsertionPolicy)")
        case .joints(let target):
            // Seconds the move would take at full speed (the slowest joint decides).
            var remainingS = 0.0
            for j in 0..<6 { remainingS = max(remainingS, abs(target[j] - point.q[j]) / (jointSpeed[j] * scale)) }
            speed = profileSpeed(point.speedFraction, remainingS: remainingS, limits: limits)
            let fraction = remainingS > 1e-9 ? min(1, speed * period / remainingS) : 1
            for j in 0..<6 { desired[j] = fraction * (target[j] - point.q[j]) }
        case .pose(let target):
            let current = kinematics.pose(point.q)
            let dp = target.position - current.position
            let dr = YAMArmKinematics.rotationError(from: current.rotation, to: target.rotation)
            let remainingS = max(
                (dp * dp).sum().squareRoot() / (limits.linearSpeedMPerS * scale),
                (dr * dr).sum().squareRoot() / (limits.angularSpeedRadPerS * scale))
            speed = profileSpeed(point.speedFraction, remainingS: remainingS, limits: limits)
            let fraction = remainingS > 1e-9 ? min(1, speed * period / remainingS) : 1
            let waypoint = MJPose(
                position: current.position + fraction * dp,
                rotation: rotation(fraction * dr) * current.rotation)
            let solution = kinematics.solve(waypoint, seed: point.q)
            for j in 0..<6 { desired[j] = solution.q[j] - point.q[j] }
        }
        // Joint limits: one uniform scale keeps the straight line when it can; a joint that
        // must keep braking or cannot turn round in one step is clamped on its own.
        var uniform = 1.0
        var bounds: [(low: Double, high: Double)] = []
        for j in 0..<6 {
            let v = jointSpeed[j] * period
            let a = limits.jointAccelerationRadPerS2[j] * period * period
            let low = max(-v, point.stepRad[j] - a), high = min(v, point.stepRad[j] + a)
            bounds.append((low, high))
            if desired[j] > high { uniform = min(uniform, high > 0 ? high / desired[j] : 0) }
            if desired[j] < low { uniform = min(uniform, low < 0 ? low / desired[j] : 0) }
        }
        for j in 0..<6 {
            let step = min(max(uniform * desired[j], bounds[j].low), bounds[j].high)
            next.stepRad[j] = step
            next.q[j] = min(max(point.q[j] + step, kinematics.lowerRad[j]), kinematics.upperRad[j])
            next.stepRad[j] = next.q[j] - point.q[j]
        }
        next.speedFraction = speed * uniform
        return next
    }

    /// The next speed fraction of a trapezoidal profile: accelerate by period / acceleration
    /// time, never above 1, and never faster than lets the move brake to a stop in the
    /// `remainingS` (seconds at full speed) left.
    static func profileSpeed(_ current: Double, remainingS: Double, limits: Limits) -> Double {
        let accelerated = current + limits.periodS / limits.accelerationTimeS
        let braking = (2 * remainingS / limits.accelerationTimeS).squareRoot()
        return max(0, min(accelerated, 1, braking))
    }

    /// The rotation matrix of a rotation vector (axis × angle).
    static func rotation(_ vector: SIMD3<Double>) -> MJRotationMatrix {
        let angle = (vector * vector).sum().squareRoot()
        guard angle > 1e-12 else { return .identity }
        let half = angle / 2, axis = vector / angle * sin(half)
        return MJQuaternion(w: cos(half), x: axis.x, y: axis.y, z: axis.z).rotationMatrix
    }
}
