// MuJoCo: the only module that touches the MuJoCo C API. Kinematics (Drivers) and physics
// (Simulation) go through it.
@preconcurrency import CMuJoCo
import Foundation
import Synchronization

/// The MuJoCo library this binary is linked against, and the process-wide settings this module
/// makes on it.
public enum MuJoCoLibrary {
    /// Version string of the loaded libmujoco (`mj_versionString`), e.g. "2.2.2".
    public static var version: String { String(cString: mj_versionString()) }

    /// True when the header this module was compiled against matches the loaded library
    /// (`mjVERSION_HEADER == mj_version()`); a mismatch means a broken install.
    public static var headerMatchesLibrary: Bool { mj_version() == mjVERSION_HEADER }

    /// How many MuJoCo warnings (`mju_warning`) this process has seen. Warnings are also counted
    /// per `MJData` (``MJData/warningCount``); this total includes those raised while loading.
    public static var warningsSeen: Int { warningCounter.load(ordering: .relaxed) }

    /// Installs this module's `mju_user_warning` and `mju_user_error` handlers, once per process.
    ///
    /// Why: MuJoCo's defaults print warnings to stdout and append them to `MUJOCO_LOG.TXT` in the
    /// current directory, and on an error wait for Enter and `exit(1)`. Here warnings go to
    /// stderr (the first ``printedWarningLimit``; all are counted) and an error (a contract
    /// violation inside MuJoCo, which this wrapper's checks are meant to prevent) stops the
    /// process with a message naming it. `MJModel` calls this before its first load.
    static func installHandlers() { _ = handlersInstalled }

    /// Warnings beyond this many are counted but not printed, so an unstable simulation stepping
    /// at 1 kHz cannot flood the log.
    public static let printedWarningLimit = 20

    private static let warningCounter = Atomic<Int>(0)

    private static let handlersInstalled: Bool = {
        mju_user_warning = { message in
            let seen = MuJoCoLibrary.warningCounter.add(1, ordering: .relaxed).newValue
            guard seen <= MuJoCoLibrary.printedWarningLimit else { return }
            let text = message.map { String(cString: $0) } ?? "(no message)"
            let suffix = seen == MuJoCoLibrary.printedWarningLimit ? " (further warnings are counted, not printed)" : ""
            FileHandle.standardError.write(Data("MuJoCo warning: \(MuJoCoError.oneLine(text))\(suffix)\n".utf8))
        }
        mju_user_error = { message in
            let text = message.map { String(cString: $0) } ?? "(no message)"
            fatalError("MuJoCo error: \(MuJoCoError.oneLine(text))")
        }
        return true
    }()

    /// Serialises `mj_loadXML`: MuJoCo 2.2 keeps the last parsed XML in a global and swaps the
    /// error handler while compiling, so two loads must never overlap.
    static let loadLock = NSLock()
}
