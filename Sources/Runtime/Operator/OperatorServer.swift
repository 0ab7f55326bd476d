import Foundation
import PLDCore
import Policies
import SwiftProtobuf
import Synchronization
import Wire
import ZeroMQ

/// What the operator thread reads and acts on: thread-safe objects of the run only.
struct OperatorView: @unchecked Sendable {
    // @unchecked: every member is itself thread-safe (atomics, locks, or immutable).
    var config: RobotConfig
    var egress: Egress
    var control: RunControl
    var status: RunStatusBoard
    var loop: ControlLoop
    var worker: PolicyWorker
    var sensors: SensorHub
    var events: RunEvents
    var runDirectory: String?
    /// `pld run --speed`: the dead-man timeout runs this much faster.
    var timeScale: Double
    var log: @Sendable (String) -> Void
}

/// The operator thread ("pld operator"): serves the control socket (REP: `pld estop`, `reset`,
/// `pause`, `resume`, `stop`, `status`, marks), publishes `RunStatus` on the status socket at
/// `operator.status_rate_hz`, answers CURVE authentication (ZAP) for TCP endpoints, and runs the
/// dead-man check.
///
/// Threading: `bind` on the main thread (before any link connects, so a second run of the same
/// config fails before it touches an arm); after `start` the sockets belong to the operator
/// thread alone. E-stop is executed *on this thread* through `Egress.estop`, which reaches the
/// arms' command sockets without the control thread, so a stuck control thread cannot delay it.
public final class OperatorServer: @unchecked Sendable {
    // @unchecked: sockets are touched by the main thread until `start`, then only by the
    // operator thread; `running` is atomic.
    public let endpoints: OperatorEndpoints
    private let context: Context
    private let control: Socket
    private let statusPublisher: Socket
    private var authenticator: Socket?
    private let authorizedKeys: Set<CurveKey>
    private let running = Atomic<Bool>(false)
    private var thread: Thread?
    private let finished = Atomic<Bool>(false)
    private var ipcFiles: [String] = []
    /// Commands served, refused, CURVE clients refused (tests and the report read these).
    public let commandsServed = Atomic<UInt64>(0)
    public let commandsRefused = Atomic<UInt64>(0)
    public let clientsRefused = Atomic<UInt64>(0)

    /// The protocol version this build speaks (`OperatorCommand.protocol_version`).
    public static let protocolVersion = OperatorProtocol.version

    /// Binds the control and status sockets of `config`'s run. Throws one line when another
    /// run already answers there, a directory is unsafe, or a CURVE key file is unusable.
    init(config: RobotConfig, configDirectory: ConfigSource?, context: Context, runtimeDirectory: String = OperatorRuntimeDirectory.path()) throws(RuntimeError) {
        self.context = context
        endpoints = OperatorEndpoints(config: config.operator, configName: config.name, runtimeDirectory: runtimeDirectory)
        var keys = Set<CurveKey>()
        do {
            control = try Socket(context: context, type: .rep)
            statusPublisher = try Socket(context: context, type: .pub)
            for socket in [control, statusPublisher] {
                try socket.set(.lingerMilliseconds, 0)
                // A command larger than this is garbage; never buffer megabytes from a peer.
                try socket.set(.maxMessageSizeBytes, Int64(64 * 1024))
            }
            try statusPublisher.set(.sendHighWaterMark, 16)
        } catch {
            throw RuntimeError("operator: \(error)")
        }
        if let curve = config.operator.curve {
            let resolve: (String) -> String = { path in
                let expanded = (path as NSString).expandingTildeInPath
                return configDirectory?.resolve(expanded) ?? expanded
            }
            let secret = try Self.readCertificate(resolve(curve.serverSecretKeyFile), needSecret: true, what: "operator.curve.server_secret_key_file")
            keys = try Self.readAuthorizedKeys(resolve(curve.authorizedClientsDir))
            do {
                // ZAP: libzmq asks the handler bound here about every CURVE handshake in this
                // context; without one it would admit any client that knows the server key.
                let zap = try Socket(context: context, type: .rep)
                try zap.set(.lingerMilliseconds, 0)
                try zap.bind("inproc://zeromq.zap.01")
                authenticator = zap
                for socket in [control, statusPublisher] {
                    try socket.makeCurveServer(secretKey: secret.secretKey!)
                }
            } catch {
                throw RuntimeError("operator: CURVE setup: \(error)")
            }
        }
        authorizedKeys = keys
        for (endpoint, socket, name) in [(endpoints.control, control, "control"), (endpoints.status, statusPublisher, "status")] {
            if endpoint.transport == .ipc {
                let directory = (endpoint.path as NSString).deletingLastPathComponent
                try OperatorRuntimeDirectory.makeOwnerOnly(directory)
                if name == "control", FileManager.default.fileExists(atPath: endpoint.path) {
                    if let other = Self.probe(endpoint, context: context) {
                        throw RuntimeError(
                            "operator: another run (\(other)) already answers on \(endpoint.configString); stop it first (`pld stop` or `pld estop`), or give this config another operator.control_endpoint")
                    }
                }
                // A socket file nobody answers on is left by a killed run: replace it.
                unlink(endpoint.path)
            }
            do {
                try socket.bind(endpoint.configString)
            } catch {
                throw RuntimeError("operator: cannot bind the \(name) socket \(endpoint.configString): \(error)")
            }
            if endpoint.transport == .ipc {
                chmod(endpoint.path, 0o600)
                ipcFiles.append(endpoint.path)
            }
        }
    }

