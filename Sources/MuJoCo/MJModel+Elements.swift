import CMuJoCo

// Static properties of joints, actuators, geoms and keyframes, read from the compiled model.
// All are plain reads of `mjModel` arrays: no allocation except where an array is returned.

extension MJModel {
    // MARK: Joints

    /// The kind of `joint` (`jnt_type`).
    public func type(of joint: MJJointID) -> MJJointType {
        MJJointType(rawValue: pointer.pointee.jnt_type[checked(joint)])!
    }

    /// The joint's position limits (`jnt_range`), in radians for hinges and metres for slides,
    /// or nil when the joint is unlimited (`jnt_limited == 0`).
    public func range(of joint: MJJointID) -> ClosedRange<Double>? {
        let j = checked(joint)
        guard pointer.pointee.jnt_limited[j] != 0 else { return nil }
        return pointer.pointee.jnt_range[2 * j]...pointer.pointee.jnt_range[2 * j + 1]
    }

    /// Index of the joint's first entry in `qpos` (`jnt_qposadr`); it spans
    /// `type(of:).qposCount` entries.
    public func qposAddress(of joint: MJJointID) -> Int { Int(pointer.pointee.jnt_qposadr[checked(joint)]) }

    /// Index of the joint's first degree of freedom in `qvel`, `qfrc_*` and Jacobian columns
    /// (`jnt_dofadr`); it spans `type(of:).dofCount` entries.
    public func dofAddress(of joint: MJJointID) -> Int { Int(pointer.pointee.jnt_dofadr[checked(joint)]) }

    /// The body the joint moves (`jnt_bodyid`).
    public func body(of joint: MJJointID) -> MJBodyID { MJBodyID(Int(pointer.pointee.jnt_bodyid[checked(joint)])) }

    /// Damping of the joint's first degree of freedom (`dof_damping`), N·m·s/rad or N·s/m.
    public func damping(of joint: MJJointID) -> Double { pointer.pointee.dof_damping[dofAddress(of: joint)] }

    /// Armature (reflected rotor inertia) of the joint's first degree of freedom (`dof_armature`).
    public func armature(of joint: MJJointID) -> Double { pointer.pointee.dof_armature[dofAddress(of: joint)] }

    // MARK: Actuators

    /// The actuator's control limits (`actuator_ctrlrange`), or nil when its control is
    /// unlimited (`actuator_ctrllimited == 0`). For `motor` actuators with gear 1 this is the
    /// torque (N·m) or force (N) range.
    public func controlRange(of actuator: MJActuatorID) -> ClosedRange<Double>? {
        let a = checked(actuator)
        guard pointer.pointee.actuator_ctrllimited[a] != 0 else { return nil }
        return pointer.pointee.actuator_ctrlrange[2 * a]...pointer.pointee.actuator_ctrlrange[2 * a + 1]
    }

    /// The actuator's output force limits (`actuator_forcerange`), or nil when unlimited.
    public func forceRange(of actuator: MJActuatorID) -> ClosedRange<Double>? {
        let a = checked(actuator)
        guard pointer.pointee.actuator_forcelimited[a] != 0 else { return nil }
        return pointer.pointee.actuator_forcerange[2 * a]...pointer.pointee.actuator_forcerange[2 * a + 1]
    }

    /// The joint an actuator drives (`actuator_trnid` when `actuator_trntype` is
    /// `mjTRN_JOINT`), or nil for tendon, site and body transmissions.
    public func joint(of actuator: MJActuatorID) -> MJJointID? {
        let a = checked(actuator)
        guard pointer.pointee.actuator_trntype[a] == Int32(mjTRN_JOINT.rawValue) else { return nil }
        return MJJointID(Int(pointer.pointee.actuator_trnid[2 * a]))
    }

    /// The actuator's gear ratio (first entry of `actuator_gear`).
    public func gear(of actuator: MJActuatorID) -> Double { pointer.pointee.actuator_gear[6 * checked(actuator)] }

    // MARK: Geoms, sites, bodies

    /// The body a geom belongs to (`geom_bodyid`).
    public func body(of geom: MJGeomID) -> MJBodyID { MJBodyID(Int(pointer.pointee.geom_bodyid[checked(geom)])) }

    /// The body a site is attached to (`site_bodyid`).
    public func body(of site: MJSiteID) -> MJBodyID {
        precondition(site.index >= 0 && site.index < nsite, "\(site) out of range for \(source)")
        return MJBodyID(Int(pointer.pointee.site_bodyid[site.index]))
    }

    /// The parent of a body (`body_parentid`); the world body is its own parent.
    public func parent(of body: MJBodyID) -> MJBodyID {
        precondition(body.index >= 0 && body.index < nbody, "\(body) out of range for \(source)")
        return MJBodyID(Int(pointer.pointee.body_parentid[body.index]))
    }

    /// The mass of a body in kg (`body_mass`).
    public func mass(of body: MJBodyID) -> Double {
        precondition(body.index >= 0 && body.index < nbody, "\(body) out of range for \(source)")
        return pointer.pointee.body_mass[body.index]
    }

    /// Size parameters of a geom (`geom_size`: box half-sizes; sphere/capsule/cylinder radius
    /// and half-length).
    public func size(of geom: MJGeomID) -> SIMD3<Double> {
        let g = checked(geom)
        let s = pointer.pointee.geom_size!
        return SIMD3(s[3 * g], s[3 * g + 1], s[3 * g + 2])
    }

    // MARK: Keyframes

    /// The `qpos` stored in a keyframe (`key_qpos`, nq values). Allocates the returned array.
    public func qpos(of keyframe: MJKeyframeID) -> [Double] {
        precondition(keyframe.index >= 0 && keyframe.index < nkey, "\(keyframe) out of range for \(source)")
        let base = pointer.pointee.key_qpos! + keyframe.index * nq
        return Array(UnsafeBufferPointer(start: base, count: nq))
    }

    // MARK: Index checks

    @inline(__always)
    func checked(_ joint: MJJointID) -> Int {
        precondition(joint.index >= 0 && joint.index < njnt, "\(joint) out of range for \(source)")
        return joint.index
    }

    @inline(__always)
    func checked(_ actuator: MJActuatorID) -> Int {
        precondition(actuator.index >= 0 && actuator.index < nu, "\(actuator) out of range for \(source)")
        return actuator.index
    }

    @inline(__always)
    func checked(_ geom: MJGeomID) -> Int {
        precondition(geom.index >= 0 && geom.index < ngeom, "\(geom) out of range for \(source)")
        return geom.index
    }
}
