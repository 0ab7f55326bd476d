import ArgumentParser
import Foundation

/// `pld-bench`: the benchmarks behind `pld bench …`. Prints JSON with --json.
struct PLDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pld bench",
        abstract: "Measure the runtime's hot paths; print JSON with --json.",
        subcommands: [Codec.self])
}

struct Codec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Protobuf (swift-protobuf vs protobuf-c) encode/decode of a full Franka state and commands.")

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Timed calls per case.") var iterations = 20_000

    func run() throws {
        guard allocationCountingWorks() else {
            throw ValidationError("allocation counting is not active (malloc interposer not linked ahead of libc)")
        }
        let results = try benchProtobuf(iterations: iterations)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print(results)
        }
    }
}

PLDBench.main()
