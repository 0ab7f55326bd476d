import CMuJoCo

// Name ↔ id lookups (`mj_name2id`, `mj_id2name`). Look names up once at start-up and keep the
// typed ids: a lookup walks the model's name table and builds error text on failure, so it does
// not belong in a control loop.

extension MJModel {
    /// The joint called `name` (`mj_name2id(mjOBJ_JOINT)`); throws ``MuJoCoError/Kind/notFound``
    /// listing the joints the model does have.
    public func joint(named name: String) throws(MuJoCoError) -> MJJointID {
        MJJointID(try id(of: mjOBJ_JOINT, named: name, kind: "joint", count: njnt))
    }

    /// The body called `name` (`mj_name2id(mjOBJ_BODY)`).
    public func body(named name: String) throws(MuJoCoError) -> MJBodyID {
        MJBodyID(try id(of: mjOBJ_BODY, named: name, kind: "body", count: nbody))
    }

    /// The site called `name` (`mj_name2id(mjOBJ_SITE)`).
    public func site(named name: String) throws(MuJoCoError) -> MJSiteID {
        MJSiteID(try id(of: mjOBJ_SITE, named: name, kind: "site", count: nsite))
    }

    /// The geom called `name` (`mj_name2id(mjOBJ_GEOM)`).
    public func geom(named name: String) throws(MuJoCoError) -> MJGeomID {
        MJGeomID(try id(of: mjOBJ_GEOM, named: name, kind: "geom", count: ngeom))
    }

    /// The actuator called `name` (`mj_name2id(mjOBJ_ACTUATOR)`).
    public func actuator(named name: String) throws(MuJoCoError) -> MJActuatorID {
        MJActuatorID(try id(of: mjOBJ_ACTUATOR, named: name, kind: "actuator", count: nu))
    }

    /// The camera called `name` (`mj_name2id(mjOBJ_CAMERA)`).
    public func camera(named name: String) throws(MuJoCoError) -> MJCameraID {
        MJCameraID(try id(of: mjOBJ_CAMERA, named: name, kind: "camera", count: ncam))
    }

    /// The keyframe called `name` (`mj_name2id(mjOBJ_KEY)`).
    public func keyframe(named name: String) throws(MuJoCoError) -> MJKeyframeID {
        MJKeyframeID(try id(of: mjOBJ_KEY, named: name, kind: "keyframe", count: nkey))
    }

    /// The name of a joint (`mj_id2name`), or "" if it has none.
    public func name(of joint: MJJointID) -> String { name(mjOBJ_JOINT, joint.index, count: njnt) }
    /// The name of a body, or "" if it has none ("world" for the world body).
    public func name(of body: MJBodyID) -> String { name(mjOBJ_BODY, body.index, count: nbody) }
    /// The name of a site, or "".
    public func name(of site: MJSiteID) -> String { name(mjOBJ_SITE, site.index, count: nsite) }
    /// The name of a geom, or "".
    public func name(of geom: MJGeomID) -> String { name(mjOBJ_GEOM, geom.index, count: ngeom) }
    /// The name of an actuator, or "".
    public func name(of actuator: MJActuatorID) -> String { name(mjOBJ_ACTUATOR, actuator.index, count: nu) }
    /// The name of a camera, or "".
    public func name(of camera: MJCameraID) -> String { name(mjOBJ_CAMERA, camera.index, count: ncam) }
    /// The name of a keyframe, or "".
    public func name(of keyframe: MJKeyframeID) -> String { name(mjOBJ_KEY, keyframe.index, count: nkey) }

    /// Names of all joints in model order (unnamed joints appear as "").
    public var jointNames: [String] { (0..<njnt).map { name(mjOBJ_JOINT, $0, count: njnt) } }
    /// Names of all bodies in model order, starting with "world".
    public var bodyNames: [String] { (0..<nbody).map { name(mjOBJ_BODY, $0, count: nbody) } }
    /// Names of all sites in model order.
    public var siteNames: [String] { (0..<nsite).map { name(mjOBJ_SITE, $0, count: nsite) } }
    /// Names of all geoms in model order.
    public var geomNames: [String] { (0..<ngeom).map { name(mjOBJ_GEOM, $0, count: ngeom) } }
    /// Names of all actuators in model order (the order of `ctrl`).
    public var actuatorNames: [String] { (0..<nu).map { name(mjOBJ_ACTUATOR, $0, count: nu) } }
    /// Names of all cameras in model order.
    public var cameraNames: [String] { (0..<ncam).map { name(mjOBJ_CAMERA, $0, count: ncam) } }
    /// Names of all keyframes in model order.
    public var keyframeNames: [String] { (0..<nkey).map { name(mjOBJ_KEY, $0, count: nkey) } }

    private func id(of type: mjtObj, named name: String, kind: String, count: Int) throws(MuJoCoError) -> Int {
        let id = Int(mj_name2id(pointer, Int32(type.rawValue), name))
        guard id >= 0 else {
            let known = (0..<count).map { self.name(type, $0, count: count) }.filter { !$0.isEmpty }
            let listed = known.isEmpty ? "it has none" : "it has \(known.prefix(40).joined(separator: ", "))\(known.count > 40 ? ", …" : "")"
            throw MuJoCoError(
                .notFound, message: "no \(kind) named '\(name)' in \(source) (\(listed))",
                operation: "look up \(kind) '\(name)'")
        }
        return id
    }

    private func name(_ type: mjtObj, _ index: Int, count: Int) -> String {
        precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
        guard let cString = mj_id2name(pointer, Int32(type.rawValue), Int32(index)) else { return "" }
        return String(cString: cString)
    }
}
