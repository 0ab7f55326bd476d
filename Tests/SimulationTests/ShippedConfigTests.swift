import Foundation
import PLDCore
import Simulation
import TestSupport
import Testing

/// The simulators read their endpoints from the shipped sim robot configs, as the real devices
/// would read theirs.
@Suite("Simulators from the shipped robot configs")
struct ShippedConfigTests {
    static func config(_ name: String) throws -> RobotConfig {
        try RobotConfig.load(path: PythonPeer.repositoryRoot.appendingPathComponent("RobotConfigs/\(name)").path)
    }

    @Test func frankaNUCUsesTheDeoxysPortsOfFrankaSimCube() throws {
        let robot = try Self.config("franka_sim_cube.yaml")
        let franka = try #require(robot.arms.first?.franka)
        let nuc = try FrankaNUCSimulator(config: franka, plant: KinematicFrankaPlant(), clock: SimClock(speed: 1))
        #expect(nuc.armCommandEndpoint == "tcp://127.0.0.1:5555")
        #expect(nuc.armStateEndpoint == "tcp://127.0.0.1:5556")
        #expect(nuc.gripperCommandEndpoint == "tcp://127.0.0.1:5557")
        #expect(nuc.gripperStateEndpoint == "tcp://127.0.0.1:5558")
    }

    @Test func yamDriverSettingsFollowEachArmOfYAMSimGPUInsertion() throws {
        let robot = try Self.config("yam_sim_gpu_insertion.yaml")
        #expect(robot.arms.count == 2)
        for arm in robot.arms {
            let settings = try #require(PLDArmDriverSettings(arm: arm))
            let link = try #require(arm.pldArm)
            #expect(settings.armName == arm.name)
            #expect(settings.jointNames == link.jointNames)
            #expect(settings.jointLimits.map(\.lowerRad) == arm.jointLimits.lowerRad)
            #expect(settings.jointLimits.map(\.upperRad) == arm.jointLimits.upperRad)
            #expect(settings.kp == link.gains?.kp && settings.kd == link.gains?.kd)
            #expect(settings.gripper != nil)
            let driver = try PLDArmDriverSimulator(settings: settings, plant: KinematicYAMPlant(), clock: SimClock())
            #expect(driver.stateEndpoint == link.stateEndpoint.configString)
            #expect(driver.controlEndpoint == link.controlEndpoint.configString)
        }
    }
}
