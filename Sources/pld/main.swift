// `pld`: the command users type. The terminal commands an operator reaches for while an arm
// moves (`pld estop`, `reset`, `pause`, `resume`, `stop`, `mark`, `status`) run right here;
// everything else is handed to `pld-engine`, built next to this binary, with the same
// arguments and the same process id (execv), so signals and exit codes are the engine's own.
//
// Why two binaries: `pld estop` is on the e-stop's critical path, from the keypress to the
// arms holding. The engine links MuJoCo, HDF5 (and its curl/krb5/gnutls), OpenBLAS, NIO and
// the dynamic Swift runtime, and spends ~17 ms in the dynamic loader before `main`. This
// binary links libzmq, protobuf-c and a static Swift runtime and starts in ~2 ms
// (`Tools/estop_latency` measures the whole chain).
import ArgumentParser
import OperatorCLI
#if canImport(Glibc)
import Glibc
#endif

/// The operator commands, parsed here exactly as `pld-engine` parses them (same types).
/// Explicit command names throughout: the default derives them by reflection, which scans
/// every protocol conformance in the binary (~1 ms at start).
struct PLDOperator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pld",
        subcommands: [Estop.self, Reset.self, Pause.self, Resume.self, Stop.self, Status.self, Mark.self])
}

let operatorCommands: Set<String> = ["estop", "reset", "pause", "resume", "stop", "status", "mark"]
let arguments = CommandLine.arguments
if arguments.count > 1, operatorCommands.contains(arguments[1]) {
    PLDOperator.main()  // exits on an error; returns after a successful command
    exit(0)
}

let engine = executableDirectory() + "/pld-engine"
if access(engine, X_OK) == 0 {
    printError("pld: could not run \(engine): \(replaceProcess(with: engine, arguments: arguments))")
} else {
    // Installed elsewhere: the engine from PATH (both binaries belong in the same directory).
    _ = replaceProcess(with: "pld-engine", arguments: arguments, searchPath: true)
    printError("pld: pld-engine not found next to \(executableDirectory())/pld nor on PATH; build it with `swift build` (it is built with pld) and keep both binaries together")
}
exit(1)
