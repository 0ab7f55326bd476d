import PLDCore
import Wire

/// Checks a driver's `HelloReply` against the robot config before any command is sent.
///
/// Refused (first problem found, as one `PLDArmLinkError` naming the field and both values):
/// - another protocol version (`protocol_version`);
/// - another joint count (`joint_names`), or another joint name at any position
///   (`joint_names[i]`): order matters, targets are sent by position;
/// - limits not advertised for every joint (`joint_limits`), or a limit entry naming another
///   joint (`joint_limits[i].name`);
/// - a config limit outside the driver's advertised limit: `joint_limits.lower_rad[i]` must be
///   ≥ the driver's lower, `upper_rad[i]` ≤ its upper, `velocity_rad_per_s[i]` ≤ its max
///   velocity (when the driver states one): the config must lie within what the driver allows;
/// - a driver command timeout that is missing or longer than the config's `command_timeout_s`
///   (the driver must hold at least as soon as the config assumes).
public enum PLDArmHelloCheck {
    public static let protocolVersion = UInt32(PLDArmProtocolVersion.current.rawValue)

    /// nil when the reply fits the config; otherwise the mismatch.
    public static func mismatch(
        _ reply: PLDHelloReply, arm: ArmConfig, endpoint: String
    ) -> PLDArmLinkError? {
        func fail(_ field: String, _ message: String) -> PLDArmLinkError {
            PLDArmLinkError(kind: .helloMismatch, arm: arm.name, endpoint: endpoint, field: field, message: message)
        }
        guard let pld = arm.pldArm else {
            return fail("kind", "arm \(arm.name) is not a pld_arm")
        }
        if reply.protocolVersion != protocolVersion {
            return fail("protocol_version", "runtime speaks \(protocolVersion), driver speaks \(reply.protocolVersion)")
        }
        let names = pld.jointNames
        if reply.jointNames.count != names.count {
            return fail(
                "joint_names",
                "config has \(names.count) joints \(list(names)), driver has \(reply.jointNames.count) \(list(reply.jointNames))")
        }
        for (i, name) in names.enumerated() where reply.jointNames[i] != name {
            return fail("joint_names[\(i)]", "config has \"\(name)\", driver has \"\(reply.jointNames[i])\"")
        }
        if reply.jointLimits.count != names.count {
            return fail("joint_limits", "driver advertises limits for \(reply.jointLimits.count) joints, the arm has \(names.count)")
        }
        let limits = arm.jointLimits
        for (i, driver) in reply.jointLimits.enumerated() {
            let joint = names[i]
            if !driver.name.isEmpty && driver.name != joint {
                return fail("joint_limits[\(i)].name", "config joint \"\(joint)\", driver limit is for \"\(driver.name)\"")
            }
            if i < limits.lowerRad.count, !(limits.lowerRad[i] >= driver.lowerRad) {
                return fail(
                    "joint_limits.lower_rad[\(i)]",
                    "config \(number(limits.lowerRad[i])) rad is below the driver's limit \(number(driver.lowerRad)) rad (\(joint))")
            }
            if i < limits.upperRad.count, !(limits.upperRad[i] <= driver.upperRad) {
                return fail(
                    "joint_limits.upper_rad[\(i)]",
                    "config \(number(limits.upperRad[i])) rad is above the driver's limit \(number(driver.upperRad)) rad (\(joint))")
            }
            if i < limits.velocityRadPerS.count, driver.maxVelocityRadPerS > 0,
                !(limits.velocityRadPerS[i] <= driver.maxVelocityRadPerS)
            {
                return fail(
                    "joint_limits.velocity_rad_per_s[\(i)]",
                    "config \(number(limits.velocityRadPerS[i])) rad/s is above the driver's limit \(number(driver.maxVelocityRadPerS)) rad/s (\(joint))")
            }
        }
        if !(reply.commandTimeoutS > 0) {
            return fail("command_timeout_s", "driver states no command timeout (\(number(reply.commandTimeoutS)) s); it must hold when commands stop")
        }
        if reply.commandTimeoutS > pld.commandTimeoutS {
            return fail(
                "command_timeout_s",
                "driver holds after \(number(reply.commandTimeoutS)) s, config allows at most \(number(pld.commandTimeoutS)) s")
        }
        return nil
    }

    private static func list(_ names: [String]) -> String { "[" + names.joined(separator: ", ") + "]" }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
