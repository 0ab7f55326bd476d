import Foundation
import PLDCore
import SwiftProtobuf
import Wire
import ZeroMQ

/// One line saying why a terminal command could not reach or use a run.
public struct OperatorClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A run to talk to: its control endpoint, and CURVE keys when it is remote.
public struct OperatorTarget {
    public var control: String
    /// Status stream, when known before asking (default local runs).
    public var status: String?
    var serverKey: CurveKey?
    var clientKeys: CurveKeyPair?
    /// The config name (local discovery) or the endpoint.
    public var label: String

    /// `--control` / `--run` / the single local run, and CURVE key files for TCP.
    public static func resolve(control: String?, run: String?, serverKeyFile: String?, keyFile: String?) throws(OperatorClientError) -> OperatorTarget {
        if let control {
            var target = OperatorTarget(control: control, label: control)
            if control.hasPrefix("tcp://") {
                guard let serverKeyFile, let keyFile else {
                    throw OperatorClientError("\(control) is TCP: give --server-key FILE (the run's public key) and --key FILE (your key_secret file from `pld keys generate`)")
                }
                target.serverKey = try readCertificate(serverKeyFile, what: "--server-key").publicKey
                let own = try readCertificate(keyFile, what: "--key")
                guard let secret = own.secretKey else {
                    throw OperatorClientError("--key \(keyFile) has no secret-key line; pass the NAME.key_secret file")
                }
                target.clientKeys = CurveKeyPair(publicKey: own.publicKey, secretKey: secret)
            } else if !control.hasPrefix("ipc://") {
                throw OperatorClientError("--control \(control): expected ipc://PATH or tcp://HOST:PORT")
            }
            return target
        }
        let runs = OperatorRuntimeDirectory.runsDirectory()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).sorted().filter {
            FileManager.default.fileExists(atPath: "\(runs)/\($0)/control.sock")
        }
        let chosen: String
        if let run {
            guard names.contains(run) else {
                throw OperatorClientError("no local run of config \(run) (no \(runs)/\(run)/control.sock)" + (names.isEmpty ? "" : "; local runs: \(names.joined(separator: ", "))"))
            }
            chosen = run
        } else {
            guard !names.isEmpty else {
                throw OperatorClientError("no local run found (no control socket under \(runs)); is `pld run` running as this user? For a remote run give --control tcp://HOST:PORT")
            }
            guard names.count == 1 else {
                throw OperatorClientError("several local runs (\(names.joined(separator: ", "))); choose one with --run NAME")
            }
            chosen = names[0]
        }
        return OperatorTarget(control: "ipc://\(runs)/\(chosen)/control.sock", status: "ipc://\(runs)/\(chosen)/status.sock", label: chosen)
    }

    private static func readCertificate(_ path: String, what: String) throws(OperatorClientError) -> CurveCertificate {
        guard let text = try? String(contentsOfFile: (path as NSString).expandingTildeInPath, encoding: .utf8) else {
            throw OperatorClientError("\(what) \(path): cannot read the file")
        }
        do {
            return try CurveCertificate(parsing: text, source: path)
        } catch {
            throw OperatorClientError("\(what): \(error)")
        }
    }

    /// Makes `socket` a CURVE client when the target is remote.
    func secure(_ socket: Socket) throws(ZMQError) {
        if let serverKey, let clientKeys { try socket.makeCurveClient(serverKey: serverKey, keyPair: clientKeys) }
    }
}

/// Sends operator commands over REQ and waits a bounded time for the reply.
public final class OperatorClient {
    public let target: OperatorTarget
    private let context: Context
    private var requestID: UInt64 = 0

    public init(target: OperatorTarget) throws(OperatorClientError) {
        self.target = target
        do {
            context = try Context(ioThreads: 1)
        } catch {
            throw OperatorClientError("zeromq: \(error)")
        }
    }

