/// Joint limits a driver reports for its arm (the PLD arm protocol's `HelloReply.joint_limits`),
/// handed to `SafetyChain.init` when `safety.joint_limits.source` is `driver` or `tightest`.
///
/// Values are per joint, in the order of the arm's joints. The protocol carries no acceleration
/// limit, so the configured one always applies; a velocity of 0 or less means "not reported".
public struct DriverJointLimits: Sendable, Equatable {
    public var lowerRad: [Double]
    public var upperRad: [Double]
    public var velocityRadPerS: [Double]

    public init(lowerRad: [Double], upperRad: [Double], velocityRadPerS: [Double] = []) {
        self.lowerRad = lowerRad
        self.upperRad = upperRad
        self.velocityRadPerS = velocityRadPerS
    }
}
