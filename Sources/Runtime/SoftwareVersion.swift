// Runtime: the control loop, episode runner, egress, operator server and metrics; the only
// module that knows all parts. Arrives with the tick issue.

/// Version of this runtime, recorded in every episode and printed by `pld version`.
public enum SoftwareVersion {
    public static let current = "0.1.0"
}
