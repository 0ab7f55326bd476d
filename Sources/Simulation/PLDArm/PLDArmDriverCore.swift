import Wire

/// The state machine of a PLD arm driver (the contract in `pld_arm.proto`), without sockets:
/// modes, the command and hold timeouts, MoveToJoints interpolation, and what the plant is
/// told. Shared by the driver loop thread and the control-request thread behind one lock; only
/// the driver loop calls the plant's command methods (in ``tick(at:measured:commands:plant:)``).
///
/// Modes:
/// - HOLDING at start (holding the measured position, watchdog disarmed until the first
///   command), after a `hold` command (at the measured position), after `command_timeout_s`
///   without commands (keeping the last target), after a finished MoveToJoints, and after
///   ClearErrors;
/// - TRACKING while valid commands arrive: PD toward `q_target_rad` (clipped to the
///   advertised limits widened by the i2rt margin) with the current gains;
/// - MOVING during MoveToJoints: linear interpolation in sim time; commands are ignored;
/// - DAMPING once `command_timeout_s` + the hold timeout pass without commands (the motors'
///   watchdog): plant damping, a fault message, only ClearErrors leaves it;
/// - ERROR on a motor fault: plant damping, a fault message, only ClearErrors leaves it.
struct PLDArmDriverCore {
    static let protocolVersion: UInt32 = 1
    /// Larger messages are refused before parsing.
    static let maxMessageBytes = 64 * 1024

    struct Move {
        var start: [Double]
        var target: [Double]
        var startedAt: Double
        var durationSeconds: Double
        var gripperStart: Double?
        var gripperTarget: Double?
    }

    let settings: PLDArmDriverSettings
    var counters = PLDArmDriverCounters()
    private(set) var mode: PLDDriverMode = .holding
    private(set) var faultMessage = ""
    private(set) var lastCommandSequence: UInt64 = 0
    var kp: [Double]
    var kd: [Double]
    /// The PD target the plant tracks in TRACKING and HOLDING.
    private(set) var target: [Double] = []
    private(set) var gripperTarget = 0.0
    var gripperSpeed: Double
    var gripperEffort: Double
    private(set) var move: Move?
    /// Sim time of the last applied command (or finished move, or start).
    private var lastActivityAt = 0.0
    /// The timeouts run only once a command has been applied (since start or ClearErrors).
    private var watchdogArmed = false
    // What the next tick must tell the plant.
    private var jointTargetDirty = false
    private var dampDirty = false
    private var gripperDirty = false

    init(settings: PLDArmDriverSettings) {
        self.settings = settings
        kp = settings.kp
        kd = settings.kd
        gripperSpeed = settings.gripper?.maxSpeedPerSecond ?? 1
        gripperEffort = settings.gripper?.maxEffort ?? 1
    }

    var jointCount: Int { settings.jointCount }

    // MARK: Lifecycle

    /// A fresh driver process: hold where the arm is.
    mutating func start(at t: Double, measured: YAMPlantState) {
        mode = .holding
        faultMessage = ""
        lastCommandSequence = 0
        move = nil
        watchdogArmed = false
        lastActivityAt = t
        hold(at: measured.q)
        gripperTarget = measured.gripperPosition
        dampDirty = false
    }

    /// A motor reports an error: ERROR, damping, the fault message.
    mutating func motorError(motor: Int, reason: String) {
        mode = .error
        faultMessage = "motor \(motor): \(reason)"
        move = nil
        dampDirty = true
        jointTargetDirty = false
        counters.motorErrors += 1
    }

    // MARK: The driver loop

    /// One driver-loop iteration at sim time `t`: apply `commands` (decoded ArmCommands in
    /// arrival order, each already due), run the timeouts and a running move, and send the
    /// plant whatever changed. Returns log lines for mode changes worth one line.
    mutating func tick(at t: Double, measured: YAMPlantState, commands: [[UInt8]], plant: any YAMPlant) -> [String] {
        var lines: [String] = []
        for bytes in commands { apply(bytes, at: t, measured: measured) }
        if let line = runTimeouts(at: t) { lines.append(line) }
        if mode == .moving, let move {
            let fraction = min(max((t - move.startedAt) / move.durationSeconds, 0), 1)
            let q = zip(move.start, move.target).map { $0 + fraction * ($1 - $0) }
            plant.setJointTarget(q, kp: kp, kd: kd)
            if let start = move.gripperStart, let end = move.gripperTarget {
                plant.setGripperTarget(start + fraction * (end - start), speedPerSecond: gripperSpeed, maxEffort: gripperEffort)
                gripperTarget = start + fraction * (end - start)
            }
            if fraction >= 1 {
                mode = .holding
                target = move.target
                self.move = nil
                lastActivityAt = t
                counters.movesFinished += 1
            }
        }
        if dampDirty {
            plant.damp()
            dampDirty = false
        }
        if jointTargetDirty {
            plant.setJointTarget(target, kp: kp, kd: kd)
            jointTargetDirty = false
        }
        if gripperDirty {
            plant.setGripperTarget(gripperTarget, speedPerSecond: gripperSpeed, maxEffort: gripperEffort)
            gripperDirty = false
        }
        return lines
    }

