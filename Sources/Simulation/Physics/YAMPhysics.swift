import Foundation
import MuJoCo

/// A MuJoCo YAM arm behind a simulated PLD-arm driver: a ``YAMPlant`` whose joints follow the
/// Damiao MIT-mode law the real motors run, τ = kp·(q* − q) − kd·q̇, plus the gravity
/// compensation i2rt adds (`qfrc_bias`), clipped to the motor torque limits; in damping the
/// motors apply only −kd·q̇ with no gravity compensation, so the arm sinks as a real one does.
/// The linear gripper is a rate-limited position servo on the finger opening.
///
/// Threading: the driver's threads call the ``YAMPlant`` methods under the world's lock;
/// ``control(_:dt:)`` runs on the physics thread with the lock held.
public final class YAMPhysics: YAMPlant, WorldController, @unchecked Sendable {
    // @unchecked: mutable fields are only touched with the world's lock held.
    private let world: SimWorld
    private let actuators: [MJActuatorID]
    private let qposAddress: [Int]
    private let dofAddress: [Int]
    private let torqueLimits: [Double]
    private let gripperActuator: MJActuatorID
    private let fingers: (MJJointID, MJJointID)
    /// Finger travel (m): normalised 0 = this far open, 1 = closed.
    private let fingerStroke: Double

    /// Damping gain of a motor in its damping mode, N·m·s/rad.
    public var dampingKd = 1.0

    private var target: [Double]
    private var kp: [Double]
    private var kd: [Double]
    private var damping = false
    private var gripperTarget = 0.0
    private var gripperCommand = 0.0
    private var gripperSpeed = 1.0
    private var lastTorque: [Double]

    /// Binds to the arm whose names start with `prefix` (`left_`, `right_`, or "" for yam.xml).
    public init(world: SimWorld, prefix: String) throws(MuJoCoError) {
        self.world = world
        let model = world.model
        var actuators: [MJActuatorID] = [], joints: [MJJointID] = []
        for i in 1...6 {
            joints.append(try model.joint(named: "\(prefix)joint\(i)"))
            actuators.append(try model.actuator(named: "\(prefix)joint\(i)"))
        }
        self.actuators = actuators
        qposAddress = joints.map { model.qposAddress(of: $0) }
        dofAddress = joints.map { model.dofAddress(of: $0) }
        torqueLimits = actuators.map { model.controlRange(of: $0)?.upperBound ?? 10 }
        gripperActuator = try model.actuator(named: "\(prefix)gripper")
        fingers = (try model.joint(named: "\(prefix)finger1"), try model.joint(named: "\(prefix)finger2"))
        fingerStroke = model.controlRange(of: gripperActuator)?.upperBound ?? 0.0475
        let q = qposAddress.map { world.data.qpos[$0] }
        target = q
        kp = [80, 80, 80, 10, 10, 10]
        kd = [5, 5, 5, 1.5, 1.5, 1.5]
        lastTorque = [Double](repeating: 0, count: 6)
        world.add(self)
    }

    public func readState() -> YAMPlantState {
        world.withLock { data in
            let opening = data.position(of: fingers.0)
            let openingSpeed = data.velocity(of: fingers.0)
            return YAMPlantState(
                q: qposAddress.map { data.qpos[$0] }, dq: dofAddress.map { data.qvel[$0] }, tau: lastTorque,
                gripperPosition: min(1, max(0, 1 - opening / fingerStroke)),
                gripperVelocityPerSecond: -openingSpeed / fingerStroke,
                gripperEffort: data.control(of: gripperActuator))
        }
    }

    public func setJointTarget(_ q: [Double], kp: [Double], kd: [Double]) {
        guard q.count == 6, kp.count == 6, kd.count == 6, (q + kp + kd).allSatisfy(\.isFinite) else { return }
        world.withLock { _ in
            target = q
            self.kp = kp
            self.kd = kd
            damping = false
        }
    }

    public func damp() {
        world.withLock { _ in damping = true }
    }

    public func setGripperTarget(_ position: Double, speedPerSecond: Double, maxEffort: Double) {
        guard position.isFinite, speedPerSecond.isFinite else { return }
        world.withLock { _ in
            gripperTarget = min(1, max(0, position))
            gripperSpeed = speedPerSecond > 0 ? speedPerSecond : 1
        }
    }

    func control(_ data: MJData, dt: Double) {
        for i in 0..<6 {
            let q = data.qpos[qposAddress[i]], dq = data.qvel[dofAddress[i]]
            let torque = damping
                ? -dampingKd * dq
                : kp[i] * (target[i] - q) - kd[i] * dq + data.qfrcBias[dofAddress[i]]
            let limited = min(torqueLimits[i], max(-torqueLimits[i], torque.isFinite ? torque : 0))
            data.setControl(limited, of: actuators[i])
            lastTorque[i] = limited
        }
        let step = gripperSpeed * dt
        gripperCommand += max(-step, min(step, gripperTarget - gripperCommand))
        data.setControl((1 - gripperCommand) * fingerStroke, of: gripperActuator)
    }
}
