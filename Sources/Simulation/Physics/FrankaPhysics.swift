import Foundation
import MuJoCo
import PLDCore

/// The MuJoCo Panda behind a simulated deoxys NUC: a ``FrankaPlant`` whose commands set goals
/// that ``SimWorld``'s physics thread tracks with the controllers a real NUC runs —
/// operational-space control for pose goals (deoxys OSC: Kp from the config, Kd = 2√Kp,
/// Λ-weighted, null space pulled to a rest posture), computed-torque joint control for joint
/// goals, a joint hold when no controller runs — plus gravity and Coriolis compensation
/// (`qfrc_bias`), and the Franka Hand as a rate-limited position servo.
///
/// Threading: the NUC's threads call the ``FrankaPlant`` methods; they only update the goal
/// under the world's lock. ``control(_:)`` runs on the physics thread with the lock held.
public final class FrankaPhysics: FrankaPlant, WorldController, @unchecked Sendable {
    // @unchecked: every mutable field is touched only with `world.lock` held.
    private let world: SimWorld
    private let joints: [MJJointID]
    private let actuators: [MJActuatorID]
    private let qposAddress: [Int]
    private let dofAddress: [Int]
    private let site: MJSiteID
    private let gripperActuator: MJActuatorID
    private let fingers: (MJJointID, MJJointID)
    private let torqueLimits: [Double]

    /// deoxys OSC gains (osc-pose-controller.yml defaults).
    public var translationalStiffness = SIMD3<Double>(150, 150, 150)
    public var rotationalStiffness = SIMD3<Double>(250, 250, 250)
    /// Joint-space tracking: natural frequency rad/s of the computed-torque loop.
    public var jointOmega = 20.0
    /// The null-space posture OSC pulls towards (deoxys pulls towards a fixed posture too).
    public var restPosture: [Double] = [0, -0.785, 0, -2.356, 0, 1.571, 0.785]

    private enum Mode {
        case hold(q: [Double])
        case pose(start: Pose, goal: Pose, startTime: Double, duration: Double)
        case joints(start: [Double], goal: [Double], startTime: Double, duration: Double, kind: JointControlKind)
    }
    private var mode: Mode
    private var controllerRunning = false

    // Gripper: target opening of one finger (m) ramped at a speed; a grasp ends when the fingers stop.
    private enum GripperMotion { case idle, moving, grasping(width: Double, inner: Double, outer: Double) }
    private var gripperMotion = GripperMotion.idle
    private var gripperTargetPerFinger = 0.04
    private var gripperCommandPerFinger = 0.04
    private var gripperSpeedPerFinger = 0.05
    private var gripperStillSince = 0.0
    private var grasped = false
    private var maxWidth = 0.08

    // Scratch, sized once.
    private var jacobian: MJJacobian
    private var mass: [Double]
    private var arm = [Double](repeating: 0, count: 7 * 7)
    private var armInverse = [Double](repeating: 0, count: 7 * 7)
    private var lambda = [Double](repeating: 0, count: 36)
    private var work7 = [Double](repeating: 0, count: 49)
    private var work6 = [Double](repeating: 0, count: 36)
    private var j = [Double](repeating: 0, count: 6 * 7)
    private var lastTorque = [Double](repeating: 0, count: 7)

    /// Binds to the Panda named `joint1`…`joint7`, site `ee`, actuator `gripper` in `world`.
    public init(world: SimWorld, prefix: String = "") throws(MuJoCoError) {
        self.world = world
        let model = world.model
        var joints: [MJJointID] = [], actuators: [MJActuatorID] = []
        for i in 1...7 {
            joints.append(try model.joint(named: "\(prefix)joint\(i)"))
            actuators.append(try model.actuator(named: "\(prefix)joint\(i)"))
        }
        self.joints = joints
        self.actuators = actuators
        qposAddress = joints.map { model.qposAddress(of: $0) }
        dofAddress = joints.map { model.dofAddress(of: $0) }
        torqueLimits = actuators.map { model.controlRange(of: $0)?.upperBound ?? 87 }
        site = try model.site(named: "\(prefix)ee")
        gripperActuator = try model.actuator(named: "\(prefix)gripper")
        fingers = (try model.joint(named: "\(prefix)finger_joint1"), try model.joint(named: "\(prefix)finger_joint2"))
        jacobian = MJJacobian(model: model)
        mass = [Double](repeating: 0, count: model.nv * model.nv)
        mode = .hold(q: qposAddress.map { world.data.qpos[$0] })
        world.add(self)
    }

