// Recording: one crash-safe HDF5 file per episode, the run index, video encoding and the
// exporters' Swift side. They arrive with the recording issue; this file reports the libhdf5
// that episodes will be written with (recorded in every episode's metadata).
import CHDF5

/// The HDF5 library this binary is linked against.
public enum HDF5Library {
    /// "major.minor.release" of the loaded libhdf5 (`H5get_libversion`).
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        guard H5get_libversion(&major, &minor, &release) >= 0 else { return "unknown" }
        return "\(major).\(minor).\(release)"
    }
}
