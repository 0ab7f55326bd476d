import ArgumentParser
import Foundation
import Wire

/// Which running `pld run` a terminal command talks to.
public struct ControlEndpointOptions: ParsableArguments {
    public init() {}
    @Option(help: ArgumentHelp(
        "Control endpoint of the run, ipc://PATH or tcp://HOST:PORT (default: the one local run's ipc socket in the per-user runtime directory).",
        valueName: "ENDPOINT"))
    var control: String?

    @Option(help: ArgumentHelp("Config name of the local run, when several run at once.", valueName: "NAME"))
    var run: String?

    @Option(help: ArgumentHelp("TCP only: the run's public CURVE key file (its NAME.key).", valueName: "FILE"))
    var serverKey: String?

    @Option(help: ArgumentHelp("TCP only: your CURVE key pair (the NAME.key_secret file of `pld keys generate`).", valueName: "FILE"))
    var key: String?

    public func client() throws -> OperatorClient {
        try OperatorClient(target: OperatorTarget.resolve(control: control, run: run, serverKeyFile: serverKey, keyFile: key))
    }
}

/// Sends one command and prints the run's one-line answer; a refusal or an unreachable run
/// exits 1 with one line on stderr.
public func sendOperatorCommand(
    _ name: String, _ kind: PLDOperatorCommand.Kind, options: ControlEndpointOptions, reason: String = "",
    timeoutMilliseconds: Int = 3_000, describe: (PLDOperatorReply) -> String = { $0.message }
) throws {
    do {
        let client = try options.client()
        let reply = try client.send(kind, reason: reason, timeoutMilliseconds: timeoutMilliseconds)
        guard reply.accepted else {
            printError("pld \(name): \(client.target.label): \(reply.message)")
            throw ExitCode.failure
        }
        printOut("\(client.target.label): \(describe(reply))")
    } catch let error as OperatorClientError {
        printError("pld \(name): \(error)")
        throw ExitCode.failure
    }
}

public struct Estop: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "estop",
        abstract: "Latch a controlled stop in the running `pld run`: every arm holds until `pld reset`.",
        discussion: """
            This is a software stop (category 2: the arms hold under power). The hardware \
            e-stop remains the emergency stop. The run sends the holds from its operator thread, \
            so the stop reaches the arms even when its control thread is stuck.
            """)
    @OptionGroup public var endpoint: ControlEndpointOptions
    @Option(help: ArgumentHelp("Why, recorded with the event.", valueName: "TEXT")) var reason = ""
    @Flag(help: "Print the reply as JSON, with the run's CLOCK_MONOTONIC receipt and hold times (ns).") var json = false
    public func run() throws {
        try sendOperatorCommand("estop", .estop, options: endpoint, reason: reason) { reply in
            if json {
                return "{\"accepted\":\(reply.accepted),\"received_monotonic_ns\":\(reply.receivedMonotonicNs),\"holds_sent_monotonic_ns\":\(reply.holdsSentMonotonicNs)}"
            }
            let latency = reply.holdsSentMonotonicNs > 0
                ? String(format: " (holds sent %.2f ms after receipt)", Double(reply.holdsSentMonotonicNs - reply.receivedMonotonicNs) / 1e6) : ""
            return reply.message + latency
        }
    }
}

public struct Reset: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Run the configured reset (gated), clear the e-stop latch and continue.",
        discussion: "Refused while a `reset.gates` entry of the config does not hold (for example the gripper holds something).")
    @OptionGroup public var endpoint: ControlEndpointOptions
    public func run() throws { try sendOperatorCommand("reset", .reset, options: endpoint, timeoutMilliseconds: 5_000) }
}

public struct Pause: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(commandName: "pause", abstract: "Hold the arms and pause the run.")
    @OptionGroup public var endpoint: ControlEndpointOptions
    public func run() throws { try sendOperatorCommand("pause", .pause, options: endpoint) }
}

public struct Resume: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(commandName: "resume", abstract: "Continue a paused run.")
    @OptionGroup public var endpoint: ControlEndpointOptions
    public func run() throws { try sendOperatorCommand("resume", .resume, options: endpoint) }
}

public struct Stop: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(commandName: "stop", abstract: "End the run after the current episode.")
    @OptionGroup public var endpoint: ControlEndpointOptions
    public func run() throws { try sendOperatorCommand("stop", .stop, options: endpoint) }
}

public struct Mark: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "mark",
        abstract: "End the running episode with your verdict (counted as an intervention).")
    @OptionGroup public var endpoint: ControlEndpointOptions
    @Argument(help: "success or failure") var verdict: String
    public func validate() throws {
        guard ["success", "failure"].contains(verdict) else { throw ValidationError("verdict must be success or failure, got '\(verdict)'") }
    }
    public func run() throws { try sendOperatorCommand("mark", verdict == "success" ? .markSuccess : .markFailure, options: endpoint) }
}

public struct Status: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the run's state, episode, stage, success rate, tick timing and link health.")
    @OptionGroup public var endpoint: ControlEndpointOptions
    @Flag(help: "Print JSON (one object per line with --watch).") var json = false
    @Flag(help: "Keep printing as the run's status stream updates (Ctrl-C ends).") var watch = false
    public func run() throws {
        do {
            let client = try endpoint.client()
            if watch {
                try client.watch { status in
                    if json {
                        printOut(statusJSON(status))
                    } else {
                        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(status.timeUnixNs) / 1e9))
                        printOut("\(time) " + statusLines(status).prefix(2).joined(separator: "; "))
                    }
                    return status.state != .finished
                }
            } else {
                let reply = try client.send(.status)
                if json { printOut(statusJSON(reply.status)) } else { statusLines(reply.status).forEach(printOut) }
            }
        } catch let error as OperatorClientError {
            printError("pld status: \(error)")
            throw ExitCode.failure
        }
    }
}