    // MARK: FrankaPlant (any thread)

    public func readState() -> FrankaPlantState {
        world.withLock { data in
            let q = qposAddress.map { data.qpos[$0] }
            let dq = dofAddress.map { data.qvel[$0] }
            let pose = data.pose(of: site)
            let rotation = Rotation(rowMajor: [
                pose.rotation[0, 0], pose.rotation[0, 1], pose.rotation[0, 2],
                pose.rotation[1, 0], pose.rotation[1, 1], pose.rotation[1, 2],
                pose.rotation[2, 0], pose.rotation[2, 1], pose.rotation[2, 2],
            ])
            let columnMajor = Pose(rotation: rotation, translation: pose.position).columnMajorArray
            let speed = dq.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var moving = false
            switch mode {
            case .hold: moving = false
            case let .pose(_, _, start, duration), let .joints(_, _, start, duration, _):
                moving = data.timeSeconds < start + duration || speed > 1e-3
            }
            let motionActive: Bool = if case .idle = gripperMotion { false } else { true }
            return FrankaPlantState(
                q: q, dq: dq, tauJ: lastTorque, O_T_EE: columnMajor,
                gripperWidthMeters: fingerWidth(data), gripperMaxWidthMeters: maxWidth,
                gripperIsGrasped: grasped, gripperIsMoving: motionActive, isMoving: moving)
        }
    }

    public func commandPose(goal target: Pose, interpolationSeconds: Double) {
        world.withLock { data in
            let start: Pose
            if case let .pose(previousStart, previousGoal, startTime, duration) = mode, controllerRunning {
                // deoxys: each later goal starts from the previous goal (or where the
                // interpolation currently is, if it has not arrived yet).
                start = Self.interpolate(previousStart, previousGoal, (data.timeSeconds - startTime) / max(duration, 1e-9))
            } else {
                start = measuredPose(data)
            }
            mode = .pose(start: start, goal: target, startTime: data.timeSeconds, duration: max(interpolationSeconds, 0))
            controllerRunning = true
        }
    }

    public func commandJoints(goal: [Double], interpolationSeconds: Double, kind: JointControlKind) {
        guard goal.count == 7, goal.allSatisfy(\.isFinite) else { return }
        world.withLock { data in
            let start: [Double]
            if case let .joints(previousStart, previousGoal, startTime, duration, _) = mode, controllerRunning {
                let s = min(1, max(0, (data.timeSeconds - startTime) / max(duration, 1e-9)))
                start = (0..<7).map { previousStart[$0] + s * (previousGoal[$0] - previousStart[$0]) }
            } else {
                start = qposAddress.map { data.qpos[$0] }
            }
            mode = .joints(start: start, goal: goal, startTime: data.timeSeconds, duration: max(interpolationSeconds, 0), kind: kind)
            controllerRunning = true
        }
    }

    public func stopMotion() {
        world.withLock { data in
            mode = .hold(q: qposAddress.map { data.qpos[$0] })
            controllerRunning = false
        }
    }

    public func moveGripper(widthMeters: Double, speedMetersPerSecond: Double) {
        world.withLock { _ in
            gripperTargetPerFinger = min(0.04, max(0, widthMeters / 2))
            gripperSpeedPerFinger = max(1e-3, speedMetersPerSecond / 2)
            gripperMotion = .moving
            grasped = false
        }
    }

    public func grasp(
        widthMeters: Double, speedMetersPerSecond: Double, forceNewtons: Double, epsilonInnerMeters: Double,
        epsilonOuterMeters: Double
    ) {
        world.withLock { data in
            // Close past the requested width so the servo squeezes what it meets.
            gripperTargetPerFinger = 0
            gripperSpeedPerFinger = max(1e-3, speedMetersPerSecond / 2)
            gripperMotion = .grasping(width: widthMeters, inner: epsilonInnerMeters, outer: epsilonOuterMeters)
            gripperStillSince = data.timeSeconds
            grasped = false
        }
    }

