import Simulation
import Testing

@Suite("Fault specs (--fault)")
struct FaultSpecTests {
    @Test(arguments: [
        ("drop-state:500ms", SimFault.dropState(durationSeconds: 0.5, atSeconds: 0)),
        ("drop-state:2s@10s", .dropState(durationSeconds: 2, atSeconds: 10)),
        ("delay-commands:150ms", .delayCommands(durationSeconds: 0.15, atSeconds: 0)),
        ("delay-commands:1.5s@1min", .delayCommands(durationSeconds: 1.5, atSeconds: 60)),
        ("kill-driver", .killDriver(arm: nil, atSeconds: 0)),
        ("kill-driver@30s", .killDriver(arm: nil, atSeconds: 30)),
        ("kill-driver:left@2.5s", .killDriver(arm: "left", atSeconds: 2.5)),
        ("motor-error:right", .motorError(arm: "right", atSeconds: 0)),
        ("motor-error:right@750ms", .motorError(arm: "right", atSeconds: 0.75)),
        ("camera-freeze:wrist:3s@20s", .cameraFreeze(camera: "wrist", durationSeconds: 3, atSeconds: 20)),
        ("drop-state:250us", .dropState(durationSeconds: 0.00025, atSeconds: 0)),
        ("kill-driver:franka@0s", .killDriver(arm: "franka", atSeconds: 0)),
        ("policy-stall:2s@10s", .policyStall(durationSeconds: 2, atSeconds: 10)),
        ("policy-error", .policyError(atSeconds: 0)),
        ("policy-drop@4s", .policyDrop(atSeconds: 4)),
        ("policy-nan@3s", .policyNaN(atSeconds: 3)),
        ("policy-huge", .policyHuge(atSeconds: 0)),
    ])
    func validSpecsParse(spec: String, expected: SimFault) throws {
        let fault = try SimFault(spec: spec)
        #expect(fault == expected)
        #expect(try SimFault(spec: fault.description) == fault, "canonical form \(fault.description) parses back")
    }

    @Test(arguments: [
        ("", "--fault \"\": empty fault; expected one of drop-state:DURATION[@AT], delay-commands:DURATION[@AT], kill-driver[:ARM][@AT], motor-error:ARM[@AT], camera-freeze:CAMERA:DURATION[@AT], policy-stall:DURATION[@AT], policy-error[@AT], policy-drop[@AT], policy-nan[@AT], policy-huge[@AT]"),
        ("explode:1s", "--fault \"explode:1s\": unknown fault \"explode\"; expected one of drop-state, delay-commands, kill-driver, motor-error, camera-freeze, policy-stall, policy-error, policy-drop, policy-nan, policy-huge"),
        ("drop-state", "--fault \"drop-state\": drop-state needs more fields; expected drop-state:DURATION[@AT]"),
        ("drop-state:abc", "--fault \"drop-state:abc\": duration \"abc\" is not a number with a unit (us, ms, s, min), e.g. 500ms or 2s"),
        ("drop-state:500", "--fault \"drop-state:500\": duration \"500\" is not a number with a unit (us, ms, s, min), e.g. 500ms or 2s"),
        ("drop-state:0s", "--fault \"drop-state:0s\": duration \"0s\" must be greater than zero"),
        ("drop-state:-1s", "--fault \"drop-state:-1s\": duration \"-1s\" is not a number with a unit (us, ms, s, min), e.g. 500ms or 2s"),
        ("drop-state:1s:2s", "--fault \"drop-state:1s:2s\": too many fields; expected drop-state:DURATION[@AT]"),
        ("drop-state:1s@", "--fault \"drop-state:1s@\": the time after @ is empty; e.g. @10s"),
        ("drop-state:1s@soon", "--fault \"drop-state:1s@soon\": time after @ \"soon\" is not a number with a unit (us, ms, s, min), e.g. 500ms or 2s"),
        ("kill-driver@1s@2s", "--fault \"kill-driver@1s@2s\": more than one @; write at most one start time, e.g. @10s"),
        ("kill-driver:Left", "--fault \"kill-driver:Left\": arm name \"Left\" may only hold lowercase letters, digits, _ and -"),
        ("kill-driver:", "--fault \"kill-driver:\": arm name is empty"),
        ("motor-error", "--fault \"motor-error\": motor-error needs more fields; expected motor-error:ARM[@AT]"),
        ("camera-freeze:wrist", "--fault \"camera-freeze:wrist\": camera-freeze needs more fields; expected camera-freeze:CAMERA:DURATION[@AT]"),
        ("policy-stall", "--fault \"policy-stall\": policy-stall needs more fields; expected policy-stall:DURATION[@AT]"),
        ("policy-error:now", "--fault \"policy-error:now\": too many fields; expected policy-error[@AT]"),
        ("policy-drop:1s@2s", "--fault \"policy-drop:1s@2s\": too many fields; expected policy-drop[@AT]"),
        ("camera-freeze:wrist:2parsecs", "--fault \"camera-freeze:wrist:2parsecs\": duration \"2parsecs\" is not a number with a unit (us, ms, s, min), e.g. 500ms or 2s"),
    ])
    func badSpecsNameTheSpecAndTheProblem(spec: String, message: String) {
        #expect {
            _ = try SimFault(spec: spec)
        } throws: { error in
            (error as? FaultSpecError)?.description == message
        }
    }

    @Test func parseStopsAtTheFirstBadSpec() {
        #expect(throws: FaultSpecError(spec: "nope", reason: "unknown fault \"nope\"; expected one of drop-state, delay-commands, kill-driver, motor-error, camera-freeze, policy-stall, policy-error, policy-drop, policy-nan, policy-huge")) {
            _ = try SimFault.parse(["drop-state:1s", "nope", "also-bad"])
        }
    }

    @Test func parseKeepsEveryFaultInOrder() throws {
        #expect(try SimFault.parse(["kill-driver", "drop-state:1s"]) == [.killDriver(arm: nil, atSeconds: 0), .dropState(durationSeconds: 1, atSeconds: 0)])
    }
}
