import CMuJoCo

// Poses, Jacobians and dynamics quantities. All read what the last `forward()`,
// `kinematics()` or `step()` computed; none of them recomputes or allocates.

/// A frame Jacobian (`mj_jacSite`): how the frame's linear and angular velocity depend on
/// `qvel`. Both blocks are 3×nv, stored row-major, so entry (row, column) of the translational
/// block is `translational[row * nv + column]`.
///
/// Create one per model at start-up (``init(model:)`` sizes the storage) and fill it with
/// ``MJData/siteJacobian(_:into:)`` as often as needed without allocating.
public struct MJJacobian: Sendable {
    /// Number of columns (the model's `nv`).
    public let nv: Int
    /// ∂(linear velocity, world frame)/∂qvel, 3×nv row-major (`jacp`).
    public var translational: [Double]
    /// ∂(angular velocity, world frame)/∂qvel, 3×nv row-major (`jacr`).
    public var rotational: [Double]

    /// Zero-filled storage for a model with `nv` degrees of freedom.
    public init(nv: Int) {
        self.nv = nv
        translational = Array(repeating: 0, count: 3 * nv)
        rotational = Array(repeating: 0, count: 3 * nv)
    }

    /// Zero-filled storage sized for `model`.
    public init(model: MJModel) { self.init(nv: model.nv) }

    /// Entry of the translational block at (`row` 0…2, `column` 0..<nv).
    public func linear(_ row: Int, _ column: Int) -> Double { translational[row * nv + column] }
    /// Entry of the rotational block at (`row` 0…2, `column` 0..<nv).
    public func angular(_ row: Int, _ column: Int) -> Double { rotational[row * nv + column] }
}

/// One detected contact (`mjContact`) between two geoms.
public struct MJContact: Hashable, Sendable {
    /// The two geoms in contact.
    public var geom1: MJGeomID
    public var geom2: MJGeomID
    /// Signed distance between the surfaces in metres; negative means penetration.
    public var distance: Double
    /// Contact point (midway between the surfaces), world frame.
    public var position: SIMD3<Double>
    /// Contact normal (first row of the contact frame), pointing from geom1 to geom2.
    public var normal: SIMD3<Double>
}

extension MJData {
    // MARK: Poses (valid after forward(), kinematics() or step())

    /// World position of a site in metres (`site_xpos`).
    public func position(of site: MJSiteID) -> SIMD3<Double> {
        let s = checked(site)
        let p = pointer.pointee.site_xpos! + 3 * s
        return SIMD3(p[0], p[1], p[2])
    }

    /// World pose of a site (`site_xpos`, `site_xmat`; quaternion from the matrix).
    public func pose(of site: MJSiteID) -> MJPose {
        let s = checked(site)
        let p = pointer.pointee.site_xpos! + 3 * s
        return MJPose(position: SIMD3(p[0], p[1], p[2]), rotation: MJRotationMatrix(rowMajor: pointer.pointee.site_xmat! + 9 * s))
    }

    /// World position of a body's frame origin in metres (`xpos`).
    public func position(of body: MJBodyID) -> SIMD3<Double> {
        let b = checked(body)
        let p = pointer.pointee.xpos! + 3 * b
        return SIMD3(p[0], p[1], p[2])
    }

    /// World pose of a body's frame (`xpos`, `xmat`).
    public func pose(of body: MJBodyID) -> MJPose {
        let b = checked(body)
        let p = pointer.pointee.xpos! + 3 * b
        return MJPose(position: SIMD3(p[0], p[1], p[2]), rotation: MJRotationMatrix(rowMajor: pointer.pointee.xmat! + 9 * b))
    }

    /// World position of a geom's centre in metres (`geom_xpos`).
    public func position(of geom: MJGeomID) -> SIMD3<Double> {
        let g = model.checked(geom)
        let p = pointer.pointee.geom_xpos! + 3 * g
        return SIMD3(p[0], p[1], p[2])
    }

    /// World pose of a geom (`geom_xpos`, `geom_xmat`).
    public func pose(of geom: MJGeomID) -> MJPose {
        let g = model.checked(geom)
        let p = pointer.pointee.geom_xpos! + 3 * g
        return MJPose(position: SIMD3(p[0], p[1], p[2]), rotation: MJRotationMatrix(rowMajor: pointer.pointee.geom_xmat! + 9 * g))
    }

    /// World position of a body's centre of mass (`xipos`).
    public func centerOfMass(of body: MJBodyID) -> SIMD3<Double> {
        let b = checked(body)
        let p = pointer.pointee.xipos! + 3 * b
        return SIMD3(p[0], p[1], p[2])
    }

    /// World pose of a camera (`cam_xpos`, `cam_xmat`). MuJoCo cameras look along their −z axis
    /// with +y up in the image.
    public func pose(of camera: MJCameraID) -> MJPose {
        precondition(camera.index >= 0 && camera.index < model.ncam, "\(camera) out of range for \(model.source)")
        let p = pointer.pointee.cam_xpos! + 3 * camera.index
        return MJPose(position: SIMD3(p[0], p[1], p[2]), rotation: MJRotationMatrix(rowMajor: pointer.pointee.cam_xmat! + 9 * camera.index))
    }

    // MARK: Jacobians and dynamics

