// Drivers: the runtime's side of every link to an arm, camera or feature node
// (FrankaLink over the deoxys wire, YAMLink over the PLD arm protocol) and the kinematics those
// links use. The links themselves arrive with the arms issue; this file reports the MuJoCo build
// the kinematics will run on, so `pld version` and bug reports name it.
import CMuJoCo

/// The MuJoCo library this binary is linked against.
public enum MuJoCoLibrary {
    /// Version string of the loaded libmujoco (`mj_versionString`), e.g. "2.2.2".
    public static var version: String { String(cString: mj_versionString()) }

    /// True when the header this module was compiled against matches the loaded library
    /// (`mjVERSION_HEADER == mj_version()`); a mismatch means a broken install.
    public static var headerMatchesLibrary: Bool { mj_version() == mjVERSION_HEADER }
}
