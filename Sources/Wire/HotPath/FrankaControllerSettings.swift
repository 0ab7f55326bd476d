/// deoxys `FrankaControlMessage.TrajInterpolatorType`.
public enum FrankaInterpolator: UInt32, Sendable {
    case noOp = 0, linearPosition = 1, linearPose = 2, minJerkPose = 3, smoothJointPosition = 4,
        minJerkJointPosition = 5, linearJointPosition = 6, cosineCartesianVelocity = 7,
        linearCartesianVelocity = 8
}

/// deoxys `FrankaControlMessage.ControllerType`, limited to the controllers the NUC implements
/// and this runtime sends.
public enum FrankaControllerType: UInt32, Sendable {
    case noControl = 0, oscPose = 1, oscPosition = 2, jointPosition = 3, jointImpedance = 4, oscYaw = 7
}

/// The state-estimator block deoxys's Python client attaches to every controller message:
/// `estimator_type` is always EXPONENTIAL_SMOOTHING_ESTIMATOR, `alpha_eef_vel` is never set.
public struct FrankaEstimatorSettings: Sendable, Equatable {
    public var isEstimation: Bool
    public var alphaQ: Double
    public var alphaDq: Double
    public var alphaEEF: Double

    public init(isEstimation: Bool = false, alphaQ: Double = 0.9, alphaDq: Double = 0.9, alphaEEF: Double = 1.0) {
        self.isEstimation = isEstimation
        self.alphaQ = alphaQ
        self.alphaDq = alphaDq
        self.alphaEEF = alphaEEF
    }
}

/// Fields deoxys expects on every message of one controller. Defaults are deoxys's shipped
/// controller YAMLs (reference/deoxys-wire.md §5), so our bytes equal the Python client's.
public struct FrankaControllerSettings: Sendable, Equatable {
    public var interpolator: FrankaInterpolator
    /// Fraction of the NUC policy period the interpolator uses. The NUC replaces values ≤ 0.1
    /// with 0.1 ("too dangerous"), so the encoder refuses them instead of letting that happen.
    public var interpolatorTimeFraction: Double
    /// `FrankaControlMessage.timeout`: ignored by the NUC; 0.2 like the Python client.
    public var timeoutSeconds: Double
    public var estimator: FrankaEstimatorSettings
    /// OSC only: translational and rotational stiffness (exactly 3 each; the NUC does not check).
    public var translationalStiffness: InlineArray<3, Double>
    public var rotationalStiffness: InlineArray<3, Double>
    /// OSC only: added to the mass-matrix diagonal (exactly 7).
    public var residualMass: InlineArray<7, Double>
    /// Joint impedance only: gains (exactly 7 each).
    public var jointKp: InlineArray<7, Double>
    public var jointKd: InlineArray<7, Double>
    /// Joint position only: `speed_factor` (the Python client hard-codes 0.1).
    public var speedFactor: Double

    public init(
        interpolator: FrankaInterpolator, interpolatorTimeFraction: Double = 0.3, timeoutSeconds: Double = 0.2,
        estimator: FrankaEstimatorSettings = FrankaEstimatorSettings(),
        translationalStiffness: InlineArray<3, Double> = [150, 150, 150],
        rotationalStiffness: InlineArray<3, Double> = [250, 250, 250],
        residualMass: InlineArray<7, Double> = [0, 0, 0, 0, 0.1, 0.5, 0.5],
        jointKp: InlineArray<7, Double> = [100, 100, 100, 100, 75, 150, 50],
        jointKd: InlineArray<7, Double> = [20, 20, 20, 20, 7.5, 15, 5],
        speedFactor: Double = 0.1
    ) {
        self.interpolator = interpolator
        self.interpolatorTimeFraction = interpolatorTimeFraction
        self.timeoutSeconds = timeoutSeconds
        self.estimator = estimator
        self.translationalStiffness = translationalStiffness
        self.rotationalStiffness = rotationalStiffness
        self.residualMass = residualMass
        self.jointKp = jointKp
        self.jointKd = jointKd
        self.speedFactor = speedFactor
    }

    /// `osc-pose-controller.yml`: LINEAR_POSE 0.3, no estimation.
    public static let oscPose = FrankaControllerSettings(interpolator: .linearPose)
    /// `osc-position-controller.yml`: LINEAR_POSE 0.3, estimation on.
    public static let oscPosition = FrankaControllerSettings(
        interpolator: .linearPose, estimator: FrankaEstimatorSettings(isEstimation: true))
    /// `joint-position-controller.yml` with the client's hard-coded SMOOTH_JOINT_POSITION.
    public static let jointPosition = FrankaControllerSettings(interpolator: .smoothJointPosition)
    /// `joint-impedance-controller.yml`: LINEAR_JOINT_POSITION 0.3, estimation on.
    public static let jointImpedance = FrankaControllerSettings(
        interpolator: .linearJointPosition, estimator: FrankaEstimatorSettings(isEstimation: true))

    // InlineArray is not Equatable; compare element-wise.
    public static func == (a: Self, b: Self) -> Bool {
        func same<let N: Int>(_ x: InlineArray<N, Double>, _ y: InlineArray<N, Double>) -> Bool {
            for i in 0..<N where x[i] != y[i] { return false }
            return true
        }
        return a.interpolator == b.interpolator && a.interpolatorTimeFraction == b.interpolatorTimeFraction
            && a.timeoutSeconds == b.timeoutSeconds && a.estimator == b.estimator
            && same(a.translationalStiffness, b.translationalStiffness)
            && same(a.rotationalStiffness, b.rotationalStiffness) && same(a.residualMass, b.residualMass)
            && same(a.jointKp, b.jointKp) && same(a.jointKd, b.jointKd) && a.speedFactor == b.speedFactor
    }
}

/// A task-space goal: translation in m, rotation as an axis-angle vector in rad.
public struct TaskSpaceGoal: Sendable, Equatable {
    public var isDelta: Bool
    public var x: Double, y: Double, z: Double
    public var ax: Double, ay: Double, az: Double

    public init(isDelta: Bool, x: Double = 0, y: Double = 0, z: Double = 0, ax: Double = 0, ay: Double = 0, az: Double = 0) {
        self.isDelta = isDelta
        self.x = x
        self.y = y
        self.z = z
        self.ax = ax
        self.ay = ay
        self.az = az
    }

    /// A zero delta: "stay where you are" for OSC controllers.
    public static let hold = TaskSpaceGoal(isDelta: true)

    var isFinite: Bool { x.isFinite && y.isFinite && z.isFinite && ax.isFinite && ay.isFinite && az.isFinite }
}

/// Why a hot-path message could not be encoded. Allocation-free like `WireDecodeError`.
public enum WireEncodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case bufferTooSmall(needed: Int, capacity: Int)
    case nonFinite(field: HotField)
    case wrongCount(field: HotField, expected: Int, actual: Int)
    /// `traj_interpolator_time_fraction` ≤ 0.1 would be silently replaced by the NUC.
    case interpolatorFractionTooSmall
    case goalNotFinite

    public var description: String {
        switch self {
        case let .bufferTooSmall(needed, capacity): "encode needs \(needed) bytes, buffer holds \(capacity)"
        case let .nonFinite(field): "\(field.rawValue): NaN or infinite value refused"
        case let .wrongCount(field, expected, actual): "\(field.rawValue): expected \(expected) values, got \(actual)"
        case .interpolatorFractionTooSmall: "traj_interpolator_time_fraction must be > 0.1 (the NUC floors it)"
        case .goalNotFinite: "goal: NaN or infinite value refused"
        }
    }
}