    /// Fills `jacobian` with the site's translational and rotational Jacobians (`mj_jacSite`),
    /// world frame, for the state of the last ``kinematics()``/``forward()``/``step()``.
    /// No allocation: writes into `jacobian`'s storage (sized by `MJJacobian(model:)`).
    public func siteJacobian(_ site: MJSiteID, into jacobian: inout MJJacobian) {
        let s = checked(site)
        precondition(jacobian.nv == model.nv, "Jacobian has \(jacobian.nv) columns, model has nv \(model.nv)")
        jacobian.translational.withUnsafeMutableBufferPointer { jacp in
            jacobian.rotational.withUnsafeMutableBufferPointer { jacr in
                mj_jacSite(m, pointer, jacp.baseAddress, jacr.baseAddress, Int32(s))
            }
        }
    }

    /// The joint-space inertia matrix M(q), nv×nv row-major, into `matrix` (`mj_fullM` of
    /// `qM`). Valid after ``forward()`` or ``step()`` (not after ``kinematics()`` alone).
    /// `matrix` must hold nv·nv elements; no allocation.
    public func fullMassMatrix(into matrix: inout [Double]) {
        let nv = model.nv
        precondition(matrix.count == nv * nv, "matrix has \(matrix.count) elements, expected nv² = \(nv * nv)")
        matrix.withUnsafeMutableBufferPointer { mj_fullM(m, $0.baseAddress, pointer.pointee.qM) }
    }

    // MARK: Contacts (valid after forward() or step())

    /// Number of contacts detected by the last ``forward()``/``step()`` (`ncon`).
    public var contactCount: Int { Int(pointer.pointee.ncon) }

    /// Contact `index` (0..<``contactCount``).
    public func contact(at index: Int) -> MJContact {
        precondition(index >= 0 && index < contactCount, "contact \(index) out of range 0..<\(contactCount)")
        let c = pointer.pointee.contact! + index
        return withUnsafePointer(to: &c.pointee.pos) { pos in
            pos.withMemoryRebound(to: Double.self, capacity: 3) { p in
                withUnsafePointer(to: &c.pointee.frame) { frame in
                    frame.withMemoryRebound(to: Double.self, capacity: 9) { f in
                        MJContact(
                            geom1: MJGeomID(Int(c.pointee.geom1)), geom2: MJGeomID(Int(c.pointee.geom2)),
                            distance: c.pointee.dist, position: SIMD3(p[0], p[1], p[2]), normal: SIMD3(f[0], f[1], f[2]))
                    }
                }
            }
        }
    }

    /// Force of contact `index` on geom2 from geom1 (`mj_contactForce`): the normal component
    /// (N, ≥ 0 when pushing apart) and the full force in world coordinates.
    public func contactForce(at index: Int) -> (normal: Double, world: SIMD3<Double>) {
        precondition(index >= 0 && index < contactCount, "contact \(index) out of range 0..<\(contactCount)")
        var result: (Double, Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0, 0)
        let frame = pointer.pointee.contact![index].frame
        return withUnsafeMutablePointer(to: &result) { r in
            r.withMemoryRebound(to: Double.self, capacity: 6) { f in
                mj_contactForce(m, pointer, Int32(index), f)
                let world = SIMD3(
                    f[0] * frame.0 + f[1] * frame.3 + f[2] * frame.6,
                    f[0] * frame.1 + f[1] * frame.4 + f[2] * frame.7,
                    f[0] * frame.2 + f[1] * frame.5 + f[2] * frame.8)
                return (f[0], world)
            }
        }
    }

    /// Whether the two geoms are in contact (in either order).
    public func touching(_ a: MJGeomID, _ b: MJGeomID) -> Bool {
        let contacts = pointer.pointee.contact!
        for i in 0..<contactCount {
            let g1 = Int(contacts[i].geom1), g2 = Int(contacts[i].geom2)
            if (g1 == a.index && g2 == b.index) || (g1 == b.index && g2 == a.index) { return true }
        }
        return false
    }

    /// Whether any geom of body `a` touches any geom of body `b`.
    public func touching(_ a: MJBodyID, _ b: MJBodyID) -> Bool {
        normalForce(between: a, and: b, countOnly: true) > 0
    }

    /// Sum of the normal contact forces (N) between the geoms of bodies `a` and `b`, e.g. how
    /// hard the fingers squeeze the cube.
    public func normalForce(between a: MJBodyID, and b: MJBodyID) -> Double {
        normalForce(between: a, and: b, countOnly: false)
    }

    private func normalForce(between a: MJBodyID, and b: MJBodyID, countOnly: Bool) -> Double {
        _ = checked(a)
        _ = checked(b)
        let contacts = pointer.pointee.contact!
        let bodyOf = m.pointee.geom_bodyid!
        var total = 0.0
        for i in 0..<contactCount {
            let b1 = Int(bodyOf[Int(contacts[i].geom1)]), b2 = Int(bodyOf[Int(contacts[i].geom2)])
            guard (b1 == a.index && b2 == b.index) || (b1 == b.index && b2 == a.index) else { continue }
            if countOnly { return 1 }
            total += contactForce(at: i).normal
        }
        return total
    }

    // MARK: Index checks

    @inline(__always)
    func checked(_ site: MJSiteID) -> Int {
        precondition(site.index >= 0 && site.index < model.nsite, "\(site) out of range for \(model.source)")
        return site.index
    }

    @inline(__always)
    func checked(_ body: MJBodyID) -> Int {
        precondition(body.index >= 0 && body.index < model.nbody, "\(body) out of range for \(model.source)")
        return body.index
    }
}
