import PLDCore
import ZeroMQ

/// Two PLD arms working together (bimanual YAM): two independent `PLDArmLink`s plus the
/// base-to-base transform from the cell calibration. No kinematics here.
///
/// Threading: like its links, owned by the control thread; `poll(now:)` and `hold(now:)` are
/// per-tick (non-blocking, allocation-free), `connect()` and `close()` are setup-time.
public final class BimanualRig {
    public let left: PLDArmLink
    public let right: PLDArmLink
    /// Pose of the right arm's base in the left arm's base frame, 4×4 column-major (identity
    /// when uncalibrated).
    public let rightBaseInLeftBase: InlineArray<16, Double>

    public init(left: PLDArmLink, right: PLDArmLink, calibration: CellCalibration?) {
        self.left = left
        self.right = right
        rightBaseInLeftBase = calibration?.baseTransform(from: left.name, to: right.name) ?? Transform4x4.identity
    }

    /// Links for the robot config's two `pld_arm` arms, in config order (left first).
    public convenience init(config: RobotConfig, calibration: CellCalibration?, context: Context, options: PLDArmLink.Options = .init()) throws(DriverError) {
        let arms = config.arms.filter { $0.kind == .pldArm }
        guard arms.count == 2 else {
            throw DriverError(subject: "robot \(config.name)", operation: "create bimanual rig", reason: "needs exactly two pld_arm arms, found \(arms.count)")
        }
        self.init(
            left: try PLDArmLink(arm: arms[0], context: context, options: options),
            right: try PLDArmLink(arm: arms[1], context: context, options: options), calibration: calibration)
    }

    /// Connects (hello-checks) both arms; the first failure is thrown.
    public func connect() throws(PLDArmLinkError) {
        try left.connect()
        try right.connect()
    }

    @discardableResult
    public func poll(now: UInt64) -> (left: LinkEvents, right: LinkEvents) {
        (left.poll(now: now), right.poll(now: now))
    }

    /// Holds both arms.
    public func hold(now: UInt64) {
        left.hold(now: now)
        right.hold(now: now)
    }

    /// Either state stale means the rig is stale.
    public var isStale: Bool { left.state.isStale || right.state.isStale }

    public func close() {
        left.close()
        right.close()
    }
}
