import Foundation
import PLDCore
import Simulation
import Testing
import ZeroMQ

/// Starting a simulated device binds its ports, as the real process would; a taken port is a
/// start error naming the endpoint, and nothing keeps running.
@Suite("Simulator startup", .serialized, .timeLimit(.minutes(1)))
struct StartupTests {
    @Test func frankaNUCStartFailsWhenItsStatePortIsTaken() throws {
        let context = try Context()
        let squatter = try Socket(context: context, type: .pub)
        try squatter.bind("tcp://127.0.0.1:*")
        let taken = port(of: try squatter.lastEndpoint)
        let yaml = """
            nuc_host: 127.0.0.1
            ports: {arm_command: \(freeTCPPort()), arm_state: \(taken), gripper_command: \(freeTCPPort()), gripper_state: \(freeTCPPort())}
            """
        let config = try ConfigLoader.decode(FrankaDeoxysConfig.self, bytes: Array(yaml.utf8), file: "t.yaml").value
        var options = FrankaNUCSimulator.Options()
        options.log = .silent
        let nuc = try FrankaNUCSimulator(config: config, plant: KinematicFrankaPlant(), clock: SimClock(), options: options)
        #expect {
            try nuc.start()
        } throws: { error in
            (error as? ZMQError)?.errno == ZMQError.EADDRINUSE && "\(error)".contains("\(taken)")
        }
        #expect(!nuc.isArmProcessRunning)
    }

    @Test func armDriverStartFailsWhenItsControlPortIsTaken() throws {
        let context = try Context()
        let squatter = try Socket(context: context, type: .rep)
        try squatter.bind("tcp://127.0.0.1:*")
        let taken = port(of: try squatter.lastEndpoint)
        let yaml = """
            state_endpoint: tcp://127.0.0.1:\(freeTCPPort())
            command_endpoint: tcp://127.0.0.1:\(freeTCPPort())
            control_endpoint: tcp://127.0.0.1:\(taken)
            joint_names: [a, b, c, d, e, f]
            """
        let link = try ConfigLoader.decode(PLDArmConfig.self, bytes: Array(yaml.utf8), file: "t.yaml").value
        var settings = PLDArmDriverSettings(armName: "left", link: link, jointLimits: PLDArmHarness.yamLimits)
        settings.log = .silent
        let driver = try PLDArmDriverSimulator(settings: settings, plant: KinematicYAMPlant(), clock: SimClock())
        #expect {
            try driver.start()
        } throws: { error in
            (error as? ZMQError)?.errno == ZMQError.EADDRINUSE
        }
        #expect(!driver.isRunning)
    }
}
