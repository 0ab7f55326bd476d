import MuJoCo

/// Forward kinematics and Jacobians of one arm, computed by MuJoCo from the arm's MJCF model.
///
/// Poses and Jacobians are expressed in the arm's base frame (the frame of `baseBody`, e.g.
/// the Panda's `link0`): for the Panda, ``pose(q:)`` of site `ee` is what libfranka and deoxys
/// report as `O_T_EE`.
///
/// Threading contract: an `ArmKinematics` owns its `MJData` and is used by one thread (the
/// control thread or the safety chain's thread); it is not `Sendable`. Make one per thread that
/// needs kinematics; the `MJModel` underneath may be shared.
///
/// Allocation contract: everything is sized in `init`. ``pose(q:)``, ``position(q:)`` and
/// ``jacobian(q:into:)`` write `qpos`, run `mj_kinematics` + `mj_comPos` and read poses or
/// `mj_jacSite` into preallocated storage: no heap allocation per call.
public final class ArmKinematics {
    /// The model the arm lives in (the arm alone, or a scene containing it).
    public let model: MJModel
    /// The arm's joints, in the order of `q`.
    public let jointNames: [String]
    /// The site whose pose is the end effector (e.g. `ee`, `tcp`, `left_grasp`).
    public let endEffectorSiteName: String
    /// Joint limits (MJCF `range`), in the order of `q`; unlimited joints get ±∞.
    public let jointLimits: [ClosedRange<Double>]

    private let data: MJData
    private let site: MJSiteID
    private let baseBody: MJBodyID
    private let qposAddresses: [Int]
    private let dofAddresses: [Int]
    private var worldJacobian: MJJacobian

    /// Number of joints (the length of `q`).
    public var jointCount: Int { jointNames.count }

    /// Kinematics of the arm made of `jointNames` (hinge or slide joints, in `q` order) with
    /// end effector `endEffectorSite`, expressed in the frame of body `baseBody` (nil: the world
    /// frame). Throws ``MuJoCoError`` naming any element the model lacks.
    public init(model: MJModel, jointNames: [String], endEffectorSite: String, baseBody: String? = nil) throws(MuJoCoError) {
        var joints: [MJJointID] = []
        for name in jointNames {
            let joint = try model.joint(named: name)
            guard model.type(of: joint) == .hinge || model.type(of: joint) == .slide else {
                throw MuJoCoError(.invalidArgument, message: "joint '\(name)' in \(model.source) is not a hinge or slide joint", operation: "set up arm kinematics")
            }
            joints.append(joint)
        }
        self.model = model
        self.jointNames = jointNames
        self.endEffectorSiteName = endEffectorSite
        self.site = try model.site(named: endEffectorSite)
        self.baseBody = try baseBody.map { name throws(MuJoCoError) in try model.body(named: name) } ?? .world
        self.qposAddresses = joints.map { model.qposAddress(of: $0) }
        self.dofAddresses = joints.map { model.dofAddress(of: $0) }
        self.jointLimits = joints.map { model.range(of: $0) ?? -Double.infinity...Double.infinity }
        self.data = try MJData(model: model)
        self.worldJacobian = MJJacobian(model: model)
    }

    /// The Franka Emika Panda of the bundled `panda.xml`: joints `joint1`…`joint7`, end
    /// effector site `ee` (flange + Franka Hand TCP, 0.1034 m), base `link0`.
    public static func panda() throws(MuJoCoError) -> ArmKinematics {
        try ArmKinematics(
            model: try MJCFModel.panda.load(), jointNames: (1...7).map { "joint\($0)" },
            endEffectorSite: "ee", baseBody: "link0")
    }

    /// The i2rt YAM of the bundled `yam.xml`: joints `joint1`…`joint6`, end effector site
    /// `grasp` (between the finger pads; pass `"tcp"` for the flange), base `base`.
    public static func yam(endEffectorSite: String = "grasp") throws(MuJoCoError) -> ArmKinematics {
        try ArmKinematics(
            model: try MJCFModel.yam.load(), jointNames: (1...6).map { "joint\($0)" },
            endEffectorSite: endEffectorSite, baseBody: "base")
    }

