import PLDCore

/// One arm as the safety chain sees it: every number resolved at `SafetyChain.init`, so the
/// control thread only reads.
///
/// Joint limits here are the *effective* ones: the source policy (`config`, `driver`,
/// `tightest`) applied, then `safety.joint_limits.margin_rad` moved inside each position limit.
/// The velocity and acceleration fractions are applied per tick by `RateLimits`.
public struct SafetyArm {
    /// Index in the configuration's `arms` list (and in `SafetyOutput.commands`).
    public let index: Int
    public let name: String
    public let kind: ActionSegmentKind
    public let jointCount: Int
    public let hasGripper: Bool
    /// First element of this arm's segment in the action vector.
    public let segmentOffset: Int
    /// Width of the segment: 6 (`ee_delta`) or the joint count, plus 1 with a gripper.
    public let segmentWidth: Int
    /// `ee_delta`: metres and radians per normalised unit.
    public let translationScaleM: Double
    public let rotationScaleRad: Double
    public let gripper: GripperActionConfig
    /// Lowest joint target sent: lower limit + margin, rad.
    public let lowerBoundRad: InlineArray<8, Double>
    /// Highest joint target sent: upper limit − margin, rad.
    public let upperBoundRad: InlineArray<8, Double>
    /// Hardware joint velocity limit (before `joint_velocity_fraction`), rad/s.
    public let velocityLimitRadPerS: InlineArray<8, Double>
    /// Hardware joint acceleration limit (before `joint_acceleration_fraction`), rad/s².
    public let accelerationLimitRadPerS2: InlineArray<8, Double>
    /// The end-effector box in the base frame, m (nil: no workspace check for this arm).
    public let workspace: (min: SIMD3<Double>, max: SIMD3<Double>)?
    /// Forward kinematics (required for `joint_position` arms with a workspace; for `ee_delta`
    /// arms used when the state carries no end-effector pose).
    public let kinematics: ForwardKinematics?

    /// Index of the gripper element in the segment (the last), or nil.
    public var gripperElement: Int? { hasGripper ? segmentWidth - 1 : nil }

    /// Number of normalised elements before the gripper: 6 for `ee_delta` (translation and
    /// rotation), 0 for `joint_position` (joint targets are absolute radians, not normalised).
    public var normalisedMotionElements: Int { kind == .eeDelta ? 6 : 0 }

