/// One fault to inject into `pld sim` (`--fault SPEC`, repeatable).
///
/// Times are sim seconds (``SimClock``) since the simulation started; `@AT` defaults to 0
/// (from the start). Specs:
///
/// | spec | effect |
/// |---|---|
/// | `drop-state:DURATION[@AT]` | every simulated device stops publishing state for DURATION from AT |
/// | `delay-commands:DURATION[@AT]` | devices apply every command DURATION after it arrived (from AT on) |
/// | `kill-driver[:ARM][@AT]` | the device process exits at AT and restarts (deoxys: `auto_arm.sh`; PLD arm driver: stops answering, motors damp after their timeout, then restarts); no ARM = every arm |
/// | `motor-error:ARM[@AT]` | PLD arm driver: a motor reports "loss communication" → ERROR + damping; deoxys NUC: a libfranka joint reflex → motion aborted, robot mode Reflex |
/// | `camera-freeze:CAMERA:DURATION[@AT]` | a camera publishes nothing for DURATION, as a hung camera node would (CameraPublisher) |
/// | `policy-stall:DURATION[@AT]` | the base policy server sleeps DURATION before answering the first request after AT (a GPU stall) |
/// | `policy-error[@AT]` | the base policy server answers the first request after AT with a traceback frame and closes, as `serve_policy.py` does when the policy raises |
/// | `policy-drop[@AT]` | the base policy server drops the connection of the first request after AT without a close frame (a crash) |
/// | `policy-nan[@AT]` | the base policy server answers the first request after AT with a chunk of NaN actions (a broken checkpoint) |
/// | `policy-huge[@AT]` | the base policy server answers the first request after AT with every action value 1000 (a normalisation bug: a kilometre-scale step) |
///
/// Durations and times are a number and a unit: `250us`, `500ms`, `2s`, `1.5min`.
public enum SimFault: Sendable, Equatable, CustomStringConvertible {
    case dropState(durationSeconds: Double, atSeconds: Double)
    case delayCommands(durationSeconds: Double, atSeconds: Double)
    case killDriver(arm: String?, atSeconds: Double)
    case motorError(arm: String, atSeconds: Double)
    case cameraFreeze(camera: String, durationSeconds: Double, atSeconds: Double)
    case policyStall(durationSeconds: Double, atSeconds: Double)
    case policyError(atSeconds: Double)
    case policyDrop(atSeconds: Double)
    case policyNaN(atSeconds: Double)
    case policyHuge(atSeconds: Double)

    /// The kinds, in the order `--help` lists them.
    public static let kinds = [
        "drop-state", "delay-commands", "kill-driver", "motor-error", "camera-freeze", "policy-stall", "policy-error", "policy-drop", "policy-nan", "policy-huge",
    ]

    /// The grammar, for help texts and error messages.
    public static let grammar =
        "drop-state:DURATION[@AT], delay-commands:DURATION[@AT], kill-driver[:ARM][@AT], motor-error:ARM[@AT], camera-freeze:CAMERA:DURATION[@AT], policy-stall:DURATION[@AT], policy-error[@AT], policy-drop[@AT], policy-nan[@AT], policy-huge[@AT]"

    /// Parses one `--fault` value.
    /// - Throws: ``FaultSpecError`` naming the spec and what is wrong with it.
    public init(spec: String) throws(FaultSpecError) {
        func fail(_ reason: String) -> FaultSpecError { FaultSpecError(spec: spec, reason: reason) }

        let atParts = spec.split(separator: "@", omittingEmptySubsequences: false)
        guard atParts.count <= 2 else { throw fail("more than one @; write at most one start time, e.g. @10s") }
        var at = 0.0
        if atParts.count == 2 {
            guard !atParts[1].isEmpty else { throw fail("the time after @ is empty; e.g. @10s") }
            at = try Self.duration(String(atParts[1]), what: "time after @", allowZero: true, spec: spec)
        }
        let fields = atParts[0].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let kind = fields[0]
        guard !kind.isEmpty else { throw fail("empty fault; expected one of \(Self.grammar)") }
        let arguments = Array(fields.dropFirst())

        func expect(_ counts: ClosedRange<Int>, _ usage: String) throws(FaultSpecError) {
            if arguments.count < counts.lowerBound { throw fail("\(kind) needs more fields; expected \(usage)") }
            if arguments.count > counts.upperBound { throw fail("too many fields; expected \(usage)") }
        }

        switch kind {
        case "drop-state":
            try expect(1...1, "drop-state:DURATION[@AT]")
            self = .dropState(durationSeconds: try Self.duration(arguments[0], what: "duration", spec: spec), atSeconds: at)
        case "delay-commands":
            try expect(1...1, "delay-commands:DURATION[@AT]")
            self = .delayCommands(durationSeconds: try Self.duration(arguments[0], what: "duration", spec: spec), atSeconds: at)
        case "kill-driver":
            try expect(0...1, "kill-driver[:ARM][@AT]")
            var arm: String?
            if let name = arguments.first { arm = try Self.name(name, what: "arm", spec: spec) }
            self = .killDriver(arm: arm, atSeconds: at)
        case "motor-error":
            try expect(1...1, "motor-error:ARM[@AT]")
            self = .motorError(arm: try Self.name(arguments[0], what: "arm", spec: spec), atSeconds: at)
        case "camera-freeze":
            try expect(2...2, "camera-freeze:CAMERA:DURATION[@AT]")
            self = .cameraFreeze(
                camera: try Self.name(arguments[0], what: "camera", spec: spec),
                durationSeconds: try Self.duration(arguments[1], what: "duration", spec: spec), atSeconds: at)
        case "policy-stall":
            try expect(1...1, "policy-stall:DURATION[@AT]")
            self = .policyStall(durationSeconds: try Self.duration(arguments[0], what: "duration", spec: spec), atSeconds: at)
        case "policy-error":
            try expect(0...0, "policy-error[@AT]")
            self = .policyError(atSeconds: at)
        case "policy-drop":
            try expect(0...0, "policy-drop[@AT]")
            self = .policyDrop(atSeconds: at)
        case "policy-nan":
            try expect(0...0, "policy-nan[@AT]")
            self = .policyNaN(atSeconds: at)
        case "policy-huge":
            try expect(0...0, "policy-huge[@AT]")
            self = .policyHuge(atSeconds: at)
        default:
            throw fail("unknown fault \"\(kind)\"; expected one of \(Self.kinds.joined(separator: ", "))")
        }
    }