    public func stopGripper() {
        world.withLock { data in
            gripperCommandPerFinger = fingerWidth(data) / 2
            gripperTargetPerFinger = gripperCommandPerFinger
            gripperMotion = .idle
            grasped = false
        }
    }

    public func homeGripper() {
        moveGripper(widthMeters: 0.08, speedMetersPerSecond: 0.1)
        world.withLock { _ in maxWidth = 0.08 }
    }

    // MARK: WorldController (physics thread, lock held)

    func control(_ data: MJData, dt: Double) {
        let q = qposAddress.map { data.qpos[$0] }
        let dq = dofAddress.map { data.qvel[$0] }
        data.fullMassMatrix(into: &mass)
        let nv = world.model.nv
        for r in 0..<7 {
            for c in 0..<7 { arm[r * 7 + c] = mass[dofAddress[r] * nv + dofAddress[c]] }
        }
        var torque = [Double](repeating: 0, count: 7)
        switch mode {
        case let .hold(target):
            torque = jointTorque(q: q, dq: dq, qDesired: target)
        case let .joints(start, goal, startTime, duration, _):
            let s = min(1, max(0, (data.timeSeconds - startTime) / max(duration, 1e-9)))
            torque = jointTorque(q: q, dq: dq, qDesired: (0..<7).map { start[$0] + s * (goal[$0] - start[$0]) })
        case let .pose(start, goal, startTime, duration):
            let target = Self.interpolate(start, goal, (data.timeSeconds - startTime) / max(duration, 1e-9))
            torque = operationalSpaceTorque(data, q: q, dq: dq, target: target)
        }
        for i in 0..<7 {
            let total = torque[i] + data.qfrcBias[dofAddress[i]]
            let limited = min(torqueLimits[i], max(-torqueLimits[i], total.isFinite ? total : 0))
            data.setControl(limited, of: actuators[i])
            lastTorque[i] = limited
        }
        updateGripper(data, dt: dt)
    }

    /// Computed torque towards `qDesired`: M·(ω²(q* − q) − 2ω·dq).
    private func jointTorque(q: [Double], dq: [Double], qDesired: [Double]) -> [Double] {
        let kp = jointOmega * jointOmega, kd = 2 * jointOmega
        let acceleration = (0..<7).map { kp * (qDesired[$0] - q[$0]) - kd * dq[$0] }
        return (0..<7).map { r in (0..<7).reduce(0) { $0 + arm[r * 7 + $1] * acceleration[$1] } }
    }

