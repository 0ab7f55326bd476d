import CMuJoCo

/// The simulation state and every quantity computed from it (`mjData`) for one ``MJModel``:
/// positions, velocities, controls, applied forces, time, poses, contacts, Jacobians.
///
/// Threading contract: an `MJData` is owned by one thread (the physics loop, or the control
/// thread for kinematics) and is deliberately not `Sendable`; hand it over by transferring it,
/// never by sharing it. Several `MJData` of the same model may be used on different threads at
/// once.
///
/// Allocation contract: `mj_makeData` sizes all arrays and MuJoCo's scratch stack once, in
/// ``init(model:)``. After that the steady-state calls — ``step()``, ``forward()``,
/// ``kinematics()``, the ``MJArray`` views (`qpos`, `ctrl`, …), pose reads, ``siteJacobian(_:into:)``,
/// ``fullMassMatrix(into:)``, contact queries and ``saveState(into:)`` — do not touch the heap:
/// they read and write MuJoCo's buffers or caller-provided, pre-sized storage. Methods that
/// return fresh arrays say so.
public final class MJData {
    /// The model this data belongs to (kept alive by the data).
    public let model: MJModel
    let pointer: UnsafeMutablePointer<mjData>
    /// Shorthand for the model pointer in MuJoCo calls.
    @usableFromInline let m: UnsafeMutablePointer<mjModel>

    /// Allocates data for `model` (`mj_makeData`) in the model's default state (`qpos0`, zero
    /// velocity, time 0) and runs ``forward()`` so poses are valid at once.
    public init(model: MJModel) throws(MuJoCoError) {
        guard let data = mj_makeData(model.pointer) else {
            throw MuJoCoError(.invalidArgument, message: "mj_makeData failed (out of memory?)", operation: "allocate data for \(model.source)")
        }
        self.model = model
        self.pointer = data
        self.m = model.pointer
        mj_forward(m, pointer)
    }

    /// A new data holding a full copy of `other`'s state and derived quantities
    /// (`mj_copyData`), e.g. a snapshot for a render thread. Allocates.
    public init(copying other: MJData) throws(MuJoCoError) {
        guard let data = mj_copyData(nil, other.m, other.pointer) else {
            throw MuJoCoError(.invalidArgument, message: "mj_copyData failed (out of memory?)", operation: "copy data of \(other.model.source)")
        }
        self.model = other.model
        self.pointer = data
        self.m = other.m
    }

    deinit { mj_deleteData(pointer) }

    /// Overwrites this data with a full copy of `other` (`mj_copyData` into existing storage):
    /// how a render or recording thread takes a snapshot of the physics state without
    /// allocating. Both must belong to the same model, and `other` must not be stepped while
    /// the copy runs (the caller synchronises the two threads).
    public func copy(from other: MJData) {
        precondition(other.model === model, "data of \(other.model.source) copied into data of \(model.source)")
        _ = mj_copyData(pointer, m, other.pointer)
    }

    // MARK: State arrays

    /// Generalized positions (`qpos`, nq). Free joints: position then quaternion wxyz.
    public var qpos: MJArray { MJArray(owner: self, base: pointer.pointee.qpos, count: model.nq) }
    /// Generalized velocities (`qvel`, nv).
    public var qvel: MJArray { MJArray(owner: self, base: pointer.pointee.qvel, count: model.nv) }
    /// Actuator controls (`ctrl`, nu), in actuator order. Clamped to `ctrlrange` by MuJoCo when
    /// the actuator is ctrl-limited.
    public var ctrl: MJArray { MJArray(owner: self, base: pointer.pointee.ctrl, count: model.nu) }
    /// Actuator activations (`act`, na).
    public var act: MJArray { MJArray(owner: self, base: pointer.pointee.act, count: model.na) }
    /// Generalized forces applied by the user (`qfrc_applied`, nv): joint torques that bypass
    /// the actuators (e.g. gravity compensation). Persist across steps until changed.
    public var qfrcApplied: MJArray { MJArray(owner: self, base: pointer.pointee.qfrc_applied, count: model.nv) }
    /// Bias forces (`qfrc_bias`, nv): Coriolis, centrifugal and gravity, C(q, q̇). Computed by
    /// ``forward()`` and ``step()``; treat as read-only.
    public var qfrcBias: MJArray { MJArray(owner: self, base: pointer.pointee.qfrc_bias, count: model.nv) }
    /// Actuator forces in joint space (`qfrc_actuator`, nv), after the last ``forward()``/``step()``.
    public var qfrcActuator: MJArray { MJArray(owner: self, base: pointer.pointee.qfrc_actuator, count: model.nv) }
    /// Generalized accelerations (`qacc`, nv) from the last ``forward()``/``step()``.
    public var qacc: MJArray { MJArray(owner: self, base: pointer.pointee.qacc, count: model.nv) }

    /// The constraint solver's warm start (`qacc_warmstart`, nv); part of ``MJState``.
    var qaccWarmstart: MJArray { MJArray(owner: self, base: pointer.pointee.qacc_warmstart, count: model.nv) }

    /// Simulation time in seconds (`time`).
    public var timeSeconds: Double {
        get { pointer.pointee.time }
        set { pointer.pointee.time = newValue }
    }

    // MARK: Per joint (hinge and slide joints)

    /// Position of a one-degree-of-freedom joint (`qpos[jnt_qposadr]`): radians or metres.
    public func position(of joint: MJJointID) -> Double {
        pointer.pointee.qpos[scalarQposAddress(joint)]
    }

