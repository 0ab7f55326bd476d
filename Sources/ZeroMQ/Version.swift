import CZeroMQ

/// The libzmq this binary is linked against.
public enum ZeroMQLibrary {
    /// "major.minor.patch" of the loaded libzmq (`zmq_version`).
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Whether libzmq was built with a capability, e.g. "curve" or "ipc" (`zmq_has`).
    public static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }
}
