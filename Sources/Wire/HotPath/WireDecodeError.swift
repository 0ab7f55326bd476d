/// Why a hot-path message was refused.
///
/// Contract: creating, throwing and catching one never allocates (no String payloads), so the
/// control thread can decode, fail and count without touching the heap. `description` builds the
/// one-line text for logs off the control thread.
public enum WireDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not a valid encoding of the expected message (protobuf-c refused them).
    case malformed(message: HotMessage)
    /// The message is larger than the decoder accepts.
    case tooLarge(message: HotMessage, bytes: Int, limit: Int)
    /// The message decodes to more data than the preallocated arena holds.
    case arenaExhausted(message: HotMessage, arenaBytes: Int)
    /// A repeated field has the wrong number of values (e.g. 6 joint positions for a Franka).
    case wrongCount(field: HotField, expected: Int, actual: Int)
    /// A value that must be finite is NaN or infinite.
    case nonFinite(field: HotField)
    /// The sender speaks another version of the PLD arm protocol.
    case protocolVersion(expected: UInt32, actual: UInt32)

    public var description: String {
        switch self {
        case let .malformed(message):
            "\(message.rawValue): malformed protobuf"
        case let .tooLarge(message, bytes, limit):
            "\(message.rawValue): \(bytes) bytes exceeds the \(limit)-byte limit"
        case let .arenaExhausted(message, arenaBytes):
            "\(message.rawValue): decoded size exceeds the \(arenaBytes)-byte decode arena"
        case let .wrongCount(field, expected, actual):
            "\(field.rawValue): expected \(expected) values, got \(actual)"
        case let .nonFinite(field):
            "\(field.rawValue): NaN or infinite value"
        case let .protocolVersion(expected, actual):
            "PLD arm protocol version \(actual) received, this runtime speaks \(expected)"
        }
    }
}

/// Messages decoded on the hot path.
public enum HotMessage: String, Sendable {
    case frankaRobotState = "FrankaRobotStateMessage"
    case frankaGripperState = "FrankaGripperStateMessage"
    case armState = "pld.ArmState"
}

/// Fields checked on the hot path; the raw value is the protobuf field path.
public enum HotField: String, Sendable {
    case frankaQ = "FrankaRobotStateMessage.q"
    case frankaDq = "FrankaRobotStateMessage.dq"
    case frankaQd = "FrankaRobotStateMessage.q_d"
    case frankaTauJ = "FrankaRobotStateMessage.tau_J"
    case frankaTauExt = "FrankaRobotStateMessage.tau_ext_hat_filtered"
    case frankaOTEE = "FrankaRobotStateMessage.O_T_EE"
    case frankaOTEEd = "FrankaRobotStateMessage.O_T_EE_d"
    case frankaOFExt = "FrankaRobotStateMessage.O_F_ext_hat_K"
    case frankaSuccessRate = "FrankaRobotStateMessage.control_command_success_rate"
    case gripperWidth = "FrankaGripperStateMessage.width"
    case gripperMaxWidth = "FrankaGripperStateMessage.max_width"
    case armQ = "pld.ArmState.q_rad"
    case armDq = "pld.ArmState.dq_rad_per_s"
    case armTau = "pld.ArmState.tau_nm"
    case armGripper = "pld.ArmState.gripper_position"
    case commandQ = "pld.ArmCommand.q_target_rad"
}