    deinit {
        control.close()
        statusPublisher.close()
        authenticator?.close()
        for path in ipcFiles { unlink(path) }
    }

    /// Asks whoever listens at `endpoint` for its status; returns "config X, state Y" or nil
    /// when nobody answers within 300 ms.
    private static func probe(_ endpoint: Endpoint, context: Context) -> String? {
        guard let socket = try? Socket(context: context, type: .req) else { return nil }
        defer { socket.close() }
        try? socket.set(.lingerMilliseconds, 0)
        var command = PLDOperatorCommand()
        command.protocolVersion = protocolVersion
        command.kind = .status
        command.issuer = "pld run (probe)"
        guard (try? socket.connect(endpoint.configString)) != nil,
              let bytes: [UInt8] = try? command.serializedBytes(),
              (try? socket.send(bytes, flags: .dontWait)) == true,
              let answer = try? socket.receive(timeoutMilliseconds: 300)
        else { return nil }
        guard let reply = try? PLDOperatorReply(serializedBytes: answer) else { return "an unknown program" }
        return "config \(reply.status.configName), state \(reply.status.state)"
    }

    private static func readCertificate(_ path: String, needSecret: Bool, what: String) throws(RuntimeError) -> CurveCertificate {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RuntimeError("operator: cannot read \(what) \(path)")
        }
        let certificate: CurveCertificate
        do {
            certificate = try CurveCertificate(parsing: text, source: path)
        } catch {
            throw RuntimeError("operator: \(what): \(error)")
        }
        if needSecret {
            guard certificate.secretKey != nil else { throw RuntimeError("operator: \(what) \(path) has no secret-key line") }
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
                throw RuntimeError("operator: \(what) \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
            }
        }
        return certificate
    }

    private static func readAuthorizedKeys(_ directory: String) throws(RuntimeError) -> Set<CurveKey> {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw RuntimeError("operator: cannot list operator.curve.authorized_clients_dir \(directory)")
        }
        var keys = Set<CurveKey>()
        for name in names.sorted() where name.hasSuffix(".key") {
            keys.insert(try readCertificate(directory + "/" + name, needSecret: false, what: "authorized client key").publicKey)
        }
        if keys.isEmpty {
            throw RuntimeError("operator: operator.curve.authorized_clients_dir \(directory) holds no *.key files; nobody could connect")
        }
        return keys
    }

    // MARK: Thread

    /// Starts the operator thread.
    func start(_ view: OperatorView) {
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            self.serve(view)
            self.finished.store(true, ordering: .releasing)
        }
        thread.name = "pld operator"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Stops the thread (after it answers what it is handling) and waits for it.
    func stop() {
        guard thread != nil else { return }
        running.store(false, ordering: .releasing)
        while !finished.load(ordering: .acquiring) { usleep(1_000) }
        thread = nil
        // The run no longer answers: a terminal must not find its socket.
        for path in ipcFiles { unlink(path) }
        ipcFiles = []
    }

    private func serve(_ view: OperatorView) {
        let poller = Poller(capacity: 2)
        guard let controlIndex = try? poller.add(control) else { return }
        let zapIndex = authenticator.flatMap { try? poller.add($0) }
        let statusPeriod = UInt64(1e9 / view.config.operator.statusRateHz)
        var nextStatus = monotonicNanos()
        let deadmanNanos = view.config.operator.deadmanTimeoutS.map { UInt64($0 * view.timeScale * 1e9) }
        var lastHeard = monotonicNanos()
        var deadmanRaised = false
        while running.load(ordering: .acquiring) {
            let now = monotonicNanos()
            let wait = nextStatus > now ? Int((nextStatus - now) / 1_000_000) : 0
            _ = try? poller.poll(timeoutMilliseconds: min(max(wait, 1), 50))
            if let zapIndex, poller.isReadable(at: zapIndex) { answerAuthentication(view) }
            if poller.isReadable(at: controlIndex) {
                while let request = try? control.receive(flags: .dontWait) {
                    let received = monotonicNanos()
                    let (reply, valid) = handle(request, received: received, view: view)
                    if valid { lastHeard = received; deadmanRaised = false }
                    let bytes: [UInt8] = (try? reply.serializedBytes()) ?? []
                    _ = try? control.send(bytes)
                }
            }
            let after = monotonicNanos()
            if let deadmanNanos, !deadmanRaised, after &- lastHeard > deadmanNanos, !view.egress.isLatched {
                deadmanRaised = true
                view.egress.estop(reason: "dead-man: no operator command for \(view.config.operator.deadmanTimeoutS!) s", now: monotonicNanos)
                view.status.count(.estops)
                view.events.add("e-stop by the dead-man: no operator command for \(view.config.operator.deadmanTimeoutS!) s")
                view.log("e-stop: dead-man (no operator command for \(view.config.operator.deadmanTimeoutS!) s); `pld reset` continues")
            }
            if after >= nextStatus {
                nextStatus = after + statusPeriod
                if let bytes: [UInt8] = try? snapshot(view).serializedBytes() { _ = try? statusPublisher.send(bytes, flags: .dontWait) }
            }
        }
    }

    /// One ZAP request (RFC 27): admit a CURVE client whose public key is authorized.
    private func answerAuthentication(_ view: OperatorView) {
        guard let authenticator, let frames = try? authenticator.receiveMultipart(flags: .dontWait) else { return }
        // version, request id, domain, address, identity, mechanism, credentials…
        guard frames.count >= 6 else { return }
        let requestID = frames[1]
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        let address = String(decoding: frames[3], as: UTF8.self)
        var allowed = false
        var who = "unknown key"
        if mechanism == "CURVE", frames.count >= 7, let key = try? CurveKey(bytes: frames[6]) {
            allowed = authorizedKeys.contains(key)
            who = "key \(key.z85.prefix(8))…"
        }
        if !allowed {
            clientsRefused.add(1, ordering: .relaxed)
            view.events.add("refused a \(mechanism) client from \(address) (\(who))")
            view.log("operator: refused a \(mechanism) client from \(address) (\(who) is not in authorized_clients_dir)")
        }
        let reply: [[UInt8]] = [
            Array("1.0".utf8), requestID, Array((allowed ? "200" : "400").utf8),
            Array((allowed ? "OK" : "not authorized").utf8), Array((allowed ? who : "").utf8), [],
        ]
        _ = try? authenticator.send(multipart: reply)
    }

    // MARK: Commands

    /// Decodes and executes one command. `valid` is false for garbage (which does not count
    /// as a sign of life for the dead-man).
    private func handle(_ bytes: [UInt8], received: UInt64, view: OperatorView) -> (PLDOperatorReply, Bool) {
        var reply = PLDOperatorReply()
        reply.receivedMonotonicNs = Int64(received)
        let command: PLDOperatorCommand
        do {
            command = try PLDOperatorCommand(serializedBytes: bytes)
        } catch {
            return (refuse(&reply, "malformed command (\(bytes.count) bytes that are not an OperatorCommand)", view: view), false)
        }
        reply.requestID = command.requestID
        guard command.protocolVersion == Self.protocolVersion else {
            return (refuse(&reply, "protocol version \(command.protocolVersion) is not \(Self.protocolVersion); use a matching pld", view: view), false)
        }
        let who = command.issuer.isEmpty ? "an operator" : command.issuer
        let actions = OperatorActions(view: view)
        let outcome: OperatorActions.Outcome
        switch command.kind {
        case .estop:
            outcome = actions.estop(by: who, reason: command.reason)
            reply.holdsSentMonotonicNs = Int64(outcome.holdsSentNanos)
        case .reset: outcome = actions.reset(by: who, reason: command.reason)
        case .pause: outcome = actions.pause(by: who, reason: command.reason)
        case .resume: outcome = actions.resume(by: who, reason: command.reason)
        case .stop: outcome = actions.stop(by: who, reason: command.reason)
        case .status: outcome = .init(accepted: true, message: "")
        case .markSuccess: outcome = actions.mark(.success, by: who)
        case .markFailure: outcome = actions.mark(.failure, by: who)
        case .unspecified, .UNRECOGNIZED:
            return (refuse(&reply, "unknown command kind \(command.kind.rawValue)", view: view), false)
        }
        guard outcome.accepted else { return (refuse(&reply, outcome.message, view: view), true) }
        commandsServed.add(1, ordering: .relaxed)
        reply.accepted = true
        reply.message = outcome.message
        reply.status = snapshot(view)
        return (reply, true)
    }

    private func refuse(_ reply: inout PLDOperatorReply, _ message: String, view: OperatorView) -> PLDOperatorReply {
        commandsRefused.add(1, ordering: .relaxed)
        reply.accepted = false
        reply.message = message
        view.log("operator: refused: \(message)")
        reply.status = snapshot(view)
        return reply
    }

    // MARK: Status

    func snapshot(_ view: OperatorView) -> PLDRunStatus { makeRunStatus(view, statusEndpoint: endpoints.status.configString) }
}

