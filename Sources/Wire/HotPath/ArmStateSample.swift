/// Most joints one arm may have on the PLD arm protocol (YAM has 6, a Franka 7).
public let armMaxJoints = 8

/// `pld.DriverMode`: what an arm driver is doing.
public enum DriverMode: Int32, Sendable {
    case unspecified = 0, tracking = 1, holding = 2, damping = 3, error = 4, moving = 5
}

/// A decoded `pld.ArmState` in fixed-size storage. Joints beyond `jointCount` are zero.
public struct ArmStateSample: Sendable {
    public var jointCount = 0
    public var sequence: UInt64 = 0
    public var sampleUnixNanos: Int64 = 0
    /// Joint positions, rad.
    public var q = InlineArray<8, Double>(repeating: 0)
    /// Joint velocities, rad/s.
    public var dq = InlineArray<8, Double>(repeating: 0)
    /// Joint torques, N·m.
    public var tau = InlineArray<8, Double>(repeating: 0)
    /// Normalised gripper position, 0 open … 1 closed.
    public var gripperPosition: Double = 0
    public var gripperVelocityPerSecond: Double = 0
    public var gripperEffort: Double = 0
    public var mode: DriverMode = .unspecified
    public var lastCommandSequence: UInt64 = 0
    /// True when the driver sent a non-empty `fault_message` (read the text with swift-protobuf
    /// off the control thread when the mode changes).
    public var hasFaultMessage = false

    public init() {}
}
