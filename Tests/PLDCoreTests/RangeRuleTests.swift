import Foundation
import PLDCore
import Testing

/// Every range rule not already exercised in RobotConfigErrorTests, one violation each, so a
/// rule that stops firing fails a test. Each inserts one out-of-range value into the base
/// config and expects "must be in ..." (or the rule's own wording) at that field.
let rangeRuleCases: [ErrorCase] = {
    func insert(after anchor: String, _ line: String, path: String, message: String = "must be in", marker: String? = nil) -> ErrorCase {
        let key = String(line.trimmingCharacters(in: .whitespaces).prefix { $0 != ":" })
        return ErrorCase(name: path, edits: [Edit(anchor, anchor + line + "\n")], path: path, message: message, lineOf: marker ?? key + ":")
    }
    let franka = "      pc_bind_address: 127.0.0.1\n"
    let yam = "      joint_names: [j1, j2, j3, j4, j5, j6]\n"
    let control = "  max_episode_steps: 400\n"
    let policy = "  action_dim: 14\n"
    let observation = "    layout: custom\n"
    let residual = "  enabled: true\n"
    let handoff = "  alpha: 0.6\n"
    let lift = "    timeout_s: 10\n"
    let reset = "reset:\n"
    let camera = "    height: 240\n"
    let feature = "    dims: 3\n"
    let yamSegment = "      kind: joint_position\n"
    let frankaSegment = "      kind: ee_delta\n"
    let safety = "safety:\n"
    return [
        insert(after: control, "  realtime: {cpu_affinity: [-1]}", path: "control.realtime.cpu_affinity[0]", marker: "realtime:"),
        ErrorCase(name: "joint limit beyond two pi", edits: [Edit("upper_rad: [3.0, 3.6, 3.1, 1.5, 1.5, 2.0]", "upper_rad: [3.0, 3.6, 3.1, 1.5, 1.5, 7.0]")],
                  path: "arms[1].joint_limits.upper_rad[5]", message: "must be in [-6.28", lineOf: "upper_rad: [3.0"),
        ErrorCase(name: "acceleration limit zero", edits: [Edit("acceleration_rad_per_s2: [10, 10, 10, 10, 10, 10]", "acceleration_rad_per_s2: [10, 10, 10, 10, 10, 0]")],
                  path: "arms[1].joint_limits.acceleration_rad_per_s2[5]", message: "must be in (0, 200]", lineOf: "acceleration_rad_per_s2: [10, 10, 10, 10"),
        insert(after: franka, "      policy_rate_hz: 0", path: "arms[0].franka.policy_rate_hz"),
        insert(after: franka, "      traj_interpolator_time_fraction: 1.5", path: "arms[0].franka.traj_interpolator_time_fraction", message: "must be in (0.1, 1]"),
        insert(after: franka, "      ports: {gripper_state: 70000}", path: "arms[0].franka.ports.gripper_state", message: "must be in [1, 65535]", marker: "ports:"),
        insert(after: franka, "      osc: {rotational_stiffness: [250, 250, 0]}", path: "arms[0].franka.osc.rotational_stiffness[2]", marker: "osc:"),
        insert(after: franka, "      state_estimator: {alpha_dq: -1}", path: "arms[0].franka.state_estimator.alpha_dq", marker: "state_estimator:"),
        insert(after: franka, "      state_estimator: {alpha_eef: 2}", path: "arms[0].franka.state_estimator.alpha_eef", marker: "state_estimator:"),
        insert(after: franka, "      joint_impedance: {kp: [100, 100, 100, 100, 75, 150, -50]}", path: "arms[0].franka.joint_impedance.kp[6]", marker: "joint_impedance:"),
        insert(after: franka, "      joint_impedance: {kd: [20, 20, 20]}", path: "arms[0].franka.joint_impedance.kd", message: "expected 7 values", marker: "joint_impedance:"),
        insert(after: franka, "      gripper: {open_width_m: 0.1}", path: "arms[0].franka.gripper.open_width_m", marker: "gripper:"),
        insert(after: franka, "      gripper: {move_speed_m_per_s: 0}", path: "arms[0].franka.gripper.move_speed_m_per_s", marker: "gripper:"),
        insert(after: franka, "      gripper: {grasp_width_m: 0.5}", path: "arms[0].franka.gripper.grasp_width_m", marker: "gripper:"),
        insert(after: franka, "      gripper: {grasp_speed_m_per_s: 2}", path: "arms[0].franka.gripper.grasp_speed_m_per_s", marker: "gripper:"),
        insert(after: franka, "      gripper: {epsilon_inner_m: -0.01}", path: "arms[0].franka.gripper.epsilon_inner_m", marker: "gripper:"),
        insert(after: franka, "      gripper: {epsilon_outer_m: 0.2}", path: "arms[0].franka.gripper.epsilon_outer_m", marker: "gripper:"),
        insert(after: franka, "      gripper: {close_threshold: 1}", path: "arms[0].franka.gripper.close_threshold", marker: "gripper:"),
        insert(after: yam, "      motor_timeout_s: 0", path: "arms[1].pld_arm.motor_timeout_s"),
        insert(after: yam, "      request_timeout_s: 100", path: "arms[1].pld_arm.request_timeout_s"),
        insert(after: yam, "      gains: {kp: [1, 1, 1, 1, 1, 1], kd: [1, 1, 1, 1, 1, 9]}", path: "arms[1].pld_arm.gains.kd[5]", marker: "gains:"),
        insert(after: yam, "      gains: {kp: [1, 1, 1, 1, 1, 1], kd: [1, 1, 1, 1, 1, 1], gripper_kp: 900}", path: "arms[1].pld_arm.gains.gripper_kp", marker: "gains:"),
        insert(after: yam, "      gains: {kp: [1, 1, 1, 1, 1, 1], kd: [1, 1, 1, 1, 1, 1], gripper_kd: -1}", path: "arms[1].pld_arm.gains.gripper_kd", marker: "gains:"),
        ErrorCase(name: "no joints", edits: [Edit("joint_names: [j1, j2, j3, j4, j5, j6]", "joint_names: []")],
                  path: "arms[1].pld_arm.joint_names", message: "must list at least one joint", lineOf: "joint_names"),
        insert(after: frankaSegment, "      rotation_rad_per_unit: 4", path: "action_space.segments[0].rotation_rad_per_unit"),
        insert(after: yamSegment, "      joint_rad_per_unit: 0", path: "action_space.segments[1].joint_rad_per_unit"),
        insert(after: yamSegment, "      gripper: {binarize_threshold: 1.5}", path: "action_space.segments[1].gripper.binarize_threshold", marker: "binarize_threshold"),
        insert(after: safety, "  action_box: {high: 0}", path: "safety.action_box.high", marker: "action_box"),
        insert(after: safety, "  max_step: {rotation_rad: 0}", path: "safety.max_step.rotation_rad", marker: "max_step"),
        insert(after: safety, "  max_step: {joint_rad: 1}", path: "safety.max_step.joint_rad", marker: "max_step"),
        insert(after: safety, "  joint_acceleration_fraction: 0", path: "safety.joint_acceleration_fraction"),
        ErrorCase(name: "workspace beyond reach", edits: [Edit("max_m: [0.8, 0.4, 0.6]", "max_m: [0.8, 0.4, 6]")],
                  path: "safety.workspaces[0].max_m[2]", message: "must be in [-3, 3] m", lineOf: "max_m"),
        insert(after: camera, "    max_age_s: 0", path: "cameras[0].max_age_s"),
        ErrorCase(name: "camera height", edits: [Edit("    height: 240\n", "    height: 9000\n")],
                  path: "cameras[0].height", message: "must be in [1, 8192]", lineOf: "height: 9000"),
        ErrorCase(name: "feature dims", edits: [Edit("    dims: 3\n", "    dims: 0\n")],
                  path: "features[0].dims", message: "must be in [1, 4096]", lineOf: "dims: 0"),
        insert(after: feature, "    max_age_s: 11", path: "features[0].max_age_s"),
        insert(after: policy, "  connect_timeout_s: 0", path: "policy.connect_timeout_s"),
        insert(after: policy, "  reconnect: {multiplier: 0.5}", path: "policy.reconnect.multiplier", marker: "reconnect"),
        insert(after: policy, "  reconnect: {initial_s: 0}", path: "policy.reconnect.initial_s", marker: "reconnect"),
        ErrorCase(name: "action dim zero", edits: [Edit("  action_dim: 14", "  action_dim: 0")],
                  path: "policy.action_dim", message: "must be in [1, 256]", lineOf: "action_dim"),
        insert(after: policy, "  chunks: {execute_steps: 0}", path: "policy.chunks.execute_steps", marker: "chunks"),
        insert(after: policy, "  chunks: {max_chunk_age_s: 0}", path: "policy.chunks.max_chunk_age_s", marker: "chunks"),
        insert(after: policy, "  chunks: {ensembling: {enabled: true, decay_k: -1}}", path: "policy.chunks.ensembling.decay_k", marker: "chunks"),
        insert(after: policy, "  unnorm_key: bridge", path: "policy.unnorm_key", message: "only valid for kind openvla_rest"),
        insert(after: observation, "    prompt_key: ''", path: "policy.observation.prompt_key", message: "must not be empty"),
        insert(after: residual, "  hidden_layers: 0", path: "residual.hidden_layers"),
        insert(after: residual, "  hidden_units: 10000", path: "residual.hidden_units"),
        insert(after: residual, "  dimension_scale: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]", path: "residual.dimension_scale[13]"),
        ErrorCase(name: "learner target entropy", edits: [Edit("handoff:\n", "learner:\n  target_entropy: 500\nhandoff:\n")],
                  path: "learner.target_entropy", message: "must be in [-100, 100]", lineOf: "target_entropy:"),
        ErrorCase(name: "learner n-step", edits: [Edit("handoff:\n", "learner:\n  n_step: 0\nhandoff:\n")],
                  path: "learner.n_step", message: "must be in [1, 100]", lineOf: "n_step:"),
        insert(after: residual, "  dimension_scale: [1, 0]", path: "residual.dimension_scale", message: "has 2 values but the action space is 14 wide"),
        insert(after: handoff, "  seed: -1", path: "handoff.seed", message: "out of range"),
        insert(after: lift, "    retries: 101", path: "stages[0].retries"),
        ErrorCase(name: "debounce ticks", edits: [Edit("success: {classifier: block_up}", "success: {classifier: block_up, debounce_ticks: 0}")],
                  path: "stages[0].success.debounce_ticks", message: "must be in [1, 1000]", lineOf: "debounce_ticks"),
        ErrorCase(name: "waypoint duration", edits: [Edit("duration_s: 2}", "duration_s: 0}")],
                  path: "stages[1].motion[0].duration_s", message: "must be in (0, 120] s", lineOf: "duration_s"),
        ErrorCase(name: "waypoint gripper", edits: [Edit("duration_s: 2}", "duration_s: 2, gripper: 2}")],
                  path: "stages[1].motion[0].gripper", message: "must be in [0, 1]", lineOf: "duration_s"),
        insert(after: lift, "    gates: [{kind: joints_near, arm: yam, joints_rad: [0, 1, 1, 0, 0, 0], tolerance_rad: 2}]", path: "stages[0].gates[0].tolerance_rad", marker: "gates:"),
        insert(after: lift, "    gates: [{kind: classifier_above, classifier: block_up, threshold: 1}]", path: "stages[0].gates[0].threshold", marker: "gates:"),
        insert(after: reset, "  tolerance_rad: 0", path: "reset.tolerance_rad"),
        insert(after: reset, "  timeout_s: 0", path: "reset.timeout_s", marker: "  timeout_s: 0"),
        ErrorCase(name: "home gripper", edits: [Edit("{arm: yam, joints_rad: [0, 1, 1, 0, 0, 0]}\n", "{arm: yam, joints_rad: [0, 1, 1, 0, 0, 0], gripper: -1}\n")],
                  path: "reset.home[1].gripper", message: "must be in [0, 1]", lineOf: "gripper: -1"),
        ErrorCase(name: "classifier remote timeout", edits: [Edit("    kind: rules\n    rules:\n      - {source: feature.block_pose, index: 2, op: gt, value: 0.1}\n",
                                                                  "    kind: remote\n    endpoint: tcp://10.0.0.9:8500\n    inputs: [camera.wrist]\n    timeout_s: 60\n")],
                  path: "classifiers[0].timeout_s", message: "must be in (0, 30] s", lineOf: "timeout_s: 60"),
        ErrorCase(name: "output dir", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  output_dir: ''\n")],
                  path: "recording.output_dir", message: "must not be empty", lineOf: "output_dir"),
        ErrorCase(name: "raw video pixel format", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  video: {codec: raw, pixel_format: yuv420p}\n")],
                  path: "recording.video.pixel_format", message: "raw frames are stored as rgb24", lineOf: "video:"),
        ErrorCase(name: "svt-av1 crf", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  video: {codec: libsvtav1, crf: 64}\n")],
                  path: "recording.video.crf", message: "must be in [0, 63]", lineOf: "video:"),
        ErrorCase(name: "deadman timeout", edits: [Edit("recording:\n", "operator: {deadman_timeout_s: 0}\nrecording:\n")],
                  path: "operator.deadman_timeout_s", message: "must be in (0, 600] s", lineOf: "operator:"),
        ErrorCase(name: "status rate", edits: [Edit("recording:\n", "operator: {status_rate_hz: 1000}\nrecording:\n")],
                  path: "operator.status_rate_hz", message: "must be in (0, 100] Hz", lineOf: "operator:"),
        ErrorCase(name: "same operator endpoints", edits: [Edit("recording:\n", "operator: {control_endpoint: 'ipc:///tmp/pld-op', status_endpoint: 'ipc:///tmp/pld-op'}\nrecording:\n")],
                  path: "operator.status_endpoint", message: "must differ from control_endpoint", lineOf: "operator:"),
        ErrorCase(name: "fault policy stall", edits: [Edit("recording:\n", "operator: {faults: {policy_stall_s: 0}}\nrecording:\n")],
                  path: "operator.faults.policy_stall_s", message: "must be in (0, 600] s", lineOf: "operator:"),
        ErrorCase(name: "fault back-off cap below the back-off", edits: [Edit("recording:\n", "operator: {faults: {backoff_s: 10, backoff_max_s: 5}}\nrecording:\n")],
                  path: "operator.faults.backoff_max_s", message: "must be at least backoff_s", lineOf: "operator:"),
        ErrorCase(name: "fault max consecutive", edits: [Edit("recording:\n", "operator: {faults: {max_consecutive: 0}}\nrecording:\n")],
                  path: "operator.faults.max_consecutive", message: "must be in [1, 1000]", lineOf: "operator:"),
        ErrorCase(name: "camera freeze negative", edits: [Edit("recording:\n", "operator: {faults: {camera_freeze_s: -1}}\nrecording:\n")],
                  path: "operator.faults.camera_freeze_s", message: "must be in (0, 600] s", lineOf: "operator:"),
    ]
}()

