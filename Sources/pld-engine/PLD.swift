import ArgumentParser
import OperatorCLI

/// `pld`: the PLD runtime's command line. Thin: every subcommand parses and validates its
/// arguments, then calls into Runtime / Simulation. Exit status 0 on success, 1 on an error
/// (one line on stderr naming the file, field or endpoint at fault), 69 when a subcommand's
/// feature has not landed yet.
@main
struct PLD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pld",
        abstract: "Run self-improving VLA policies (Probe, Learn, Distill) on Franka and YAM arms.",
        discussion: """
            A run drives the arms over ZeroMQ at the control rate: each tick takes the base VLA's \
            action (openpi websocket protocol, asynchronous chunks), adds a small residual scaled \
            by xi once the episode's handoff step is reached, passes the safety chain and commands \
            the arms. Episodes are recorded for SFT. Operators stop, reset, pause and watch a run \
            from any terminal with `pld estop`, `pld reset`, `pld status`.

            `pld sim` stands in for the arms, cameras and the VLA server with MuJoCo physics and \
            the same wire protocols; `pld demo` runs everything on the embedded default.

            The hardware e-stop remains the emergency stop: `pld estop` is a controlled software \
            stop (category 2: hold under power).
            """,
        version: "pld \(softwareVersion)",
        subcommands: [
            Demo.self, Sim.self, Run.self,
            Estop.self, Reset.self, Pause.self, Resume.self, Stop.self, Status.self, Mark.self,
            Export.self, Inspect.self, Learn.self,
            Bench.self, Keys.self, Config.self, Version.self,
        ]
    )
}
