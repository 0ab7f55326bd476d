import ArgumentParser
import OperatorCLI

/// Exit status of a subcommand whose feature has not landed yet (sysexits EX_UNAVAILABLE).
let unavailableExitCode: Int32 = 69

/// Prints one line naming the subcommand and the issue that delivers it, then exits 69.
/// Arguments are parsed and validated before this runs, so usage errors still surface.
func notAvailableYet(_ command: String, arrivesWith issue: String) -> ExitCode {
    printError("pld \(command): not available yet; it arrives with \(issue)")
    return ExitCode(unavailableExitCode)
}