@Suite struct RangeRuleTests {
    @Test(arguments: rangeRuleCases)
    func outOfRangeValueIsReportedAtItsField(_ errorCase: ErrorCase) throws {
        try expectConfigError(RobotConfig.self, errorCase, base: baseRobotYAML, file: "RobotConfigs/mixed_cell.yaml")
    }
}

@Suite struct ConfigValueParsingTests {
    @Test func endpointsParse() throws {
        let tcp = try Endpoint(configString: "tcp://[::1]:5555")
        #expect(tcp.transport == .tcp && tcp.host == "[::1]" && tcp.port == 5555)
        #expect(try Endpoint(configString: "tcp://*:5555").isWildcard)
        #expect(try Endpoint(configString: "ipc:///run/user/1000/pld/x/control.sock").path == "/run/user/1000/pld/x/control.sock")
        #expect(try Endpoint(configString: "inproc://egress").transport == .inproc)
        for bad in ["", "tcp://", "tcp://host", "tcp://host:0", "tcp://::1:5555", "udp://host:1", "tcp://host :1", "ipc://", "inproc://"] {
            #expect(throws: ConfigValueError.self, "\(bad)") { try Endpoint(configString: bad) }
        }
    }

    @Test func serviceURLsParse() throws {
        let url = try ServiceURL(configString: "http://gpu-box:8777/act")
        #expect(url.scheme == .http && url.host == "gpu-box" && url.port == 8777 && url.path == "/act")
        #expect(try ServiceURL(configString: "wss://policy.example.org").port == nil)
        for bad in ["gpu-box:8000", "ws://", "ws://host:99999", "grpc://host:1"] {
            #expect(throws: ConfigValueError.self, "\(bad)") { try ServiceURL(configString: bad) }
        }
    }

