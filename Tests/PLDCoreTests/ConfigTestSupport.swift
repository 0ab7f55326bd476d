import Foundation
import PLDCore
import Testing

/// A compact, valid robot config touching every section: a deoxys Franka and a PLD-arm YAM in
/// one cell, a custom observation layout, rules classifiers, a policy stage and a scripted
/// stage, and a reset. Error tests mutate it one edit at a time.
let baseRobotYAML = """
    name: mixed_cell
    robot_type: mixed
    task: stack the blocks
    control:
      rate_hz: 20
      max_episode_steps: 400
    arms:
      - name: franka
        kind: franka_deoxys
        joint_limits:
          lower_rad: [-2.8, -1.7, -2.8, -3.0, -2.8, 0.0, -2.8]
          upper_rad: [2.8, 1.7, 2.8, -0.1, 2.8, 3.7, 2.8]
          velocity_rad_per_s: [2, 2, 2, 2, 2.5, 2.5, 2.5]
          acceleration_rad_per_s2: [10, 7, 10, 12, 15, 20, 20]
        franka:
          nuc_host: 127.0.0.1
          pc_bind_address: 127.0.0.1
      - name: yam
        kind: pld_arm
        joint_limits:
          lower_rad: [-2.6, 0.0, 0.0, -1.5, -1.5, -2.0]
          upper_rad: [3.0, 3.6, 3.1, 1.5, 1.5, 2.0]
          velocity_rad_per_s: [2, 2, 2, 3, 3, 3]
          acceleration_rad_per_s2: [10, 10, 10, 10, 10, 10]
        pld_arm:
          state_endpoint: tcp://127.0.0.1:7001
          command_endpoint: tcp://*:7002
          control_endpoint: ipc:///tmp/pld-test-yam-control
          joint_names: [j1, j2, j3, j4, j5, j6]
    action_space:
      segments:
        - arm: franka
          kind: ee_delta
        - arm: yam
          kind: joint_position
    safety:
      workspaces:
        - arm: franka
          min_m: [0.2, -0.4, 0.0]
          max_m: [0.8, 0.4, 0.6]
    cameras:
      - name: wrist
        endpoint: tcp://127.0.0.1:7010
        width: 320
        height: 240
    features:
      - name: block_pose
        endpoint: tcp://127.0.0.1:7011
        dims: 3
    policy:
      kind: openpi
      url: ws://127.0.0.1:7020
      action_dim: 14
      observation:
        layout: custom
        inputs:
          - key: image
            from: [camera.wrist]
          - key: state
            from: [arm.franka.joint_position, arm.yam.joint_position]
    residual:
      enabled: true
      inputs: [arm.franka.joint_position, feature.block_pose]
    handoff:
      mode: uniform
      alpha: 0.6
    classifiers:
      - name: block_up
        kind: rules
        rules:
          - {source: feature.block_pose, index: 2, op: gt, value: 0.1}
    stages:
      - name: lift
        success: {classifier: block_up}
        timeout_s: 10
        on_success: place
      - name: place
        kind: scripted_motion
        motion:
          - {arm: yam, joints_rad: [0, 1, 1, 0, 0, 0], duration_s: 2}
        timeout_s: 5
        on_success: succeed
    reset:
      home:
        - {arm: franka, joints_rad: [0, -0.7, 0, -2.3, 0, 1.5, 0.7]}
        - {arm: yam, joints_rad: [0, 1, 1, 0, 0, 0]}
    recording:
      cameras: [wrist]

    """

/// A compact, valid calibration.
let baseCalibrationYAML = """
    name: test_cell
    arms:
      - name: franka
        joint_offsets_rad: [0, 0, 0, 0, 0, 0, 0]
        gripper_range: {closed: 0.0, open: 0.08, unit: m}
        base_pose:
          position_m: [0, 0, 0]
          quaternion_wxyz: [1, 0, 0, 0]
    cameras:
      - name: wrist
        intrinsics: {width: 320, height: 240, fx: 290, fy: 290, cx: 160, cy: 120}
        extrinsics:
          parent_frame: franka/flange
          position_m: [0, 0.05, 0.04]
          rpy_rad: [0, 0, 0]

    """

/// One textual edit of a base document; `old` must occur exactly once.
struct Edit: Sendable {
    var old: String
    var new: String

    init(_ old: String, _ new: String) {
        self.old = old
        self.new = new
    }
}

/// An invalid variant of a base document and what its error must say.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var edits: [Edit]
    /// Expected `ConfigError.path`.
    var path: String
    /// A fragment the message must contain.
    var message: String
    /// The error must cite the (1-based) line of the first line containing this text in the
    /// edited document; nil = no line check.
    var lineOf: String?

    var testDescription: String { name }
}

func applying(_ edits: [Edit], to base: String) throws -> String {
    var text = base
    for edit in edits {
        let occurrences = text.components(separatedBy: edit.old).count - 1
        try #require(occurrences == 1, "edit target \(edit.old.debugDescription) occurs \(occurrences) times")
        text = text.replacingOccurrences(of: edit.old, with: edit.new)
    }
    return text
}

func lineNumber(of marker: String, in text: String) -> Int? {
    for (index, line) in text.components(separatedBy: "\n").enumerated() where line.contains(marker) {
        return index + 1
    }
    return nil
}

/// Loads `text` as a robot (or calibration) config and checks the error against `errorCase`.
func expectConfigError<T: ConfigDocument>(_ type: T.Type, _ errorCase: ErrorCase, base: String, file: String) throws {
    let text = try applying(errorCase.edits, to: base)
    do {
        _ = try T.load(yaml: text, file: file)
        Issue.record("\(errorCase.name): expected an error, the config loaded")
    } catch {
        #expect(error.file == file)
        #expect(error.path == errorCase.path, "\(error)")
        #expect(error.message.contains(errorCase.message), "\(error)")
        #expect(error.description.contains(file))
        if !errorCase.path.isEmpty { #expect(error.description.contains(errorCase.path)) }
        if let marker = errorCase.lineOf {
            let expected = try #require(lineNumber(of: marker, in: text), "marker \(marker.debugDescription) not found")
            #expect(error.line == expected, "\(error)")
            #expect(error.description.contains(":\(expected): "))
        }
    }
}