    /// Sets the position of a one-degree-of-freedom joint. Poses update at the next
    /// ``forward()``, ``kinematics()`` or ``step()``.
    public func setPosition(_ value: Double, of joint: MJJointID) {
        pointer.pointee.qpos[scalarQposAddress(joint)] = value
    }

    /// Velocity of a one-degree-of-freedom joint (`qvel[jnt_dofadr]`).
    public func velocity(of joint: MJJointID) -> Double {
        pointer.pointee.qvel[scalarDofAddress(joint)]
    }

    /// Sets the velocity of a one-degree-of-freedom joint.
    public func setVelocity(_ value: Double, of joint: MJJointID) {
        pointer.pointee.qvel[scalarDofAddress(joint)] = value
    }

    /// Sets the user-applied generalized force on a one-degree-of-freedom joint
    /// (`qfrc_applied[jnt_dofadr]`), N·m or N.
    public func setAppliedForce(_ value: Double, on joint: MJJointID) {
        pointer.pointee.qfrc_applied[scalarDofAddress(joint)] = value
    }

    /// Control of one actuator (`ctrl[id]`).
    public func control(of actuator: MJActuatorID) -> Double { pointer.pointee.ctrl[model.checked(actuator)] }

    /// Sets the control of one actuator (`ctrl[id]`).
    public func setControl(_ value: Double, of actuator: MJActuatorID) {
        pointer.pointee.ctrl[model.checked(actuator)] = value
    }

    @inline(__always)
    private func scalarQposAddress(_ joint: MJJointID) -> Int {
        let j = model.checked(joint)
        precondition(m.pointee.jnt_type[j] >= Int32(mjJNT_SLIDE.rawValue), "\(model.name(of: joint)) is not a hinge or slide joint")
        return Int(m.pointee.jnt_qposadr[j])
    }

    @inline(__always)
    private func scalarDofAddress(_ joint: MJJointID) -> Int {
        let j = model.checked(joint)
        precondition(m.pointee.jnt_type[j] >= Int32(mjJNT_SLIDE.rawValue), "\(model.name(of: joint)) is not a hinge or slide joint")
        return Int(m.pointee.jnt_dofadr[j])
    }

    // MARK: Simulation

    /// Advances the simulation by one time step (`mj_step`): forward dynamics with the current
    /// `ctrl` and `qfrc_applied`, then integration. No allocation (MuJoCo's scratch stack is
    /// preallocated in `mjData`).
    public func step() { mj_step(m, pointer) }

    /// First half of a step (`mj_step1`): kinematics, the mass matrix and `qfrc_bias` for the
    /// current state, so a controller reads fresh poses and Jacobians and sets `ctrl` before
    /// ``step2()`` integrates. `step1(); set ctrl; step2()` equals `step()` with that control.
    public func step1() { mj_step1(m, pointer) }

    /// Second half of a step (`mj_step2`): actuation, acceleration and integration.
    public func step2() { mj_step2(m, pointer) }

    /// Advances the simulation by `count` time steps (`mj_step` × count).
    public func step(count: Int) {
        for _ in 0..<count { mj_step(m, pointer) }
    }

    /// Computes everything that depends on the current state without advancing time
    /// (`mj_forward`): poses, contacts, mass matrix, bias forces, accelerations.
    public func forward() { mj_forward(m, pointer) }

    /// Computes only what kinematics queries need from `qpos` (`mj_kinematics`, then
    /// `mj_comPos` for the Jacobians' reference points). Cheaper than ``forward()``: no
    /// collision, no dynamics.
    public func kinematics() {
        mj_kinematics(m, pointer)
        mj_comPos(m, pointer)
    }

    /// Resets to the model's default state (`mj_resetData`): `qpos0`, zero velocity, controls
    /// and time; then ``forward()``.
    public func reset() {
        mj_resetData(m, pointer)
        mj_forward(m, pointer)
    }

    /// Resets to a keyframe (`mj_resetDataKeyframe`): its time, qpos, qvel and act; then
    /// ``forward()``.
    public func resetToKeyframe(_ keyframe: MJKeyframeID) {
        precondition(keyframe.index >= 0 && keyframe.index < model.nkey, "\(keyframe) out of range for \(model.source)")
        mj_resetDataKeyframe(m, pointer, Int32(keyframe.index))
        mj_forward(m, pointer)
    }

    /// Resets to the keyframe called `name`; throws ``MuJoCoError/Kind/notFound`` naming the
    /// keyframes the model has.
    public func resetToKeyframe(named name: String) throws(MuJoCoError) {
        resetToKeyframe(try model.keyframe(named: name))
    }

    /// How many warnings MuJoCo raised on this data since the last reset (sum of
    /// `warning[i].number`): unstable simulation (`mjWARN_BADQACC`, after which MuJoCo resets the
    /// state itself), contact or constraint buffers full, and so on. Zero in a healthy run.
    public var warningCount: Int {
        withUnsafePointer(to: &pointer.pointee.warning) { tuple in
            tuple.withMemoryRebound(to: mjWarningStat.self, capacity: Int(mjNWARNING.rawValue)) { stats in
                (0..<Int(mjNWARNING.rawValue)).reduce(0) { $0 + Int(stats[$1].number) }
            }
        }
    }
}

@available(*, unavailable, message: "an MJData is owned by one thread; transfer it, don't share it")
extension MJData: Sendable {}
