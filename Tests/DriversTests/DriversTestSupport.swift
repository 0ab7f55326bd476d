import Drivers
import Foundation
import PLDCore
import SwiftProtobuf
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Free TCP ports on 127.0.0.1 (bound once with a wildcard and released), for configs that
/// name fixed ports. Distinct within one call.
func freeTCPPorts(_ count: Int) throws -> [Int] {
    let context = try Context()
    var sockets: [Socket] = []
    var ports: [Int] = []
    defer { for socket in sockets { socket.close() } }
    for _ in 0..<count {
        let socket = try Socket(context: context, type: .pub)
        try socket.bind("tcp://127.0.0.1:*")
        let endpoint = try socket.lastEndpoint
        ports.append(Int(endpoint.split(separator: ":").last!)!)
        sockets.append(socket)
    }
    return ports
}

/// Decodes one config section from YAML without the robot-wide validation (tests build arms,
/// cameras and features one at a time).
func decodeConfig<T: Decodable>(_ type: T.Type, _ yaml: String) throws -> T {
    try ConfigLoader.decode(T.self, bytes: Array(yaml.utf8), file: "test.yaml").value
}

let frankaLowerRad = [-2.8, -1.7, -2.8, -3.0, -2.8, 0.0, -2.8]
let frankaUpperRad = [2.8, 1.7, 2.8, -0.1, 2.8, 3.7, 2.8]

/// A Franka arm config on 127.0.0.1 with the given four ports (arm command, arm state, gripper
/// command, gripper state).
/// `frankaExtra` adds lines to the `franka:` section (indented two spaces).
func frankaArmConfig(ports: [Int], stateTimeoutS: Double = 0.1, frankaExtra: [String] = []) throws -> ArmConfig {
    try decodeConfig(ArmConfig.self, """
        name: franka
        kind: franka_deoxys
        state_timeout_s: \(stateTimeoutS)
        joint_limits:
          lower_rad: \(frankaLowerRad)
          upper_rad: \(frankaUpperRad)
          velocity_rad_per_s: [2, 2, 2, 2, 2.5, 2.5, 2.5]
          acceleration_rad_per_s2: [10, 7, 10, 12, 15, 20, 20]
        franka:
          nuc_host: 127.0.0.1
          pc_bind_address: 127.0.0.1
          ports: {arm_command: \(ports[0]), arm_state: \(ports[1]), gripper_command: \(ports[2]), gripper_state: \(ports[3])}
        \(frankaExtra.map { "  " + $0 }.joined(separator: "\n"))
        """)
}

/// A REQ client for a Python stand-in's JSON control socket.
final class StandInControl {
    let socket: Socket

    init(context: Context, endpoint: String) throws {
        socket = try Socket(context: context, type: .req)
        try socket.connect(endpoint)
    }

    /// Sends one JSON request and waits up to 5 s for the JSON reply.
    @discardableResult
    func call(_ request: [String: Any]) throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: request)
        try socket.send([UInt8](data))
        guard let reply = try socket.receive(timeoutMilliseconds: 5_000) else {
            throw ChildProcess.Failure(description: "stand-in did not answer \(request)")
        }
        guard let json = try JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any] else {
            throw ChildProcess.Failure(description: "stand-in answered non-JSON")
        }
        if json["ok"] as? Bool != true { throw ChildProcess.Failure(description: "stand-in refused \(request): \(json)") }
        return json
    }

    func close() { socket.close() }
}

/// A Python stand-in process, its endpoints (from its `READY {json}` line) and its control
/// socket.
final class StandIn {
    let process: ChildProcess
    let endpoints: [String: String]
    let control: StandInControl

    /// `controlKey`: which endpoint of the READY line is the JSON control socket.
    init(script: String, arguments: [String], context: Context, controlKey: String = "control") throws {
        let modules = try PythonPeer.generatedProtobufModules()
        process = try PythonPeer.launch(script, [modules] + arguments)
        let ready = try process.waitForLine(prefix: "READY ", timeoutMilliseconds: 15_000)
        let json = try JSONSerialization.jsonObject(with: Data(ready.dropFirst("READY ".count).utf8))
        endpoints = (json as? [String: String]) ?? [:]
        let controlEndpoint = try #require(endpoints[controlKey])
        control = try StandInControl(context: context, endpoint: controlEndpoint)
    }

    func stop() {
        control.close()
        process.stop()
    }

    /// The stand-in's log of decoded messages on `link` ("arm", "gripper" for the NUC;
    /// "commands", "requests" for the arm driver).
    func log(_ link: String, clear: Bool = false) throws -> [[String: Any]] {
        try control.call(["cmd": "log", "clear": clear])[link] as? [[String: Any]] ?? []
    }
}

/// Calls `body(now)` about every `intervalMicros` for `seconds` of wall time (a control loop
/// stand-in), with `now` from the monotonic clock.
func pump(seconds: Double, intervalMicros: UInt32 = 1_000, _ body: (UInt64) throws -> Void) rethrows {
    let start = DriverClock.monotonicNanos()
    let end = start + UInt64(seconds * 1e9)
    while true {
        let now = DriverClock.monotonicNanos()
        if now >= end { return }
        try body(now)
        usleep(intervalMicros)
    }
}

/// Pumps until `condition` holds or `seconds` pass; returns whether it held.
@discardableResult
func pump(until seconds: Double, intervalMicros: UInt32 = 1_000, _ body: (UInt64) throws -> Bool) rethrows -> Bool {
    let end = DriverClock.monotonicNanos() + UInt64(seconds * 1e9)
    while DriverClock.monotonicNanos() < end {
        if try body(DriverClock.monotonicNanos()) { return true }
        usleep(intervalMicros)
    }
    return false
}

/// Serialized bytes of a swift-protobuf message.
func bytes<M: SwiftProtobuf.Message>(_ message: M) throws -> [UInt8] { try message.serializedBytes() }

/// Doubles from a stand-in's `*_bits` field (IEEE-754 bit patterns in hex): exact, unlike JSON
/// text, which Foundation may parse with an error in the last bit.
func exactDoubles(_ value: Any?) -> [Double]? {
    guard let strings = value as? [String] else { return nil }
    let doubles = strings.compactMap { UInt64($0, radix: 16).map(Double.init(bitPattern:)) }
    return doubles.count == strings.count ? doubles : nil
}
