import PLDCore
import Wire

extension ArmMode {
    public init(driverMode: DriverMode) {
        switch driverMode {
        case .unspecified: self = .unknown
        case .tracking: self = .tracking
        case .holding: self = .holding
        case .damping: self = .damping
        case .error: self = .error
        case .moving: self = .moving
        }
    }
}

extension ArmState {
    /// The PLD arm driver's own mode.
    public var driverMode: DriverMode {
        get { DriverMode(rawValue: driverModeRaw) ?? .unspecified }
        set { driverModeRaw = newValue.rawValue }
    }
}