    /// `user@host (pld estop)`, recorded with the event. The host is gethostname(2) only:
    /// `ProcessInfo.hostName` asks the resolver for a canonical name, and a lab machine with
    /// a slow or absent DNS server would then hold an e-stop for seconds.
    static var issuer: String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())"
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count - 1) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown host"
        return "\(user)@\(host) (pld \(CommandLine.arguments.dropFirst().first ?? ""))"
    }

    /// One command, one reply. A fresh REQ socket per command, so a lost reply never wedges
    /// the next one.
    public func send(_ kind: PLDOperatorCommand.Kind, reason: String = "", timeoutMilliseconds: Int = 3_000) throws(OperatorClientError) -> PLDOperatorReply {
        requestID += 1
        var command = PLDOperatorCommand()
        command.protocolVersion = OperatorProtocol.version
        command.requestID = requestID
        command.kind = kind
        command.issuer = Self.issuer
        command.reason = reason
        do {
            let socket = try Socket(context: context, type: .req)
            defer { socket.close() }
            try socket.set(.lingerMilliseconds, 0)
            try target.secure(socket)
            try socket.connect(target.control)
            let bytes: [UInt8] = try command.serializedBytes()
            guard try socket.send(bytes) else { throw OperatorClientError("could not send to \(target.control)") }
            guard let answer = try socket.receive(timeoutMilliseconds: timeoutMilliseconds) else {
                throw OperatorClientError(
                    "no answer from \(target.label) in \(timeoutMilliseconds / 1000) s" + (target.serverKey != nil
                        ? " (is the run up, and is your public key in its authorized_clients_dir?)" : " (has the run exited?)"))
            }
            let reply = try PLDOperatorReply(serializedBytes: answer)
            guard reply.requestID == requestID || !reply.accepted else {
                throw OperatorClientError("reply for request \(reply.requestID), expected \(requestID)")
            }
            return reply
        } catch let error as OperatorClientError {
            throw error
        } catch let error as ZMQError {
            throw OperatorClientError("\(target.label): \(error)")
        } catch {
            throw OperatorClientError("\(target.label): the reply is not an OperatorReply (\(error))")
        }
    }

    /// Subscribes to the run's status stream and calls `body` with each message until it
    /// returns false. Sends a `status` command every second as a heartbeat (the run's dead-man
    /// counts terminals that are watching). Throws when nothing arrives for `silenceSeconds`.
    public func watch(silenceSeconds: Double = 5, _ body: (PLDRunStatus) -> Bool) throws(OperatorClientError) {
        let first = try send(.status)
        let endpoint = target.status ?? first.status.statusEndpoint
        guard body(first.status) else { return }
        do {
            let subscriber = try Socket(context: context, type: .sub)
            defer { subscriber.close() }
            try subscriber.set(.lingerMilliseconds, 0)
            try target.secure(subscriber)
            try subscriber.subscribe()
            try subscriber.connect(endpoint)
            var lastMessage = Date()
            var lastHeartbeat = Date()
            while true {
                if let bytes = try subscriber.receive(timeoutMilliseconds: 250) {
                    lastMessage = Date()
                    guard let status = try? PLDRunStatus(serializedBytes: bytes) else { continue }
                    guard body(status) else { return }
                } else if Date().timeIntervalSince(lastMessage) > silenceSeconds {
                    throw OperatorClientError("no status from \(target.label) for \(Int(silenceSeconds)) s (has the run exited?)")
                }
                if Date().timeIntervalSince(lastHeartbeat) >= 1 {
                    lastHeartbeat = Date()
                    _ = try? send(.status, timeoutMilliseconds: 1_000)
                }
            }
        } catch let error as OperatorClientError {
            throw error
        } catch {
            throw OperatorClientError("\(target.label): \(error)")
        }
    }
}

// MARK: Rendering

