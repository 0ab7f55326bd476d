// MuJoCo: the only module that touches the MuJoCo C API. Kinematics (Drivers) and physics
// (Simulation) go through it.
import CMuJoCo

/// The MuJoCo library this binary is linked against.
public enum MuJoCoLibrary {
    /// Version string of the loaded libmujoco (`mj_versionString`), e.g. "2.2.2".
    public static var version: String { String(cString: mj_versionString()) }

    /// True when the header this module was compiled against matches the loaded library
    /// (`mjVERSION_HEADER == mj_version()`); a mismatch means a broken install.
    public static var headerMatchesLibrary: Bool { mj_version() == mjVERSION_HEADER }
}