    // MARK: Forward kinematics

    /// End-effector pose in the base frame for joint positions `q` (radians / metres, length
    /// ``jointCount``). No allocation.
    public func pose(q: [Double]) -> MJPose {
        update(q)
        let world = data.pose(of: site)
        return baseBody == .world ? world : world.relative(to: data.pose(of: baseBody))
    }

    /// End-effector position in the base frame for `q`, in metres. No allocation.
    public func position(q: [Double]) -> SIMD3<Double> { pose(q: q).position }

    /// Whether the end effector at `q` lies inside `box` (base frame).
    public func endEffector(at q: [Double], isInside box: WorkspaceBox) -> Bool {
        box.contains(position(q: q))
    }

    /// Whether every entry of `q` is within the model's joint limits (inclusive).
    public func withinJointLimits(_ q: [Double]) -> Bool {
        precondition(q.count == jointCount, "q has \(q.count) entries, arm has \(jointCount) joints")
        for i in 0..<jointCount where !jointLimits[i].contains(q[i]) { return false }
        return true
    }

    // MARK: Jacobian

    /// Fills `jacobian` with the end effector's 6×n geometric Jacobian at `q`, in the base
    /// frame: rows 0–2 linear velocity (m/s), rows 3–5 angular velocity (rad/s), one column per
    /// arm joint. `jacobian` must come from ``makeJacobian()``. No allocation.
    public func jacobian(q: [Double], into jacobian: inout ArmJacobian) {
        precondition(jacobian.columns == jointCount, "Jacobian has \(jacobian.columns) columns, arm has \(jointCount) joints")
        update(q)
        data.siteJacobian(site, into: &worldJacobian)
        let toBase = baseBody == .world ? MJRotationMatrix.identity : data.pose(of: baseBody).rotation.transposed
        let nv = worldJacobian.nv
        for (column, dof) in dofAddresses.enumerated() {
            let linear = toBase * SIMD3(
                worldJacobian.translational[dof], worldJacobian.translational[nv + dof], worldJacobian.translational[2 * nv + dof])
            let angular = toBase * SIMD3(
                worldJacobian.rotational[dof], worldJacobian.rotational[nv + dof], worldJacobian.rotational[2 * nv + dof])
            for row in 0..<3 {
                jacobian.values[row * jointCount + column] = linear[row]
                jacobian.values[(row + 3) * jointCount + column] = angular[row]
            }
        }
    }

    /// Storage for ``jacobian(q:into:)``, sized for this arm.
    public func makeJacobian() -> ArmJacobian { ArmJacobian(columns: jointCount) }

    private func update(_ q: [Double]) {
        precondition(q.count == jointCount, "q has \(q.count) entries, arm has \(jointCount) joints")
        let qpos = data.qpos
        for i in 0..<jointCount { qpos[qposAddresses[i]] = q[i] }
        data.kinematics()
    }
}

@available(*, unavailable, message: "an ArmKinematics owns an MJData and belongs to one thread")
extension ArmKinematics: Sendable {}

/// A 6×n arm Jacobian, row-major: rows 0–2 map joint velocities to the end effector's linear
/// velocity, rows 3–5 to its angular velocity, both in the arm's base frame.
public struct ArmJacobian: Sendable, Hashable {
    /// Number of joints (columns).
    public let columns: Int
    /// 6 × ``columns`` entries, row-major.
    public var values: [Double]

    public init(columns: Int) {
        self.columns = columns
        values = Array(repeating: 0, count: 6 * columns)
    }

    /// Entry at `row` (0–5) and `column` (joint index).
    public subscript(row: Int, column: Int) -> Double { values[row * columns + column] }
}
