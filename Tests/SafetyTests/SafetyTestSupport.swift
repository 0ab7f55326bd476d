import Foundation
import PLDCore
import Safety
import Testing

/// One arm of a test configuration.
struct TestArm {
    enum Link { case franka, pldArm }
    var name: String
    var link: Link
    var segmentKind: ActionSegmentKind
    var lower: [Double]
    var upper: [Double]
    var velocity: [Double]
    var acceleration: [Double]
    var hasGripper = true
    /// Extra lines of the arm's action segment (indented by 6 spaces), e.g. the gripper section.
    var segmentYAML = ""
    /// `min_m` / `max_m` of its workspace box.
    var workspace: (min: [Double], max: [Double])?

    var jointCount: Int { lower.count }

    /// A Franka in ee_delta (deoxys OSC) with Panda limits and a table-top box.
    static func frankaEE(name: String = "franka", workspace: (min: [Double], max: [Double]) = ([0.3, -0.3, 0.05], [0.8, 0.3, 0.6]),
                         segmentYAML: String = "") -> TestArm {
        TestArm(name: name, link: .franka, segmentKind: .eeDelta,
                lower: SafetyDefaults.panda.lowerRad, upper: SafetyDefaults.panda.upperRad,
                velocity: SafetyDefaults.panda.velocityRadPerS, acceleration: SafetyDefaults.panda.accelerationRadPerS2,
                segmentYAML: segmentYAML, workspace: workspace)
    }

    /// A YAM on the PLD arm protocol in joint_position with its un-widened limits.
    static func yam(name: String, segmentYAML: String = "") -> TestArm {
        TestArm(name: name, link: .pldArm, segmentKind: .jointPosition,
                lower: SafetyDefaults.yam.lowerRad, upper: SafetyDefaults.yam.upperRad,
                velocity: SafetyDefaults.yam.velocityRadPerS, acceleration: SafetyDefaults.yam.accelerationRadPerS2,
                segmentYAML: segmentYAML)
    }

    /// A joint_position PLD arm with `joints` joints and uniform limits.
    static func joints(_ name: String, count: Int, lower: Double = -2, upper: Double = 2, velocity: Double = 2,
                       acceleration: Double = 10, workspace: (min: [Double], max: [Double])? = nil) -> TestArm {
        TestArm(name: name, link: .pldArm, segmentKind: .jointPosition,
                lower: Array(repeating: lower, count: count), upper: Array(repeating: upper, count: count),
                velocity: Array(repeating: velocity, count: count), acceleration: Array(repeating: acceleration, count: count),
                workspace: workspace)
    }
}

private func list(_ values: [Double]) -> String { "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }

/// A validated robot config with `arms` (segments in `segmentOrder`, default the arm order) and
/// the given `safety` section body (indented by 2 spaces).
func makeConfig(_ arms: [TestArm], safety: String = "", segmentOrder: [String]? = nil, rateHz: Double = 20) throws -> RobotConfig {
    var yaml = """
        name: safety_test
        robot_type: test
        task: test the safety chain
        control:
          rate_hz: \(rateHz)
          max_episode_steps: 100
        arms:

        """
    for (index, arm) in arms.enumerated() {
        yaml += """
              - name: \(arm.name)
                kind: \(arm.link == .franka ? "franka_deoxys" : "pld_arm")
                has_gripper: \(arm.hasGripper)
                joint_limits:
                  lower_rad: \(list(arm.lower))
                  upper_rad: \(list(arm.upper))
                  velocity_rad_per_s: \(list(arm.velocity))
                  acceleration_rad_per_s2: \(list(arm.acceleration))

            """
        switch arm.link {
        case .franka:
            yaml += """
                    franka:
                      nuc_host: 127.0.0.1
                      pc_bind_address: 127.0.0.1
                      controller: \(arm.segmentKind == .eeDelta ? "osc_pose" : "joint_position")

                """
        case .pldArm:
            let port = 7100 + 10 * index
            yaml += """
                    pld_arm:
                      state_endpoint: tcp://127.0.0.1:\(port)
                      command_endpoint: tcp://*:\(port + 1)
                      control_endpoint: tcp://127.0.0.1:\(port + 2)
                      joint_names: \("[" + (1...arm.jointCount).map { "j\($0)" }.joined(separator: ", ") + "]")

                """
        }
    }
    yaml += "action_space:\n  segments:\n"
    for name in segmentOrder ?? arms.map(\.name) {
        let arm = arms.first { $0.name == name }!
        yaml += "    - arm: \(arm.name)\n      kind: \(arm.segmentKind.rawValue)\n"
        if !arm.segmentYAML.isEmpty { yaml += arm.segmentYAML + "\n" }
    }
    yaml += "safety:\n"
    let boxes = arms.filter { $0.workspace != nil }
    if !boxes.isEmpty {
        yaml += "  workspaces:\n"
        for arm in boxes {
            yaml += "    - arm: \(arm.name)\n      min_m: \(list(arm.workspace!.min))\n      max_m: \(list(arm.workspace!.max))\n"
        }
    }
    yaml += safety.isEmpty ? "  nan_policy: hold\n" : safety + "\n"
    yaml += """
        policy:
          kind: openpi
          url: ws://127.0.0.1:7999
          observation:
            layout: custom
            inputs:
              - key: state
                from: [arm.\(arms[0].name).joint_position]

        """
    return try RobotConfig.load(yaml: yaml, file: "safety_test.yaml")
}

/// A fresh, finite state at joint positions `q`; with `ee`, the link also reports the
/// end-effector position (identity orientation), as a Franka does.
func armState(_ q: [Double], ee: SIMD3<Double>? = nil, link: ArmLinkKind = .pldArm) -> ArmState {
    var state = ArmState(link: link, jointCount: q.count)
    state.hasState = true
    state.isStale = false
    for j in q.indices { state.q[j] = q[j] }
    if let ee {
        state.eePose = Pose(translation: ee, rotation: .identity).columnMajor
        state.hasEEPose = true
    }
    return state
}

/// The planar two-link arm of the joint-space workspace tests: links of 0.4 m and 0.3 m in the
/// base x-y plane, z = 0. Analytic, so the tests do not need MuJoCo.
enum TwoLinkArm {
    static let upperArmM = 0.4
    static let forearmM = 0.3

    static func position(_ q0: Double, _ q1: Double) -> SIMD3<Double> {
        SIMD3(upperArmM * cos(q0) + forearmM * cos(q0 + q1), upperArmM * sin(q0) + forearmM * sin(q0 + q1), 0)
    }

    static var kinematics: ForwardKinematics {
        ForwardKinematics(jointCount: 2) { q in Pose(translation: position(q[0], q[1]), rotation: .identity) }
    }
}

/// An action vector of `count` zeros with `values` written at the given indices.
func action(_ count: Int, _ values: [Int: Double] = [:]) -> ActionVector {
    var a = ActionVector(count: count)
    for (i, v) in values { a[i] = v }
    return a
}

func length(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }

/// The events of `output` as an array, for `#expect`.
func events(_ output: SafetyOutput) -> [SafetyEvent] { output.events.array }