    @Test func defaultOperatorEndpointResolvesUnderTheRuntimeDirectory() throws {
        let endpoint = OperatorEndpoint.localDefault.resolved(runtimeDirectory: "/run/user/1000", configName: "franka_sim_cube", socket: "control")
        #expect(endpoint.configString == "ipc:///run/user/1000/pld/franka_sim_cube/control.sock")
        let explicit = try OperatorEndpoint(configString: "tcp://0.0.0.0:7000")
        #expect(explicit.resolved(runtimeDirectory: "/x", configName: "y", socket: "control").port == 7000)
    }

    @Test func propertyNamesMapToSnakeCaseKeys() {
        #expect(ConfigKeyStyle.yamlKey(forProperty: "rateHz") == "rate_hz")
        #expect(ConfigKeyStyle.yamlKey(forProperty: "spinBeforeDeadlineUs") == "spin_before_deadline_us")
        #expect(ConfigKeyStyle.yamlKey(forProperty: "accelerationRadPerS2") == "acceleration_rad_per_s2")
        #expect(ConfigKeyStyle.yamlKey(forProperty: "xi") == "xi")
        #expect(ConfigKeyStyle.suggestion(for: "rateHz", among: ["rate_hz", "max_episode_steps"]) == "rate_hz")
        #expect(ConfigKeyStyle.suggestion(for: "colour", among: ["rate_hz", "max_episode_steps"]) == nil)
    }

    @Test func sourceReferencesRoundTrip() throws {
        for text in ["arm.left.joint_position", "camera.top", "feature.task_state", "arm.franka.ee_quaternion"] {
            #expect(try ObservationSource(configString: text).configString == text)
        }
        for bad in ["arm.left", "camera", "camera.top.extra", "feature.", "arm..joint_position", "joint.left.x"] {
            #expect(throws: ConfigValueError.self, "\(bad)") { try ObservationSource(configString: bad) }
        }
    }
}
