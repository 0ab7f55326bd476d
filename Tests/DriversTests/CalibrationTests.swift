import Drivers
import Foundation
import PLDCore
import TestSupport
import Testing
import Wire
import ZeroMQ

/// Cell calibration loaded for a robot config: hashes, joint offsets, base poses.
@Suite struct CalibrationTests {
    /// A scratch copy of the shipped bimanual YAM sim config and its calibration, laid out as in
    /// the repository (`RobotConfigs/`, `Calibration/`) so the relative path resolves.
    final class Scratch {
        let root: URL
        var config: URL { root.appendingPathComponent("RobotConfigs/yam_sim_gpu_insertion.yaml") }
        var calibration: URL { root.appendingPathComponent("Calibration/yam_bimanual_sim.yaml") }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("pld-calibration-\(UUID().uuidString)")
            for directory in ["RobotConfigs", "Calibration"] {
                try FileManager.default.createDirectory(
                    at: root.appendingPathComponent(directory), withIntermediateDirectories: true)
            }
            let repository = PythonPeer.repositoryRoot
            try FileManager.default.copyItem(
                at: repository.appendingPathComponent("RobotConfigs/yam_sim_gpu_insertion.yaml"), to: config)
            try FileManager.default.copyItem(
                at: repository.appendingPathComponent("Calibration/yam_bimanual_sim.yaml"), to: calibration)
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        func load() throws -> CellCalibration {
            try CellCalibration.load(try RobotConfig.loadWithSource(path: config.path))
        }

        /// Replaces the first `old` in a file.
        func edit(_ file: URL, replacing old: String, with new: String) throws {
            let text = try String(contentsOf: file, encoding: .utf8)
            let range = try #require(text.range(of: old))
            try text.replacingCharacters(in: range, with: new).write(to: file, atomically: true, encoding: .utf8)
        }
    }