    /// deoxys-style OSC: F = Λ(Kp·e − Kd·v), τ = Jᵀ F + null-space posture torque.
    private func operationalSpaceTorque(_ data: MJData, q: [Double], dq: [Double], target: Pose) -> [Double] {
        data.siteJacobian(site, into: &jacobian)
        for c in 0..<7 {
            for r in 0..<3 {
                j[r * 7 + c] = jacobian.linear(r, dofAddress[c])
                j[(r + 3) * 7 + c] = jacobian.angular(r, dofAddress[c])
            }
        }
        let measured = measuredPose(data)
        let positionError = target.translation - measured.translation
        let rotationError = (target.rotation * measured.rotation.transposed).axisAngle
        var velocity = [Double](repeating: 0, count: 6)
        for r in 0..<6 { velocity[r] = (0..<7).reduce(0) { $0 + j[r * 7 + $1] * dq[$1] } }
        var acceleration = [Double](repeating: 0, count: 6)
        for i in 0..<3 {
            let kpT = translationalStiffness[i], kpR = rotationalStiffness[i]
            acceleration[i] = kpT * positionError[i] - 2 * kpT.squareRoot() * velocity[i]
            acceleration[i + 3] = kpR * rotationError[i] - 2 * kpR.squareRoot() * velocity[i + 3]
        }
        // Λ = (J M⁻¹ Jᵀ)⁻¹
        for i in 0..<49 { armInverse[i] = arm[i] }
        guard SmallMatrix.invert(&armInverse, n: 7, work: &work7) else { return jointTorque(q: q, dq: dq, qDesired: q) }
        var mInvJt = [Double](repeating: 0, count: 7 * 6)
        for r in 0..<7 {
            for c in 0..<6 { mInvJt[r * 6 + c] = (0..<7).reduce(0) { $0 + armInverse[r * 7 + $1] * j[c * 7 + $1] } }
        }
        for r in 0..<6 {
            for c in 0..<6 { lambda[r * 6 + c] = (0..<7).reduce(0) { $0 + j[r * 7 + $1] * mInvJt[$1 * 6 + c] } }
        }
        guard SmallMatrix.invert(&lambda, n: 6, work: &work6) else { return jointTorque(q: q, dq: dq, qDesired: q) }
        var force = [Double](repeating: 0, count: 6)
        for r in 0..<6 { force[r] = (0..<6).reduce(0) { $0 + lambda[r * 6 + $1] * acceleration[$1] } }
        var torque = (0..<7).map { c in (0..<6).reduce(0) { $0 + j[$1 * 7 + c] * force[$1] } }
        // Null space: τ₀ = M(kp(q_rest − q) − kd dq), projected by (I − Jᵀ J̄ᵀ), J̄ = M⁻¹ Jᵀ Λ.
        let nullKp = 10.0, nullKd = 2 * nullKp.squareRoot()
        let posture = (0..<7).map { nullKp * (restPosture[$0] - q[$0]) - nullKd * dq[$0] }
        let tau0 = (0..<7).map { r in (0..<7).reduce(0) { $0 + arm[r * 7 + $1] * posture[$1] } }
        var jBar = [Double](repeating: 0, count: 7 * 6)
        for r in 0..<7 {
            for c in 0..<6 { jBar[r * 6 + c] = (0..<6).reduce(0) { $0 + mInvJt[r * 6 + $1] * lambda[$1 * 6 + c] } }
        }
        // (Jᵀ J̄ᵀ τ₀)_i = Σ_k J[k][i] Σ_m J̄[m][k] τ₀[m]
        let jBarTTau = (0..<6).map { k in (0..<7).reduce(0) { $0 + jBar[$1 * 6 + k] * tau0[$1] } }
        for i in 0..<7 {
            torque[i] += tau0[i] - (0..<6).reduce(0) { $0 + j[$1 * 7 + i] * jBarTTau[$1] }
        }
        return torque
    }

    private func updateGripper(_ data: MJData, dt: Double) {
        let step = gripperSpeedPerFinger * dt
        let difference = gripperTargetPerFinger - gripperCommandPerFinger
        gripperCommandPerFinger += max(-step, min(step, difference))
        data.setControl(gripperCommandPerFinger, of: gripperActuator)
        let fingerSpeed = abs(data.velocity(of: fingers.0)) + abs(data.velocity(of: fingers.1))
        switch gripperMotion {
        case .idle:
            break
        case .moving:
            if abs(fingerWidth(data) / 2 - gripperTargetPerFinger) < 5e-4 && fingerSpeed < 1e-3 { gripperMotion = .idle }
        case let .grasping(width, inner, outer):
            // The grasp ends when the fingers have stopped (on the object, or fully closed).
            if fingerSpeed > 2e-3 { gripperStillSince = data.timeSeconds }
            if data.timeSeconds - gripperStillSince > 0.1 {
                let w = fingerWidth(data)
                // libfranka's rule; a hand that closed on nothing holds nothing.
                grasped = w >= width - inner && w <= width + outer && w > 0.002
                gripperMotion = .idle
            }
        }
    }

    private func fingerWidth(_ data: MJData) -> Double {
        data.position(of: fingers.0) + data.position(of: fingers.1)
    }

    private func measuredPose(_ data: MJData) -> Pose {
        let pose = data.pose(of: site)
        return Pose(
            rotation: Rotation(rowMajor: [
                pose.rotation[0, 0], pose.rotation[0, 1], pose.rotation[0, 2],
                pose.rotation[1, 0], pose.rotation[1, 1], pose.rotation[1, 2],
                pose.rotation[2, 0], pose.rotation[2, 1], pose.rotation[2, 2],
            ]), translation: pose.position)
    }

    private static func interpolate(_ a: Pose, _ b: Pose, _ fraction: Double) -> Pose {
        let s = min(1, max(0, fraction))
        let q = Quaternion.slerp(Quaternion(rotation: a.rotation), Quaternion(rotation: b.rotation), s)
        return Pose(rotation: Rotation(quaternion: q), translation: a.translation + s * (b.translation - a.translation))
    }
}
