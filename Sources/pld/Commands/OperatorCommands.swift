import ArgumentParser

/// Where a running `pld run` listens for operator commands.
struct ControlEndpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Control endpoint of the run (default: the local run's ipc socket in the per-user runtime directory).",
        valueName: "ENDPOINT"))
    var control: String?
}

struct Estop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Latch a controlled stop in the running `pld run`: every arm holds until `pld reset`.",
        discussion: "This is a software stop (category 2). The hardware e-stop remains the emergency stop.")
    @OptionGroup var endpoint: ControlEndpointOptions
    func run() throws { throw notAvailableYet("estop", arrivesWith: "issue #6 (operator terminal)") }
}

struct Reset: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the configured reset (gated), clear the e-stop latch and continue.")
    @OptionGroup var endpoint: ControlEndpointOptions
    func run() throws { throw notAvailableYet("reset", arrivesWith: "issue #6 (operator terminal)") }
}

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Hold the arms and pause the run.")
    @OptionGroup var endpoint: ControlEndpointOptions
    func run() throws { throw notAvailableYet("pause", arrivesWith: "issue #6 (operator terminal)") }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Continue a paused run.")
    @OptionGroup var endpoint: ControlEndpointOptions
    func run() throws { throw notAvailableYet("resume", arrivesWith: "issue #6 (operator terminal)") }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "End the run after the current episode.")
    @OptionGroup var endpoint: ControlEndpointOptions
    func run() throws { throw notAvailableYet("stop", arrivesWith: "issue #6 (operator terminal)") }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the run's state, episode, stage, success rate, tick timing and link health.")
    @OptionGroup var endpoint: ControlEndpointOptions
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Keep printing as the run's status stream updates.") var watch = false
    func run() throws { throw notAvailableYet("status", arrivesWith: "issue #6 (operator terminal)") }
}
