/// Published limits of one arm model: the numbers no configuration may exceed.
public struct HardwareLimits: Sendable, Equatable {
    public var model: String
    /// Where the numbers come from.
    public var source: String
    public var lowerRad: [Double]
    public var upperRad: [Double]
    public var velocityRadPerS: [Double]
    public var accelerationRadPerS2: [Double]
    /// End-effector translation speed limit, m/s; nil where none is published.
    public var cartesianTranslationMPerS: Double?
    /// End-effector rotation speed limit, rad/s; nil where none is published.
    public var cartesianRotationRadPerS: Double?

    public init(
        model: String, source: String, lowerRad: [Double], upperRad: [Double], velocityRadPerS: [Double],
        accelerationRadPerS2: [Double], cartesianTranslationMPerS: Double? = nil, cartesianRotationRadPerS: Double? = nil
    ) {
        self.model = model
        self.source = source
        self.lowerRad = lowerRad
        self.upperRad = upperRad
        self.velocityRadPerS = velocityRadPerS
        self.accelerationRadPerS2 = accelerationRadPerS2
        self.cartesianTranslationMPerS = cartesianTranslationMPerS
        self.cartesianRotationRadPerS = cartesianRotationRadPerS
    }

    public var jointCount: Int { lowerRad.count }
}

/// Per-step caps of a published deployment (method-and-safety.md §4.1, §8.4).
public struct StepCapReference: Sendable, Equatable {
    public var name: String
    /// The control rate the caps were used at, Hz.
    public var rateHz: Double
    public var translationM: Double
    public var rotationRad: Double
    /// nil where the deployment commands no joints.
    public var jointRad: Double?

    public init(name: String, rateHz: Double, translationM: Double, rotationRad: Double, jointRad: Double?) {
        self.name = name
        self.rateHz = rateHz
        self.translationM = translationM
        self.rotationRad = rotationRad
        self.jointRad = jointRad
    }
}

/// The hardware and practice numbers the safety configuration is checked against
/// (`SafetyDefaults.check`). The chain itself runs on the configured numbers; these say whether
/// those are no looser than the hardware.
public enum SafetyDefaults {
    /// Franka Emika Panda. Positions: Franka's control-parameter tables (as mirrored by
    /// franka_rust `franka_emika.rs`; deoxys' OSC null-space `joint_max`). Velocity,
    /// acceleration and Cartesian limits: libfranka ≤ 0.9 `include/franka/rate_limiting.h`
    /// (method-and-safety.md §8.2).
    public static let panda = HardwareLimits(
        model: "Franka Panda", source: "libfranka rate_limiting.h (≤ 0.9), Franka control parameters",
        lowerRad: [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973],
        upperRad: [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973],
        velocityRadPerS: [2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61],
        accelerationRadPerS2: [15, 7.5, 10, 12.5, 15, 20, 20],
        cartesianTranslationMPerS: 1.7, cartesianRotationRadPerS: 2.5)

    /// Franka Research 3. Positions: FR3 datasheet as mirrored by franka_rust `franka_fr3.rs`.
    /// Velocity: the caps of libfranka's position-dependent FR3 limits; acceleration and
    /// Cartesian: the 2023 FR3 `rate_limiting.h` (method-and-safety.md §8.2).
    public static let fr3 = HardwareLimits(
        model: "Franka FR3", source: "libfranka rate_limiting.h (FR3, 2023), franka_rust franka_fr3.rs",
        lowerRad: [-2.7437, -1.7837, -2.9007, -3.0421, -2.8065, 0.5445, -3.0159],
        upperRad: [2.7437, 1.7837, 2.9007, -0.1518, 2.8065, 4.5169, 3.0159],
        velocityRadPerS: [2.62, 2.62, 2.62, 2.62, 5.26, 4.18, 5.26],
        accelerationRadPerS2: [10, 10, 10, 10, 10, 10, 10],
        cartesianTranslationMPerS: 3.0, cartesianRotationRadPerS: 2.5)

    /// i2rt YAM. Positions: the **un-widened** ranges of i2rt `robot_models/arm/yam/yam.xml`
    /// (i2rt itself clips commands 0.15 rad beyond them; yam.md §5, §12). YAM publishes no
    /// velocity or acceleration limits: these are conservative choices (2 rad/s for the three
    /// large proximal joints, 3 rad/s for the wrist, 10 rad/s²), the same as the shipped YAM
    /// configs, not vendor numbers.
    public static let yam = HardwareLimits(
        model: "i2rt YAM", source: "i2rt yam.xml ranges (un-widened); velocity/acceleration: conservative, not published",
        lowerRad: [-2.61799, 0, 0, -1.69297, -1.5708, -2.0944],
        upperRad: [3.14159, 3.66519, 3.14159, 1.5708, 1.5708, 2.0944],
        velocityRadPerS: [2, 2, 2, 3, 3, 3],
        accelerationRadPerS2: [10, 10, 10, 10, 10, 10])

    /// The simulated YAM: MuJoCo Menagerie `i2rt_yam` ranges (yam.md §5.1, 3 decimals; joint 1
    /// stops at 3.054 and joint 4 at −1.571, tighter than i2rt's own model, the others round
    /// i2rt's up by < 0.5 mrad). Rates as `yam`. Check `pld sim` configs against this one.
    public static let yamMenagerie = HardwareLimits(
        model: "i2rt YAM (MuJoCo Menagerie)", source: "mujoco_menagerie i2rt_yam/yam.xml ranges; velocity/acceleration: conservative, not published",
        lowerRad: [-2.618, 0, 0, -1.571, -1.571, -2.094],
        upperRad: [3.054, 3.665, 3.142, 1.571, 1.571, 2.094],
        velocityRadPerS: [2, 2, 2, 3, 3, 3],
        accelerationRadPerS2: [10, 10, 10, 10, 10, 10])

    /// DROID's per-step caps at 15 Hz: 0.075 m, 0.15 rad, 0.2 rad per joint — the loosest
    /// published deployment in method-and-safety.md §8.4.
    public static let droidStepCap = StepCapReference(name: "DROID", rateHz: 15, translationM: 0.075, rotationRad: 0.15, jointRad: 0.2)

    /// SERL's per-step caps at 10 Hz: 15 mm, 0.1 rad (ACTION_SCALE, method-and-safety.md §4.1).
    public static let serlStepCap = StepCapReference(name: "SERL", rateHz: 10, translationM: 0.015, rotationRad: 0.1, jointRad: nil)
}
