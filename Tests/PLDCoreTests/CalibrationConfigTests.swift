import Foundation
import PLDCore
import Testing

let calibrationErrorCases: [ErrorCase] = [
    ErrorCase(name: "quaternion not unit", edits: [Edit("quaternion_wxyz: [1, 0, 0, 0]", "quaternion_wxyz: [1, 0, 0, 0.5]")],
              path: "arms[0].base_pose.quaternion_wxyz", message: "must be a unit quaternion, norm is 1.118", lineOf: "quaternion_wxyz"),
    ErrorCase(name: "quaternion with three values", edits: [Edit("quaternion_wxyz: [1, 0, 0, 0]", "quaternion_wxyz: [1, 0, 0]")],
              path: "arms[0].base_pose.quaternion_wxyz", message: "expected 4 values (w, x, y, z), found 3", lineOf: "quaternion_wxyz"),
    ErrorCase(name: "both orientation forms", edits: [Edit("      quaternion_wxyz: [1, 0, 0, 0]\n", "      quaternion_wxyz: [1, 0, 0, 0]\n      rpy_rad: [0, 0, 0]\n")],
              path: "arms[0].base_pose.rpy_rad", message: "not both", lineOf: "      rpy_rad"),
    ErrorCase(name: "no orientation", edits: [Edit("      quaternion_wxyz: [1, 0, 0, 0]\n", "")],
              path: "arms[0].base_pose", message: "give the orientation as quaternion_wxyz or rpy_rad", lineOf: "base_pose:"),
    ErrorCase(name: "position with two values", edits: [Edit("position_m: [0, 0, 0]", "position_m: [0, 0]")],
              path: "arms[0].base_pose.position_m", message: "expected 3 values (x, y, z), found 2", lineOf: "position_m: [0, 0]"),
    ErrorCase(name: "arm base not in the world frame", edits: [Edit("    base_pose:\n", "    base_pose:\n      parent_frame: franka/flange\n")],
              path: "arms[0].base_pose.parent_frame", message: "placed in the world frame", lineOf: "      parent_frame: franka/flange"),
    ErrorCase(name: "unknown camera parent frame", edits: [Edit("parent_frame: franka/flange", "parent_frame: franka/hand")],
              path: "cameras[0].extrinsics.parent_frame", message: "unknown frame `franka/hand`", lineOf: "franka/hand"),
    ErrorCase(name: "distortion count for the model",
              edits: [Edit("cx: 160, cy: 120}", "cx: 160, cy: 120, distortion_model: plumb_bob, distortion: [0, 0, 0, 0]}")],
              path: "cameras[0].intrinsics.distortion", message: "expected 5 values (coefficients of plumb_bob), found 4", lineOf: "intrinsics:"),
    ErrorCase(name: "principal point outside the image", edits: [Edit("cx: 160", "cx: 400")],
              path: "cameras[0].intrinsics.cx", message: "within the image width", lineOf: "intrinsics:"),
    ErrorCase(name: "zero focal length", edits: [Edit("fx: 290", "fx: 0")],
              path: "cameras[0].intrinsics.fx", message: "must be in (0, 100000] px", lineOf: "intrinsics:"),
    ErrorCase(name: "unknown intrinsics key", edits: [Edit("fy: 290", "fz: 290")],
              path: "cameras[0].intrinsics.fz", message: "did you mean `fx`?", lineOf: "intrinsics:"),
    ErrorCase(name: "bad distortion model", edits: [Edit("cx: 160, cy: 120}", "cx: 160, cy: 120, distortion_model: fisheye}")],
              path: "cameras[0].intrinsics.distortion_model", message: "expected one of: none, plumb_bob, equidistant, rational_polynomial", lineOf: "intrinsics:"),
    ErrorCase(name: "gripper range without stroke", edits: [Edit("{closed: 0.0, open: 0.08, unit: m}", "{closed: 0.08, open: 0.08, unit: m}")],
              path: "arms[0].gripper_range.open", message: "must differ from closed", lineOf: "gripper_range"),
    ErrorCase(name: "gripper range unit", edits: [Edit("unit: m}", "unit: mm}")],
              path: "arms[0].gripper_range.unit", message: "expected one of: m, rad", lineOf: "gripper_range"),
    ErrorCase(name: "joint offset beyond pi", edits: [Edit("joint_offsets_rad: [0, 0, 0, 0, 0, 0, 0]", "joint_offsets_rad: [0, 0, 0, 4, 0, 0, 0]")],
              path: "arms[0].joint_offsets_rad[3]", message: "must be in [-3.14", lineOf: "joint_offsets_rad"),
    ErrorCase(name: "duplicate camera", edits: [Edit("      rpy_rad: [0, 0, 0]\n", "      rpy_rad: [0, 0, 0]\n  - name: wrist\n    intrinsics: {width: 320, height: 240, fx: 290, fy: 290, cx: 160, cy: 120}\n    extrinsics: {position_m: [0, 0, 1], rpy_rad: [0, 0, 0]}\n")],
              path: "cameras[1].name", message: "duplicate camera name `wrist`", lineOf: nil),
]

