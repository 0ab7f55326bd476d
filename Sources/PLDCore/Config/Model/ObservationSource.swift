/// Where an observation value comes from, written as a dotted reference:
///
/// - `arm.<arm>.<field>` — a field of an arm's state (`arm.left.joint_position`);
/// - `camera.<camera>` — the latest frame of a camera (`camera.wrist`);
/// - `feature.<feature>` — the latest feature vector (`feature.cube_pose`).
///
/// Names are checked against `arms`, `cameras` and `features` by validation.
public enum ObservationSource: ConfigStringConvertible, Hashable, CustomStringConvertible {
    case arm(String, ArmStateField)
    case camera(String)
    case feature(String)

    /// Fields of an arm's state that can feed a policy, classifier or residual.
    public enum ArmStateField: String, ConfigEnum {
        /// One value per joint, rad.
        case jointPosition = "joint_position"
        /// One value per joint, rad/s.
        case jointVelocity = "joint_velocity"
        /// One value, normalised 0 open … 1 closed.
        case gripperPosition = "gripper_position"
        /// End-effector position in the arm's base frame, m (3 values).
        case eePosition = "ee_position"
        /// End-effector orientation as a unit quaternion w, x, y, z (4 values).
        case eeQuaternion = "ee_quaternion"
        /// End-effector orientation as an axis-angle vector, rad (3 values).
        case eeAxisAngle = "ee_axis_angle"
    }

    public init(configString text: String) throws(ConfigValueError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let forms = "expected arm.<arm>.<field>, camera.<camera> or feature.<feature>, found \(ScalarText.quoted(text))"
        guard let kind = parts.first, parts.allSatisfy({ !$0.isEmpty }) else { throw ConfigValueError(forms) }
        switch (kind, parts.count) {
        case ("arm", 3):
            guard let field = ArmStateField(rawValue: parts[2]) else {
                throw ConfigValueError("unknown arm field `\(parts[2])` in \(ScalarText.quoted(text)); expected one of: \(ArmStateField.allowedValues.joined(separator: ", "))")
            }
            self = .arm(parts[1], field)
        case ("camera", 2):
            self = .camera(parts[1])
        case ("feature", 2):
            self = .feature(parts[1])
        default:
            throw ConfigValueError(forms)
        }
    }

    public var configString: String {
        switch self {
        case .arm(let arm, let field): return "arm.\(arm).\(field.rawValue)"
        case .camera(let camera): return "camera.\(camera)"
        case .feature(let feature): return "feature.\(feature)"
        }
    }

    public var description: String { configString }

    public var isCamera: Bool {
        if case .camera = self { return true }
        return false
    }
}
