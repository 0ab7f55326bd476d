/// The physics behind a simulated YAM arm (or any arm served over the PLD arm protocol):
/// what ``PLDArmDriverSimulator`` reads and commands, in the terms an i2rt driver gives the
/// motors (Damiao MIT mode: a position target with per-joint kp/kd).
///
/// Implemented by the MuJoCo world; tests use a kinematic stand-in.
///
/// Threading: the driver loop thread calls every command method; the driver's control-request
/// thread also calls ``readState()``. Both run concurrently with the physics thread, so
/// implementations must be thread-safe, and every call must return promptly (commands set
/// targets that the physics thread then tracks).
public protocol YAMPlant: AnyObject, Sendable {
    /// One consistent snapshot of the arm and gripper.
    func readState() -> YAMPlantState

    /// PD control of the arm joints toward `q` (rad, one per joint) with stiffness `kp`
    /// (N·m/rad) and damping `kd` (N·m·s/rad), zero velocity target and no feed-forward, held
    /// until the next call. Gravity compensation, as i2rt adds it, is the plant's business.
    func setJointTarget(_ q: [Double], kp: [Double], kd: [Double])

    /// The motors' own damping mode (their watchdog fired, or a fault): kp = 0 and a small kd on
    /// every joint, so the arm sinks slowly under gravity. Lasts until the next
    /// ``setJointTarget(_:kp:kd:)``.
    func damp()

    /// Gripper toward `position` (normalised, 0 open … 1 closed) at up to `speedPerSecond`
    /// (normalised units per second) with at most `maxEffort` (driver units, N·m at the motor
    /// for YAM).
    func setGripperTarget(_ position: Double, speedPerSecond: Double, maxEffort: Double)
}

/// What a simulated PLD arm reports.
public struct YAMPlantState: Sendable, Equatable {
    /// Joint positions, rad (one per joint).
    public var q: [Double]
    /// Joint velocities, rad/s.
    public var dq: [Double]
    /// Joint torques, N·m.
    public var tau: [Double]
    /// Gripper position, normalised 0 open … 1 closed.
    public var gripperPosition: Double
    /// Gripper velocity, normalised units per second.
    public var gripperVelocityPerSecond: Double
    /// Gripper effort (N·m at the motor for YAM).
    public var gripperEffort: Double
    /// Motor temperatures, °C (one per joint; empty if unknown).
    public var motorTemperaturesCelsius: [Double]

    public init(
        q: [Double], dq: [Double], tau: [Double], gripperPosition: Double = 0, gripperVelocityPerSecond: Double = 0,
        gripperEffort: Double = 0, motorTemperaturesCelsius: [Double] = []
    ) {
        self.q = q
        self.dq = dq
        self.tau = tau
        self.gripperPosition = gripperPosition
        self.gripperVelocityPerSecond = gripperVelocityPerSecond
        self.gripperEffort = gripperEffort
        self.motorTemperaturesCelsius = motorTemperaturesCelsius
    }
}
