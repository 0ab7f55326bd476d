import ArgumentParser
import OperatorCLI
#if canImport(Glibc)
import Glibc
#endif

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the runtime's hot paths and print the numbers (JSON with --json).",
        discussion: """
            Runs the `pld-bench` binary that is built next to `pld` (it links an allocation \
            counter that the runtime binary must not carry). Build both in release mode for \
            meaningful numbers: swift build -c release && .build/release/pld bench codec --json
            Benchmarks: codec (protobuf, msgpack and ZeroMQ round trips).
            """)

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Benchmark name and its options, e.g. codec --json.", valueName: "BENCHMARK"))
    var arguments: [String] = []

    func run() throws {
        let here = executableDirectory()
        let bench = here + "/pld-bench"
        guard access(bench, X_OK) == 0 else {
            printError("pld bench: \(bench) not found; build it with `swift build --product pld-bench` (same configuration as pld)")
            throw ExitCode.failure
        }
        let failure = replaceProcess(with: bench, arguments: [bench] + arguments)
        printError("pld bench: could not run \(bench): \(failure)")
        throw ExitCode.failure
    }
}
