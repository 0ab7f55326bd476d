import Foundation
import PLDCore
import Safety
import Testing

/// The hardware numbers and the check that a configuration is no looser than them.
@Suite struct SafetyDefaultsTests {
    static let robotConfigs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("RobotConfigs")

    @Test func hardwareTablesAreConsistent() {
        for model in [SafetyDefaults.panda, SafetyDefaults.fr3, SafetyDefaults.yam, SafetyDefaults.yamMenagerie] {
            #expect([model.upperRad.count, model.velocityRadPerS.count, model.accelerationRadPerS2.count].allSatisfy { $0 == model.jointCount })
            #expect(zip(model.lowerRad, model.upperRad).allSatisfy { $0 < $1 }, "\(model.model)")
        }
        #expect(SafetyDefaults.panda.jointCount == 7 && SafetyDefaults.fr3.jointCount == 7 && SafetyDefaults.yam.jointCount == 6)
        // YAM: the un-widened i2rt ranges (i2rt's command clip is 0.15 rad wider).
        #expect(SafetyDefaults.yam.upperRad[1] == 3.66519 && SafetyDefaults.yam.lowerRad[3] == -1.69297)
    }

    @Test(arguments: [("franka_sim_cube.yaml", "franka", SafetyDefaults.panda),
                      ("franka_real_cube.yaml", "franka", SafetyDefaults.fr3)])
    func shippedFrankaConfigsAreNoLooserThanTheirHardware(_ file: String, _ arm: String, _ model: HardwareLimits) throws {
        let config = try RobotConfig.load(path: Self.robotConfigs.appendingPathComponent(file).path)
        #expect(SafetyDefaults.check(config, hardware: [arm: model]) == [])
        _ = try SafetyChain(config: config)
    }

    @Test(arguments: [("yam_sim_gpu_insertion.yaml", SafetyDefaults.yamMenagerie), ("yam_real_gpu_insertion.yaml", SafetyDefaults.yam)])
    func shippedYAMConfigsAreNoLooserThanTheirModel(_ file: String, _ model: HardwareLimits) throws {
        let config = try RobotConfig.load(path: Self.robotConfigs.appendingPathComponent(file).path)
        let hardware = Dictionary(uniqueKeysWithValues: config.arms.map { ($0.name, model) })
        #expect(SafetyDefaults.check(config, hardware: hardware) == [])
    }

    @Test func simulatedYAMRangesAreFlaggedAgainstTheRealYAM() throws {
        // Menagerie rounds joint 3's upper limit to 3.142 rad, 0.4 mrad beyond i2rt's 3.14159.
        var arm = TestArm.yam(name: "left")
        arm.lower = SafetyDefaults.yamMenagerie.lowerRad
        arm.upper = SafetyDefaults.yamMenagerie.upperRad
        let issues = SafetyDefaults.check(try makeConfig([arm]), hardware: ["left": SafetyDefaults.yam])
        #expect(issues.contains { $0.path == "arms[0].joint_limits.upper_rad[2]" })
        #expect(!issues.contains { $0.path == "arms[0].joint_limits.upper_rad[0]" }, "3.054 is tighter than 3.14159")
    }

    @Test func pandaLimitsCheckedAgainstAnFR3AreFlagged() throws {
        let config = try makeConfig([.frankaEE()])
        let issues = SafetyDefaults.check(config, hardware: ["franka": SafetyDefaults.fr3])
        // Panda joint 1 reaches ±2.8973, the FR3 only ±2.7437.
        #expect(issues.contains { $0.path == "arms[0].joint_limits.lower_rad[0]" })
        #expect(issues.contains { $0.path == "arms[0].joint_limits.upper_rad[0]" })
        // Panda joint 2 accelerates at 7.5, FR3 at 10: not flagged; joint 1 at 15 > 10: flagged.
        #expect(issues.contains { $0.path == "arms[0].joint_limits.acceleration_rad_per_s2[0]" })
        #expect(!issues.contains { $0.path == "arms[0].joint_limits.acceleration_rad_per_s2[1]" })
        let upper = issues.first { $0.path == "arms[0].joint_limits.upper_rad[0]" }!
        #expect(upper.message.hasPrefix("2.8973 rad is above the Franka FR3's 2.7437 rad"))
    }

    @Test func velocityAboveTheHardwareIsFlagged() throws {
        var arm = TestArm.yam(name: "left")
        arm.velocity[4] = 4.5
        let issues = SafetyDefaults.check(try makeConfig([arm]), hardware: ["left": SafetyDefaults.yam])
        #expect(issues.map(\.path) == ["arms[0].joint_limits.velocity_rad_per_s[4]"])
        #expect(issues[0].description == "arms[0].joint_limits.velocity_rad_per_s[4]: 4.5 rad/s is above the i2rt YAM's 3 rad/s (\(SafetyDefaults.yam.source))")
    }

    @Test func stepCapsAboveHardwareSpeedsOrDROIDAreFlagged() throws {
        // 0.1 m per tick at 100 Hz is 10 m/s: above the Panda's 1.7 m/s and DROID's 1.125 m/s.
        let fast = try makeConfig([.frankaEE()], safety: "  max_step:\n    translation_m: 0.1\n    rotation_rad: 0.02", rateHz: 100)
        let issues = SafetyDefaults.check(fast, hardware: ["franka": SafetyDefaults.panda])
        #expect(issues.map(\.path) == ["safety.max_step.translation_m", "safety.max_step.translation_m"])
        #expect(issues[0].message.contains("1.7 m/s") && issues[1].message.contains("DROID"))
        // 0.2 rad per joint at 30 Hz is 6 rad/s: above every YAM joint and DROID's 3 rad/s.
        let jointy = try makeConfig([.yam(name: "left")], safety: "  max_step:\n    joint_rad: 0.2", rateHz: 30)
        #expect(SafetyDefaults.check(jointy, hardware: ["left": SafetyDefaults.yam]).map(\.path)
            == ["safety.max_step.joint_rad", "safety.max_step.joint_rad"])
        // The defaults (0.01 m, 0.05 rad, 0.05 rad) at 20 Hz pass everywhere.
        #expect(SafetyDefaults.check(try makeConfig([.frankaEE()]), hardware: ["franka": SafetyDefaults.panda]) == [])
    }

    @Test func wrongJointCountIsFlagged() throws {
        let issues = SafetyDefaults.check(try makeConfig([.yam(name: "left")]), hardware: ["left": SafetyDefaults.panda])
        #expect(issues.map(\.message) == ["has 6 joints, the Franka Panda has 7"])
    }

    @Test func referenceStepCapsMatchTheirSources() {
        #expect(SafetyDefaults.droidStepCap.translationM == 0.075 && SafetyDefaults.droidStepCap.rotationRad == 0.15)
        #expect(SafetyDefaults.droidStepCap.jointRad == 0.2 && SafetyDefaults.droidStepCap.rateHz == 15)
        #expect(SafetyDefaults.serlStepCap.translationM == 0.015 && SafetyDefaults.serlStepCap.rotationRad == 0.1)
    }
}