extension PLDRunState {
    public var label: String {
        switch self {
        case .starting: "starting"
        case .running: "running"
        case .paused: "paused"
        case .estopped: "ESTOPPED"
        case .resetting: "resetting"
        case .stopping: "stopping"
        case .faulted: "faulted (holding)"
        case .finished: "finished"
        default: "unknown"
        }
    }
}

/// `pld status` as lines a human reads.
public func statusLines(_ s: PLDRunStatus) -> [String] {
    let handoff = s.handoffStep < 0 ? "no handoff" : "handoff at step \(s.handoffStep)"
    var lines = [
        "\(s.configName): \(s.state.label)" + (s.pauseReason.isEmpty ? "" : " — \(s.pauseReason)"),
        "episode \(s.episode): \(s.stageName), step \(s.episodeStep)/\(s.episodeMaxSteps), \(handoff)",
        String(format: "success: %.0f %% over the last %d; %llu of %llu episodes, %llu aborted",
               100 * s.successRateLast50, min(50, Int(s.episodesDone)), s.successes, s.episodesDone, s.episodesAborted),
        String(format: "tick: period %.1f ms, compute p50 %.0f µs p99 %.0f µs, jitter p99 %.0f µs, %llu deadline misses",
               s.tick.periodS * 1e3, s.tick.computeP50Us, s.tick.computeP99Us, s.tick.jitterP99Us, s.tick.deadlineMisses),
        "links: " + s.links.map { link in
            let age = link.ageS < 0 ? "" : String(format: " %.0f ms", link.ageS * 1e3)
            return "\(link.name) \(link.healthy ? "ok" : "DOWN")\(age)" + (link.detail.isEmpty || link.healthy ? "" : " (\(link.detail))")
        }.joined(separator: ", "),
        "counts: \(s.interventions) interventions, \(s.manualResets) manual resets, \(s.estops) e-stops, "
            + "faults \(s.faults) (driver \(s.faultsDriver), policy \(s.faultsPolicy), camera \(s.faultsCamera)), "
            + "\(s.safetyEvents) safety events, \(s.policyStalls) policy stall ticks, \(s.recorderDroppedSteps) steps not recorded",
    ]
    if !s.runDirectory.isEmpty { lines.append("recording: \(s.runDirectory)") }
    if !s.lastEvent.isEmpty { lines.append("last event: \(s.lastEvent)") }
    return lines
}

/// `pld status --json`: every field, snake_case, zeros included (proto JSON would drop them).
public func statusJSON(_ s: PLDRunStatus) -> String {
    let object: [String: Any] = [
        "protocol_version": s.protocolVersion, "time_unix_ns": s.timeUnixNs, "state": s.state.label.lowercased(),
        "config_name": s.configName, "episode": s.episode, "episode_step": s.episodeStep,
        "episode_max_steps": s.episodeMaxSteps, "handoff_step": s.handoffStep, "stage": s.stageName,
        "success_rate_last_50": s.successRateLast50, "episodes_done": s.episodesDone, "successes": s.successes,
        "episodes_aborted": s.episodesAborted,
        "tick": [
            "period_s": s.tick.periodS, "compute_p50_us": s.tick.computeP50Us, "compute_p99_us": s.tick.computeP99Us,
            "jitter_p99_us": s.tick.jitterP99Us, "deadline_misses": s.tick.deadlineMisses,
        ] as [String: Any],
        "links": s.links.map { ["name": $0.name, "healthy": $0.healthy, "age_s": $0.ageS, "detail": $0.detail] as [String: Any] },
        "interventions": s.interventions, "manual_resets": s.manualResets, "estops": s.estops,
        "faults": ["total": s.faults, "driver": s.faultsDriver, "policy": s.faultsPolicy, "camera": s.faultsCamera],
        "safety_events": s.safetyEvents, "policy_stalls": s.policyStalls, "recorder_dropped_steps": s.recorderDroppedSteps,
        "pause_reason": s.pauseReason, "last_event": s.lastEvent, "run_directory": s.runDirectory,
        "status_endpoint": s.statusEndpoint,
    ]
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}