    /// Validates and applies one ArmCommand.
    private mutating func apply(_ bytes: [UInt8], at t: Double, measured: YAMPlantState) {
        let command: PLDArmCommand
        do {
            command = try PLDArmCommand(wireBytes: bytes, maxBytes: Self.maxMessageBytes)
        } catch {
            refuse(error.description.replacingNewlines())
            return
        }
        if let problem = problem(with: command) {
            refuse(problem)
            return
        }
        switch mode {
        case .damping, .error:
            ignore("driver in \(Self.name(mode)): commands are ignored until ClearErrors")
            return
        case .moving:
            ignore("driver executing MoveToJoints: commands are ignored until it ends")
            return
        default:
            break
        }
        lastCommandSequence = command.sequence
        lastActivityAt = t
        watchdogArmed = true
        counters.commandsApplied += 1
        if command.hold {
            if mode != .holding { hold(at: measured.q) }
            mode = .holding
            return
        }
        mode = .tracking
        target = clipped(command.qTargetRad)
        jointTargetDirty = true
        if settings.gripper != nil {
            let g = min(max(command.gripperTarget, 0), 1)
            if g != gripperTarget {
                gripperTarget = g
                gripperDirty = true
            }
        }
    }

    /// Why `command` must be refused, or nil.
    private func problem(with command: PLDArmCommand) -> String? {
        guard command.protocolVersion == Self.protocolVersion else {
            return "ArmCommand protocol_version \(command.protocolVersion); this driver speaks \(Self.protocolVersion)"
        }
        if !command.hold && command.qTargetRad.count != jointCount {
            return "ArmCommand has \(command.qTargetRad.count) q_target_rad values; this arm has \(jointCount) joints"
        }
        if !command.qTargetRad.allSatisfy(\.isFinite) { return "ArmCommand q_target_rad holds NaN or Inf" }
        if !command.gripperTarget.isFinite { return "ArmCommand gripper_target is NaN or Inf" }
        return nil
    }

    private mutating func refuse(_ problem: String) {
        counters.commandsRefused += 1
        counters.lastCommandProblem = problem
    }

    private mutating func ignore(_ problem: String) {
        counters.commandsIgnored += 1
        counters.lastCommandProblem = problem
    }

    /// TRACKING → HOLDING → DAMPING as silence grows.
    private mutating func runTimeouts(at t: Double) -> String? {
        guard watchdogArmed, mode == .tracking || mode == .holding else { return nil }
        let silence = t - lastActivityAt
        let commandTimeout = settings.link.commandTimeoutS
        if silence > commandTimeout + settings.holdTimeoutSeconds {
            mode = .damping
            faultMessage = "no command for \(format(commandTimeout + settings.holdTimeoutSeconds)) s: motors timed out into damping; send ClearErrors"
            move = nil
            dampDirty = true
            jointTargetDirty = false
            counters.dampingTimeouts += 1
            return "\(settings.armName) driver: \(faultMessage)"
        }
        if silence > commandTimeout && mode == .tracking {
            // Hold the last position: the PD target stays where the last command put it.
            mode = .holding
            counters.holdTimeouts += 1
        }
        return nil
    }

    // MARK: Helpers used by the request handlers

    mutating func hold(at q: [Double]) {
        target = q
        jointTargetDirty = true
    }

    mutating func startMove(_ move: Move) {
        self.move = move
        mode = .moving
        counters.movesStarted += 1
    }

    mutating func clearErrors(measured: YAMPlantState) -> Bool {
        guard mode == .damping || mode == .error else { return false }
        mode = .holding
        faultMessage = ""
        watchdogArmed = false
        hold(at: measured.q)
        counters.errorsCleared += 1
        return true
    }

    mutating func setGripper(_ position: Double, speed: Double, effort: Double) {
        gripperTarget = position
        gripperSpeed = speed
        gripperEffort = effort
        gripperDirty = true
    }

    mutating func gainsChanged() {
        if mode == .tracking || mode == .holding { jointTargetDirty = true }
    }

    /// `q` clipped to the advertised limits widened by the i2rt command margin.
    func clipped(_ q: [Double]) -> [Double] {
        q.enumerated().map { index, value in
            guard let limit = settings.jointLimits[safe: index] else { return value }
            let margin = settings.commandClipMarginRad
            return min(max(value, limit.lowerRad - margin), limit.upperRad + margin)
        }
    }

    // MARK: State

    /// The ArmState for `measured`, published as number `sequence`.
    func stateMessage(measured: YAMPlantState, sequence: UInt64, sampleUnixNanoseconds: Int64) -> PLDArmState {
        var state = PLDArmState()
        state.protocolVersion = Self.protocolVersion
        state.armName = settings.armName
        state.sequence = sequence
        state.sampleUnixNs = sampleUnixNanoseconds
        state.qRad = measured.q
        state.dqRadPerS = measured.dq
        state.tauNm = measured.tau
        if settings.gripper != nil {
            state.gripperPosition = measured.gripperPosition
            state.gripperVelocityPerS = measured.gripperVelocityPerSecond
            state.gripperEffort = measured.gripperEffort
        }
        state.mode = mode
        state.lastCommandSequence = lastCommandSequence
        state.faultMessage = faultMessage
        state.motorTemperatureC = measured.motorTemperaturesCelsius
        return state
    }

    static func name(_ mode: PLDDriverMode) -> String {
        switch mode {
        case .tracking: "TRACKING"
        case .holding: "HOLDING"
        case .damping: "DAMPING"
        case .error: "ERROR"
        case .moving: "MOVING"
        default: "UNSPECIFIED"
        }
    }
}