/// The run's status as the operator protocol carries it (status replies, the status stream,
/// the live view). Any thread; allocates.
func makeRunStatus(_ view: OperatorView, statusEndpoint: String) -> PLDRunStatus {
        var s = PLDRunStatus()
        let board = view.status
        s.protocolVersion = OperatorServer.protocolVersion
        s.timeUnixNs = Int64(Date().timeIntervalSince1970 * 1e9)
        s.state = PLDRunState(rawValue: board.state.rawValue) ?? .unspecified
        s.configName = view.config.name
        s.episode = board.episode
        s.episodeStep = UInt64(max(0, board.step))
        s.episodeMaxSteps = UInt64(view.config.control.maxEpisodeSteps)
        s.handoffStep = Int32(board.handoffStep ?? -1)
        // The phase ("running", "resetting", …); while a multi-stage task runs, its stage name.
        let stages = view.config.stages
        s.stageName = board.phase == "running" && board.taskStage < stages.count ? stages[board.taskStage].name : board.phase
        s.successRateLast50 = board.rollingSuccessRate
        s.episodesDone = board.value(.episodes)
        s.successes = board.value(.successes)
        var tick = PLDTickTiming()
        tick.periodS = 1 / view.config.control.rateHz
        tick.computeP50Us = Double(view.loop.compute.percentile(0.5)) / 1e3
        tick.computeP99Us = Double(view.loop.compute.percentile(0.99)) / 1e3
        tick.jitterP99Us = Double(view.loop.jitter.percentile(0.99)) / 1e3
        tick.deadlineMisses = view.loop.misses
        s.tick = tick
        let now = monotonicNanos()
        for (i, arm) in view.config.arms.enumerated() {
            let (receivedAt, stale) = board.arm(i)
            var link = PLDLinkHealth()
            link.name = "\(arm.name).state"
            link.healthy = !stale
            link.ageS = receivedAt == 0 ? -1 : Double(now &- receivedAt) / 1e9
            link.detail = receivedAt == 0 ? "no state yet" : stale ? "stale" : ""
            s.links.append(link)
        }
        let policy = view.worker.status()
        var policyLink = PLDLinkHealth()
        policyLink.name = "policy"
        policyLink.healthy = policy.connected
        policyLink.ageS = -1
        policyLink.detail = policy.connected
            ? String(format: "%d chunks, round trip p50 %.0f ms", policy.replies, policy.latency.p50Milliseconds)
            : (policy.lastError ?? "not connected")
        s.links.append(policyLink)
        let health = view.sensors.cameraHealth
        for camera in view.config.cameras {
            var link = PLDLinkHealth()
            link.name = "camera.\(camera.name)"
            let frozen = health[camera.name]?.frozen ?? true
            link.healthy = !frozen
            if let image = view.sensors.latestImage(camera: camera.name) {
                link.ageS = Double(now &- image.receivedNanos) / 1e9
            } else {
                link.ageS = -1
                link.detail = "no frame yet"
            }
            if frozen && link.detail.isEmpty { link.detail = "frozen" }
            s.links.append(link)
        }
        s.interventions = board.value(.interventions)
        s.manualResets = board.value(.manualResets)
        s.estops = board.value(.estops)
        s.faultsDriver = board.value(.faultsDriver)
        s.faultsPolicy = board.value(.faultsPolicy)
        s.faultsCamera = board.value(.faultsCamera)
        s.faults = s.faultsDriver + s.faultsPolicy + s.faultsCamera
        s.safetyEvents = board.value(.safetyEvents)
        s.policyStalls = board.value(.policyStalls)
        s.recorderDroppedSteps = board.value(.recorderDroppedSteps)
        s.episodesAborted = board.value(.episodesAborted)
        s.lastEvent = view.events.last?.text ?? ""
        if board.state == .paused {
            s.pauseReason = board.pauseDescription
            if board.pauseCause == .resetGate {
                // Which gate, so the operator knows what to make safe before resuming.
                let index = board.stateDetail - 1
                s.pauseReason = "paused: reset gate \(index) (\(resetGateDescription(view.config, index))) does not hold; "
                    + "make the cell safe, then `pld resume` (the gates are checked again)"
            }
        }
        if board.state == .estopped { s.pauseReason = view.egress.reason }
        s.runDirectory = view.runDirectory ?? ""
        s.statusEndpoint = statusEndpoint
        return s
}
