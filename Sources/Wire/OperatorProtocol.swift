/// The operator protocol (`pld_operator.proto`): what a run's control socket and a terminal's
/// `pld estop`/`status`/… must agree on. A run refuses commands of another version.
public enum OperatorProtocol {
    /// `OperatorCommand.protocol_version` / `RunStatus.protocol_version` of this build.
    public static let version: UInt32 = 1
}