    init(
        index: Int, config arm: ArmConfig, segment: ActionSegment, segmentOffset: Int, safety: SafetyConfig,
        kinematics: ForwardKinematics?, driverLimits: DriverJointLimits?
    ) throws(SafetySetupError) {
        let n = arm.jointCount
        guard (1...8).contains(n) else { throw SafetySetupError(arm: arm.name, "has \(n) joints; the safety chain handles 1...8") }
        let limits = arm.jointLimits
        for (field, values) in [("lower_rad", limits.lowerRad), ("upper_rad", limits.upperRad),
                                ("velocity_rad_per_s", limits.velocityRadPerS), ("acceleration_rad_per_s2", limits.accelerationRadPerS2)]
        where values.count != n {
            throw SafetySetupError(arm: arm.name, "joint_limits.\(field) has \(values.count) values for \(n) joints")
        }
        if let kinematics, kinematics.jointCount != n {
            throw SafetySetupError(arm: arm.name, "forward kinematics expects \(kinematics.jointCount) joints, the arm has \(n)")
        }
        let box = safety.workspaces.first { $0.arm == arm.name }
        if let box, box.minM.count != 3 || box.maxM.count != 3 {
            throw SafetySetupError(arm: arm.name, "workspace needs x, y, z corners")
        }
        switch segment.kind {
        case .eeDelta where box == nil:
            throw SafetySetupError(arm: arm.name, "moves in ee_delta but has no workspace box")
        case .jointPosition where box != nil && kinematics == nil:
            throw SafetySetupError(arm: arm.name, "has a workspace box but no forward kinematics to check joint targets against it")
        default:
            break
        }

        let effective = try Self.effectiveLimits(arm: arm, source: safety.jointLimits.source, driver: driverLimits)
        var lowerBound = InlineArray<8, Double>(repeating: 0)
        var upperBound = InlineArray<8, Double>(repeating: 0)
        var velocity = InlineArray<8, Double>(repeating: 0)
        var acceleration = InlineArray<8, Double>(repeating: 0)
        let margin = safety.jointLimits.marginRad
        for j in 0..<n {
            lowerBound[j] = effective.lower[j] + margin
            upperBound[j] = effective.upper[j] - margin
            guard lowerBound[j] <= upperBound[j] else {
                throw SafetySetupError(arm: arm.name, "joint \(j + 1): limits [\(effective.lower[j]), \(effective.upper[j])] rad leave no room inside a margin of \(margin) rad")
            }
            velocity[j] = effective.velocity[j]
            acceleration[j] = limits.accelerationRadPerS2[j]
        }

        self.index = index
        self.name = arm.name
        self.kind = segment.kind
        self.jointCount = n
        self.hasGripper = arm.hasGripper
        self.segmentOffset = segmentOffset
        self.segmentWidth = segment.dimension(jointCount: n, hasGripper: arm.hasGripper)
        self.translationScaleM = segment.translationScaleM
        self.rotationScaleRad = segment.rotationScaleRad
        self.gripper = segment.gripper
        self.lowerBoundRad = lowerBound
        self.upperBoundRad = upperBound
        self.velocityLimitRadPerS = velocity
        self.accelerationLimitRadPerS2 = acceleration
        self.workspace = box.map { (SIMD3($0.minM[0], $0.minM[1], $0.minM[2]), SIMD3($0.maxM[0], $0.maxM[1], $0.maxM[2])) }
        self.kinematics = kinematics
    }

    /// Position and velocity limits after `safety.joint_limits.source`: the configured ones,
    /// the driver's, or per joint the tighter of both. A driver velocity ≤ 0 means "not
    /// reported" and leaves the configured one.
    private static func effectiveLimits(arm: ArmConfig, source: JointLimitSource, driver: DriverJointLimits?)
        throws(SafetySetupError) -> (lower: [Double], upper: [Double], velocity: [Double])
    {
        let config = arm.jointLimits
        let n = arm.jointCount
        if let driver {
            guard driver.lowerRad.count == n, driver.upperRad.count == n,
                  driver.velocityRadPerS.isEmpty || driver.velocityRadPerS.count == n
            else { throw SafetySetupError(arm: arm.name, "driver reports limits for \(driver.lowerRad.count) joints, the arm has \(n)") }
            for j in 0..<n where !(driver.lowerRad[j].isFinite && driver.upperRad[j].isFinite && driver.lowerRad[j] <= driver.upperRad[j]) {
                throw SafetySetupError(arm: arm.name, "driver reports an invalid range for joint \(j + 1): [\(driver.lowerRad[j]), \(driver.upperRad[j])] rad")
            }
        }
        func driverVelocity(_ j: Int) -> Double? {
            guard let driver, !driver.velocityRadPerS.isEmpty, driver.velocityRadPerS[j] > 0, driver.velocityRadPerS[j].isFinite else { return nil }
            return driver.velocityRadPerS[j]
        }
        switch (source, driver) {
        case (.config, _), (.tightest, nil):
            return (config.lowerRad, config.upperRad, config.velocityRadPerS)
        case (.driver, nil):
            throw SafetySetupError(arm: arm.name, "safety.joint_limits.source is driver but the driver reported no limits")
        case (.driver, let driver?):
            return (driver.lowerRad, driver.upperRad, (0..<n).map { driverVelocity($0) ?? config.velocityRadPerS[$0] })
        case (.tightest, let driver?):
            return ((0..<n).map { max(config.lowerRad[$0], driver.lowerRad[$0]) },
                    (0..<n).map { min(config.upperRad[$0], driver.upperRad[$0]) },
                    (0..<n).map { min(config.velocityRadPerS[$0], driverVelocity($0) ?? .infinity) })
        }
    }
}