@Suite struct CalibrationConfigTests {
    @Test func baseCalibrationIsValid() throws {
        let calibration = try CalibrationConfig.load(yaml: baseCalibrationYAML, file: "Calibration/test.yaml")
        #expect(calibration.arms[0].basePose.orientationWxyz == [1, 0, 0, 0])
        #expect(calibration.cameras[0].intrinsics.distortionModel == DistortionModel.none)
        #expect(calibration.cameras[0].extrinsics.orientationWxyz == [1, 0, 0, 0])
    }

    @Test(arguments: calibrationErrorCases)
    func calibrationErrorNamesFileLineAndPath(_ errorCase: ErrorCase) throws {
        try expectConfigError(CalibrationConfig.self, errorCase, base: baseCalibrationYAML, file: "Calibration/test.yaml")
    }

    @Test func rpyConvertsToAUnitQuaternion() throws {
        let text = baseCalibrationYAML.replacingOccurrences(of: "rpy_rad: [0, 0, 0]", with: "rpy_rad: [0, 0, 1.5707963267948966]")
        let calibration = try CalibrationConfig.load(yaml: text, file: "c.yaml")
        let q = calibration.cameras[0].extrinsics.orientationWxyz
        #expect(abs(q[0] - 0.5.squareRoot()) < 1e-9 && abs(q[3] - 0.5.squareRoot()) < 1e-9)
    }

    // MARK: Robot config ↔ calibration

    private func writeCell(robot: String, calibration: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pld-cell-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("RobotConfigs"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Calibration"), withIntermediateDirectories: true)
        try robot.write(to: root.appendingPathComponent("RobotConfigs/cell.yaml"), atomically: true, encoding: .utf8)
        try calibration.write(to: root.appendingPathComponent("Calibration/cell.yaml"), atomically: true, encoding: .utf8)
        return root
    }

    private let referencingRobot = baseRobotYAML.replacingOccurrences(
        of: "    kind: franka_deoxys\n",
        with: "    kind: franka_deoxys\n    calibration: {file: ../Calibration/cell.yaml}\n")

    @Test func robotConfigLoadsItsCalibrationRelativeToItself() throws {
        let root = try writeCell(robot: referencingRobot, calibration: baseCalibrationYAML)
        defer { try? FileManager.default.removeItem(at: root) }
        let loaded = try RobotConfig.loadWithSource(path: root.appendingPathComponent("RobotConfigs/cell.yaml").path)
        let calibrations = try loaded.loadCalibrations()
        #expect(calibrations["../Calibration/cell.yaml"]?.value.name == "test_cell")
    }

    @Test func missingCalibrationEntryCitesTheRobotConfigLine() throws {
        let calibration = baseCalibrationYAML.replacingOccurrences(of: "  - name: franka", with: "  - name: panda")
            .replacingOccurrences(of: "parent_frame: franka/flange", with: "parent_frame: panda/flange")
        let root = try writeCell(robot: referencingRobot, calibration: calibration)
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("RobotConfigs/cell.yaml").path
        let loaded = try RobotConfig.loadWithSource(path: path)
        do {
            _ = try loaded.loadCalibrations()
            Issue.record("expected an error")
        } catch {
            #expect(error.file == path)
            #expect(error.path == "arms[0].calibration")
            #expect(error.line == lineNumber(of: "calibration: {file", in: referencingRobot))
            #expect(error.message.contains("no arm `franka` in calibration ../Calibration/cell.yaml; it has: panda"))
        }
    }

    @Test func offsetsMustFitTheArm() throws {
        let calibration = try CalibrationConfig.load(
            yaml: baseCalibrationYAML.replacingOccurrences(of: "[0, 0, 0, 0, 0, 0, 0]", with: "[0, 0, 0, 0, 0, 0]"), file: "c.yaml")
        let robot = try RobotConfig.load(yaml: referencingRobot, file: "r.yaml")
        let issues = robot.calibrationIssues(calibration, file: "../Calibration/cell.yaml")
        #expect(issues.map(\.path.description) == ["arms[0].calibration"])
        #expect(issues.first?.message.contains("has 6 joint offsets, arm `franka` has 7 joints") == true)
    }

    @Test func cameraSizeMustMatchItsIntrinsics() throws {
        let calibration = try CalibrationConfig.load(
            yaml: baseCalibrationYAML.replacingOccurrences(of: "width: 320, height: 240, fx: 290, fy: 290, cx: 160", with: "width: 640, height: 240, fx: 290, fy: 290, cx: 160"), file: "c.yaml")
        let robot = try RobotConfig.load(yaml: referencingRobot, file: "r.yaml")
        let issues = robot.calibrationIssues(calibration, file: "../Calibration/cell.yaml")
        #expect(issues.map(\.path.description) == ["cameras[0].width"])
        #expect(issues.first?.message.contains("320×240 here but calibrated at 640×240") == true)
    }

    @Test func missingCalibrationFileNamesIt() throws {
        let root = try writeCell(robot: referencingRobot, calibration: baseCalibrationYAML)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.removeItem(at: root.appendingPathComponent("Calibration/cell.yaml"))
        let loaded = try RobotConfig.loadWithSource(path: root.appendingPathComponent("RobotConfigs/cell.yaml").path)
        do {
            _ = try loaded.loadCalibrations()
            Issue.record("expected an error")
        } catch {
            #expect(error.file.hasSuffix("Calibration/cell.yaml"))
            #expect(error.message == "no such file")
        }
    }
}
