import PLDCore
import SwiftProtobuf
import TestSupport
import Testing
import Wire
@testable import Simulation

/// Every byte string a socket can deliver goes through the simulators' decoders without a
/// crash: fuzzed directly (no sockets), many more inputs than the socket tests can send.
@Suite("Simulator decoders under fuzzing")
struct DecoderFuzzTests {
    @Test func deoxysCommandInterpreterSurvivesFuzzedCommands() throws {
        let seeds: [[UInt8]] = [
            FrankaArmNodeTests.goldenOSCPoseX001, FrankaArmNodeTests.goldenNoControl,
            try DeoxysFrankaControlMessage.referenceOSC(goal: TaskSpaceGoal(isDelta: false, x: 0.4, z: 0.3)).serializedBytes(),
        ]
        var random = SeededRandom(seed: 11)
        var interpreter = FrankaCommandInterpreter(policyRateHz: 20)
        let measured = KinematicFrankaPlant().readState()
        var refused = 0
        for index in 0..<5_000 {
            let input = random.fuzzInput(from: seeds[index % seeds.count])
            let outcome = interpreter.poll(index % 7 == 0 ? nil : input, measured: measured)
            switch outcome {
            case .refused: refused += 1
            case .watchdog, .termination: interpreter = FrankaCommandInterpreter(policyRateHz: 20)
            case .goal(let goal, _):
                if case .pose(let pose, let seconds) = goal {
                    #expect(pose.translation.x.isFinite && seconds >= 0.1 / 20)
                }
            default: break
            }
        }
        #expect(refused > 500)
    }

    @Test func armDriverCoreAnswersFuzzedRequestsAndSurvivesFuzzedCommands() throws {
        let link = try ConfigLoader.decode(PLDArmConfig.self, bytes: Array("""
            state_endpoint: tcp://127.0.0.1:1
            command_endpoint: tcp://127.0.0.1:2
            control_endpoint: tcp://127.0.0.1:3
            joint_names: [a, b, c, d, e, f]
            """.utf8), file: "fuzz.yaml").value
        var core = PLDArmDriverCore(settings: PLDArmDriverSettings(armName: "a", link: link, jointLimits: PLDArmHarness.yamLimits))
        let plant = KinematicYAMPlant()
        core.start(at: 0, measured: plant.readState())
        var request = PLDArmRequest()
        request.protocolVersion = 1
        request.request = PLDArmHarness.move([0, 1, 1, 0, 0, 0], seconds: 1)
        var command = PLDArmCommand()
        command.protocolVersion = 1
        command.qTargetRad = [0, 1, 1, 0, 0, 0]
        let requestSeed: [UInt8] = try request.serializedBytes()
        let commandSeed: [UInt8] = try command.serializedBytes()
        var random = SeededRandom(seed: 5)
        for index in 0..<5_000 {
            let t = Double(index) * 0.01
            let reply = core.reply(
                to: [random.fuzzInput(from: requestSeed)], at: t, measured: { plant.readState() }, unixNanoseconds: 0)
            #expect(reply.ok || !reply.error.isEmpty)
            _ = core.tick(at: t, measured: plant.readState(), commands: [random.fuzzInput(from: commandSeed)], plant: plant)
        }
        #expect(core.counters.requestsAnswered == 5_000)
        let finite = plant.q.allSatisfy { $0.isFinite }
        #expect(finite)
    }
}