    /// Parses every `--fault` value, failing on the first bad one.
    public static func parse(_ specs: [String]) throws(FaultSpecError) -> [SimFault] {
        var faults: [SimFault] = []
        for spec in specs { faults.append(try SimFault(spec: spec)) }
        return faults
    }

    /// The sim time the fault starts, s.
    public var atSeconds: Double {
        switch self {
        case .dropState(_, let at), .delayCommands(_, let at), .killDriver(_, let at), .motorError(_, let at),
            .cameraFreeze(_, _, let at), .policyStall(_, let at), .policyError(let at), .policyDrop(let at),
            .policyNaN(let at), .policyHuge(let at):
            at
        }
    }

    /// Whether the fault targets the base policy server.
    public var isPolicyFault: Bool {
        switch self {
        case .policyStall, .policyError, .policyDrop, .policyNaN, .policyHuge: true
        default: false
        }
    }

    /// A canonical spec that parses back to this fault.
    public var description: String {
        switch self {
        case .dropState(let duration, let at): "drop-state:\(Self.text(duration))\(Self.atText(at))"
        case .delayCommands(let duration, let at): "delay-commands:\(Self.text(duration))\(Self.atText(at))"
        case .killDriver(let arm, let at): "kill-driver\(arm.map { ":\($0)" } ?? "")\(Self.atText(at))"
        case .motorError(let arm, let at): "motor-error:\(arm)\(Self.atText(at))"
        case .cameraFreeze(let camera, let duration, let at):
            "camera-freeze:\(camera):\(Self.text(duration))\(Self.atText(at))"
        case .policyStall(let duration, let at): "policy-stall:\(Self.text(duration))\(Self.atText(at))"
        case .policyError(let at): "policy-error\(Self.atText(at))"
        case .policyDrop(let at): "policy-drop\(Self.atText(at))"
        case .policyNaN(let at): "policy-nan\(Self.atText(at))"
        case .policyHuge(let at): "policy-huge\(Self.atText(at))"
        }
    }

    // MARK: Parsing pieces

    /// Seconds of a `<number><unit>` text (`us`, `ms`, `s`, `min`).
    static func duration(_ text: String, what: String, allowZero: Bool = false, spec: String) throws(FaultSpecError) -> Double {
        let units: [(suffix: String, seconds: Double)] = [("us", 1e-6), ("ms", 1e-3), ("min", 60), ("s", 1)]
        let usage = "\(what) \"\(text)\" is not a number with a unit (us, ms, s, min), e.g. 500ms or 2s"
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }) else {
            throw FaultSpecError(spec: spec, reason: usage)
        }
        let number = text.dropLast(unit.suffix.count)
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(number), value.isFinite
        else { throw FaultSpecError(spec: spec, reason: usage) }
        let seconds = value * unit.seconds
        if !allowZero && seconds <= 0 {
            throw FaultSpecError(spec: spec, reason: "\(what) \"\(text)\" must be greater than zero")
        }
        return seconds
    }

    /// An arm or camera name: lowercase letters, digits, `_` and `-` (config names).
    static func name(_ text: String, what: String, spec: String) throws(FaultSpecError) -> String {
        guard !text.isEmpty else { throw FaultSpecError(spec: spec, reason: "\(what) name is empty") }
        guard text.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw FaultSpecError(
                spec: spec, reason: "\(what) name \"\(text)\" may only hold lowercase letters, digits, _ and -")
        }
        return text
    }

    static func text(_ seconds: Double) -> String {
        let milliseconds = seconds * 1000
        if milliseconds == milliseconds.rounded() && milliseconds.truncatingRemainder(dividingBy: 1000) != 0 {
            return "\(Int(milliseconds))ms"
        }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return "\(seconds)s"
    }

    static func atText(_ seconds: Double) -> String { seconds == 0 ? "" : "@\(text(seconds))" }
}

/// A `--fault` value that could not be parsed.
public struct FaultSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The spec as given.
    public var spec: String
    /// One line: what is wrong.
    public var reason: String

    public init(spec: String, reason: String) {
        self.spec = spec
        self.reason = reason
    }

    public var description: String { "--fault \"\(spec)\": \(reason)" }
}