    static func isHex(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    @Test func hashesAreStableAcrossLoadsAndMatchTheFileBytes() throws {
        let scratch = try Scratch()
        let first = try scratch.load()
        let second = try scratch.load()
        #expect(first.configHash == second.configHash)
        #expect(first.calibrationHash == second.calibrationHash)
        #expect(first.canonicalConfigHash == second.canonicalConfigHash)
        #expect(first.files == second.files)
        #expect([first.configHash, first.calibrationHash, first.canonicalConfigHash].allSatisfy(Self.isHex))
        // Independent SHA-256: sha256sum of the exact bytes.
        let result = try PythonPeer.run(URL(fileURLWithPath: "/usr/bin/env"), ["sha256sum", scratch.config.path, scratch.calibration.path])
        let sums = result.stdout.split(separator: "\n").map { String($0.prefix(64)) }
        #expect(sums == [first.configHash, try #require(first.files.first).sha256])
        #expect(first.files.map(\.path) == ["../Calibration/yam_bimanual_sim.yaml"])
        #expect(first.files.first?.name == "yam_bimanual_sim")
        #expect(first.hashRecord["calibration_sha256"] == first.calibrationHash)
        #expect(first.hashRecord["calibration_file_sha256:../Calibration/yam_bimanual_sim.yaml"] == first.files.first?.sha256)
    }

    @Test func changingOneByteOfTheCalibrationChangesItsHashOnly() throws {
        let scratch = try Scratch()
        let before = try scratch.load()
        // One byte: a digit of the left arm's base position (0.3 → 0.4 m).
        try scratch.edit(scratch.calibration, replacing: "position_m: [0.0, 0.3, 0.0]", with: "position_m: [0.0, 0.4, 0.0]")
        let after = try scratch.load()
        #expect(after.calibrationHash != before.calibrationHash)
        #expect(after.files.first?.sha256 != before.files.first?.sha256)
        #expect(after.configHash == before.configHash)
        #expect(Transform4x4.translation(try #require(after.arm(named: "left")).worldFromBase).y == 0.4)
        // Even a comment is a byte of the file.
        try scratch.edit(scratch.calibration, replacing: "# Free text.", with: "# Free text!")
        #expect(try scratch.load().calibrationHash != after.calibrationHash)
        // And a config byte changes the config hash, not the calibration's.
        try scratch.edit(scratch.config, replacing: "max_episode_steps: 3600", with: "max_episode_steps: 3601")
        let edited = try scratch.load()
        #expect(edited.configHash != before.configHash && edited.canonicalConfigHash != before.canonicalConfigHash)
        // A comment changes the file hash but not the canonical (effective) config.
        try scratch.edit(scratch.config, replacing: "# Identifier: lowercase", with: "# identifier: lowercase")
        let commented = try scratch.load()
        #expect(commented.configHash != edited.configHash)
        #expect(commented.canonicalConfigHash == edited.canonicalConfigHash)
    }

    @Test func jointOffsetsRoundTripBetweenDriverAndCalibratedSpace() throws {
        let offsets = JointOffsets([0.01, -0.02, 0.003, 0, 0.5, -0.25])
        var random = SeededRandom(seed: 42)
        for _ in 0..<1_000 {
            var q = InlineArray<8, Double>(repeating: 0)
            for i in 0..<8 { q[i] = Double.random(in: -3...3, using: &random) }
            let calibrated = offsets.calibrated(fromDriver: q)
            let back = offsets.driver(fromCalibrated: calibrated)
            for i in 0..<8 { #expect(abs(back[i] - q[i]) < 1e-15) }
            #expect(abs(calibrated[4] - (q[4] + 0.5)) < 1e-15)
            #expect(calibrated[6] == q[6] && calibrated[7] == q[7])  // beyond the arm's joints
        }
        // Franka-sized vectors, and whole states.
        let seven: InlineArray<7, Double> = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
        let franka = JointOffsets([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
        let calibrated = franka.calibrated(fromDriver: seven)
        #expect((0..<7).map { calibrated[$0] } == (0..<7).map { seven[$0] + 0.1 })
        var state = ArmState(link: .pldArm, jointCount: 6)
        state.q[1] = 1
        #expect(offsets.calibrated(state).q[1] == 0.98)
        #expect(JointOffsets(zeroFor: 6).calibrated(fromDriver: seven)[3] == 0.3)
    }

    @Test func basePosesAndTheBimanualBaseToBaseTransform() throws {
        let scratch = try Scratch()
        try scratch.edit(scratch.calibration, replacing: "joint_offsets_rad: [0, 0, 0, 0, 0, 0]", with: "joint_offsets_rad: [0.01, 0, 0, 0, 0, -0.02]")
        // Turn the right arm 90° about z to make the transform non-trivial.
        try scratch.edit(scratch.calibration, replacing: "rpy_rad: [0.0, 0.0, 0.0]       # Same", with: "rpy_rad: [0.0, 0.0, 1.5707963267948966] # Same")
        let cell = try scratch.load()
        let left = try #require(cell.arm(named: "left"))
        let right = try #require(cell.arm(named: "right"))
        #expect(left.entry == "left" && left.file == "../Calibration/yam_bimanual_sim.yaml")
        #expect(left.jointOffsets == JointOffsets([0.01, 0, 0, 0, 0, -0.02]))
        #expect(right.jointOffsets == JointOffsets(zeroFor: 6))
        #expect(left.gripperRange?.open == 0.041)
        #expect(Transform4x4.array(left.worldFromBase) == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0.3, 0, 1])
        // Right base in the left base frame: 0.6 m along −y, rotated 90° about z.
        let t = try #require(cell.baseTransform(from: "left", to: "right"))
        let expected: [Double] = [0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 0, -0.6, 0, 1]
        for (i, value) in Transform4x4.array(t).enumerated() { #expect(abs(value - expected[i]) < 1e-12, "element \(i)") }
        // And back: the inverse.
        let back = try #require(cell.baseTransform(from: "right", to: "left"))
        let identity = Transform4x4.multiply(t, back)
        for i in 0..<16 { #expect(abs(identity[i] - Transform4x4.identity[i]) < 1e-12) }
        #expect(cell.baseTransform(from: "left", to: "middle") == nil)
        #expect(cell.cameras["top"]?.intrinsics.width == 320)

        // A bimanual rig exposes the same transform.
        let rig = try BimanualRig(
            config: try RobotConfig.load(path: scratch.config.path), calibration: cell, context: try Context())
        for i in 0..<16 { #expect(abs(rig.rightBaseInLeftBase[i] - expected[i]) < 1e-12) }
        #expect(rig.left.name == "left" && rig.right.name == "right")
    }

    @Test func anArmWithoutCalibrationIsUncalibratedAndHashedAsSuch() throws {
        let scratch = try Scratch()
        let before = try scratch.load()
        try scratch.edit(scratch.config, replacing: """
                calibration:
                  file: ../Calibration/yam_bimanual_sim.yaml
                  arm: right
            """, with: "")
        let cell = try scratch.load()
        let right = try #require(cell.arm(named: "right"))
        #expect(right.file == nil && right.entry == nil && right.jointOffsets == JointOffsets(zeroFor: 6))
        #expect(Transform4x4.array(right.worldFromBase) == Transform4x4.array(Transform4x4.identity))
        #expect(cell.calibrationHash != before.calibrationHash)
        #expect(cell.files.count == 1)
    }
}
