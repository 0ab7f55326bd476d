import Foundation
import PLDCore
import Testing

/// Decoding errors: the YAML is well-formed but does not fit the model.
let decodingErrorCases: [ErrorCase] = [
    ErrorCase(name: "unknown key suggests the near miss",
              edits: [Edit("  max_episode_steps: 400\n", "  max_episode_steps: 400\n  rate_hzz: 5\n")],
              path: "control.rate_hzz", message: "did you mean `rate_hz`?", lineOf: "rate_hzz"),
    ErrorCase(name: "unknown top-level key suggests the near miss",
              edits: [Edit("recording:\n", "stagess: []\nrecording:\n")],
              path: "stagess", message: "did you mean `stages`?", lineOf: "stagess"),
    ErrorCase(name: "unknown key without a near miss lists the known keys",
              edits: [Edit("    dims: 3\n", "    dims: 3\n    colour: red\n")],
              path: "features[0].colour", message: "known keys: name, endpoint, dims", lineOf: "colour"),
    ErrorCase(name: "unknown key in a type with the synthesized decoder",
              edits: [Edit("      max_m: [0.8, 0.4, 0.6]\n", "      max_m: [0.8, 0.4, 0.6]\n      margin_m: 0.1\n")],
              path: "safety.workspaces[0].margin_m", message: "known keys: arm, min_m, max_m", lineOf: "margin_m"),
    ErrorCase(name: "missing field in a type with the synthesized decoder",
              edits: [Edit("    - arm: franka\n      min_m: [0.2, -0.4, 0.0]\n", "    - arm:  franka\n")],
              path: "safety.workspaces[0].min_m", message: "missing required field `min_m`", lineOf: "arm:  franka"),
    ErrorCase(name: "camelCase key is unknown and suggests snake_case",
              edits: [Edit("  rate_hz: 20\n", "  rateHz: 20\n")],
              path: "control.rateHz", message: "did you mean `rate_hz`?", lineOf: "rateHz"),
    ErrorCase(name: "misspelt required key is reported as unknown",
              edits: [Edit("      nuc_host: 127.0.0.1", "      nuc_hots: 127.0.0.1")],
              path: "arms[0].franka.nuc_hots", message: "did you mean `nuc_host`?", lineOf: "nuc_hots"),
    ErrorCase(name: "missing required field",
              edits: [Edit("  max_episode_steps: 400\n", "")],
              path: "control.max_episode_steps", message: "missing required field `max_episode_steps`", lineOf: "control:"),
    ErrorCase(name: "missing top-level section",
              edits: [Edit("task: stack the blocks\n", "")],
              path: "task", message: "missing required field `task`", lineOf: nil),
    ErrorCase(name: "missing kind-specific section",
              edits: [Edit("    franka:\n      nuc_host: 127.0.0.1\n      pc_bind_address: 127.0.0.1\n", "")],
              path: "arms[0].franka", message: "kind franka_deoxys needs a franka section", lineOf: "- name: franka"),
    ErrorCase(name: "string where a number is expected",
              edits: [Edit("  rate_hz: 20\n", "  rate_hz: fast\n")],
              path: "control.rate_hz", message: "expected a number, found \"fast\"", lineOf: "rate_hz"),
    ErrorCase(name: "quoted number is a string",
              edits: [Edit("  rate_hz: 20\n", "  rate_hz: \"20\"\n")],
              path: "control.rate_hz", message: "found the quoted string \"20\"", lineOf: "rate_hz"),
    ErrorCase(name: "null where a number is expected",
              edits: [Edit("  rate_hz: 20\n", "  rate_hz:\n")],
              path: "control.rate_hz", message: "expected a number, found null", lineOf: "rate_hz"),
    ErrorCase(name: "scalar where a list is expected",
              edits: [Edit("      lower_rad: [-2.8, -1.7, -2.8, -3.0, -2.8, 0.0, -2.8]", "      lower_rad: 5")],
              path: "arms[0].joint_limits.lower_rad", message: "expected a list, found 5", lineOf: "lower_rad: 5"),
    ErrorCase(name: "list where an integer is expected",
              edits: [Edit("  max_episode_steps: 400", "  max_episode_steps: [400]")],
              path: "control.max_episode_steps", message: "expected an integer, found a list", lineOf: "max_episode_steps"),
    ErrorCase(name: "mapping where a string is expected",
              edits: [Edit("task: stack the blocks", "task: {a: 1}")],
              path: "task", message: "expected a string, found a mapping", lineOf: "task:"),
    ErrorCase(name: "scalar where a mapping is expected",
              edits: [Edit("handoff:\n  mode: uniform\n  alpha: 0.6\n", "handoff: uniform\n")],
              path: "handoff", message: "expected a mapping, found \"uniform\"", lineOf: "handoff:"),
    ErrorCase(name: "fraction where an integer is expected",
              edits: [Edit("  max_episode_steps: 400", "  max_episode_steps: 400.5")],
              path: "control.max_episode_steps", message: "expected an integer, found 400.5", lineOf: "max_episode_steps"),
    ErrorCase(name: "integer overflow",
              edits: [Edit("  max_episode_steps: 400", "  max_episode_steps: 99999999999999999999999")],
              path: "control.max_episode_steps", message: "out of range", lineOf: "max_episode_steps"),
    ErrorCase(name: "yes is not a boolean",
              edits: [Edit("  enabled: true\n", "  enabled: yes\n")],
              path: "residual.enabled", message: "expected true or false, found \"yes\"", lineOf: "enabled: yes"),
    ErrorCase(name: "infinite number",
              edits: [Edit("  alpha: 0.6", "  alpha: .inf")],
              path: "handoff.alpha", message: "expected a finite number", lineOf: "alpha"),
    ErrorCase(name: "bad enum lists allowed values",
              edits: [Edit("      kind: ee_delta", "      kind: ee_deltas")],
              path: "action_space.segments[0].kind", message: "invalid value \"ee_deltas\"; expected one of: ee_delta, joint_position", lineOf: "ee_deltas"),
    ErrorCase(name: "bad arm kind lists allowed values",
              edits: [Edit("    kind: franka_deoxys", "    kind: franka")],
              path: "arms[0].kind", message: "expected one of: franka_deoxys, pld_arm", lineOf: "kind: franka"),
    ErrorCase(name: "bad enum inside a list",
              edits: [Edit("op: gt", "op: greater")],
              path: "classifiers[0].rules[0].op", message: "expected one of: lt, le, gt, ge", lineOf: "op: greater"),
    ErrorCase(name: "endpoint without scheme",
              edits: [Edit("state_endpoint: tcp://127.0.0.1:7001", "state_endpoint: tcp//127.0.0.1:7001")],
              path: "arms[1].pld_arm.state_endpoint", message: "expected tcp://host:port, ipc://path or inproc://name", lineOf: "state_endpoint"),
    ErrorCase(name: "endpoint with port out of range",
              edits: [Edit("state_endpoint: tcp://127.0.0.1:7001", "state_endpoint: tcp://127.0.0.1:70001")],
              path: "arms[1].pld_arm.state_endpoint", message: "port must be an integer in [1, 65535]", lineOf: "state_endpoint"),
    ErrorCase(name: "tcp endpoint without port",
              edits: [Edit("    endpoint: tcp://127.0.0.1:7010", "    endpoint: tcp://camera-host")],
              path: "cameras[0].endpoint", message: "tcp endpoints need a port", lineOf: "camera-host"),
    ErrorCase(name: "ipc path too long for a Unix socket",
              edits: [Edit("ipc:///tmp/pld-test-yam-control", "ipc:///tmp/" + String(repeating: "x", count: 120))],
              path: "arms[1].pld_arm.control_endpoint", message: "Unix socket paths are limited to 107", lineOf: "control_endpoint"),
    ErrorCase(name: "bad observation source reference",
              edits: [Edit("from: [camera.wrist]", "from: [cam.wrist]")],
              path: "policy.observation.inputs[0].from[0]", message: "expected arm.<arm>.<field>, camera.<camera> or feature.<feature>", lineOf: "cam.wrist"),
    ErrorCase(name: "unknown arm field in a source reference",
              edits: [Edit("inputs: [arm.franka.joint_position, feature.block_pose]", "inputs: [arm.franka.joint_torque, feature.block_pose]")],
              path: "residual.inputs[0]", message: "unknown arm field `joint_torque`", lineOf: "joint_torque"),
    ErrorCase(name: "policy URL with unsupported scheme",
              edits: [Edit("url: ws://127.0.0.1:7020", "url: ftp://127.0.0.1:7020")],
              path: "policy.url", message: "unsupported URL scheme", lineOf: "ftp://"),
    ErrorCase(name: "bad transition word",
              edits: [Edit("on_success: place", "on_success: Place!")],
              path: "stages[0].on_success", message: "expected next, retry, succeed, fail, restart, abort or a stage name", lineOf: "Place!"),
    ErrorCase(name: "merge keys are refused",
              edits: [Edit("handoff:\n  mode: uniform\n", "handoff:\n  <<: {seed: 1}\n  mode: uniform\n")],
              path: "handoff.<<", message: "merge keys", lineOf: "<<"),
    ErrorCase(name: "unsupported tag",
              edits: [Edit("task: stack the blocks", "task: !python/object stack")],
              path: "task", message: "unsupported YAML tag", lineOf: "task:"),
]

/// Structural errors found by the YAML layer before decoding.
let yamlErrorCases: [ErrorCase] = [
    ErrorCase(name: "duplicate key names the path and both lines",
              edits: [Edit("  max_episode_steps: 400\n", "  max_episode_steps: 400\n  rate_hz: 30\n")],
              path: "control.rate_hz", message: "duplicate key `rate_hz` (first written on line 5)", lineOf: "rate_hz: 30"),
    ErrorCase(name: "duplicate key inside a list element",
              edits: [Edit("    width: 320\n", "    width: 320\n    width: 640\n")],
              path: "cameras[0].width", message: "duplicate key `width`", lineOf: "width: 640"),
    ErrorCase(name: "unclosed flow sequence",
              edits: [Edit("    dims: 3\n", "    dims: [3\n")],
              path: "", message: "YAML syntax error", lineOf: nil),
    ErrorCase(name: "tab indentation",
              edits: [Edit("  rate_hz: 20\n", "\trate_hz: 20\n")],
              path: "", message: "YAML syntax error", lineOf: "rate_hz"),
    ErrorCase(name: "bad indentation",
              edits: [Edit("  max_episode_steps: 400\n", "   max_episode_steps: 400\n")],
              path: "", message: "YAML syntax error", lineOf: "max_episode_steps"),
    ErrorCase(name: "second document",
              edits: [Edit("recording:\n", "---\nrecording:\n")],
              path: "", message: "expected a single YAML document", lineOf: nil),
    ErrorCase(name: "undefined alias",
              edits: [Edit("  alpha: 0.6", "  alpha: *nowhere")],
              path: "", message: "YAML syntax error", lineOf: "nowhere"),
    ErrorCase(name: "complex mapping key",
              edits: [Edit("recording:\n", "? [a, b]\n: 1\nrecording:\n")],
              path: "", message: "mapping keys must be plain names", lineOf: "? [a, b]"),
]

/// Validation errors: decodes fine, but a range or cross-field rule fails.
let validationErrorCases: [ErrorCase] = [
    // Identity.
    ErrorCase(name: "invalid config name", edits: [Edit("name: mixed_cell", "name: Mixed Cell")],
              path: "name", message: "invalid name", lineOf: "name: Mixed"),
    ErrorCase(name: "empty task", edits: [Edit("task: stack the blocks", "task: ''")],
              path: "task", message: "must not be empty", lineOf: "task:"),
    // Control.
    ErrorCase(name: "rate zero", edits: [Edit("  rate_hz: 20\n", "  rate_hz: 0\n")],
              path: "control.rate_hz", message: "must be in (0, 1000] Hz, found 0", lineOf: "rate_hz"),
    ErrorCase(name: "rate above 1 kHz", edits: [Edit("  rate_hz: 20\n", "  rate_hz: 1001\n")],
              path: "control.rate_hz", message: "must be in (0, 1000] Hz, found 1001", lineOf: "rate_hz"),
    ErrorCase(name: "zero episode steps", edits: [Edit("  max_episode_steps: 400", "  max_episode_steps: 0")],
              path: "control.max_episode_steps", message: "must be in [1, 10000000]", lineOf: "max_episode_steps"),
    ErrorCase(name: "realtime priority out of range",
              edits: [Edit("  max_episode_steps: 400\n", "  max_episode_steps: 400\n  realtime: {sched_fifo: true, priority: 0}\n")],
              path: "control.realtime.priority", message: "must be in [1, 99]", lineOf: "realtime:"),
    ErrorCase(name: "spin longer than the period",
              edits: [Edit("  max_episode_steps: 400\n", "  max_episode_steps: 400\n  realtime:\n    spin_before_deadline_us: 60000\n")],
              path: "control.realtime.spin_before_deadline_us", message: "less than the tick period", lineOf: "spin_before"),
    ErrorCase(name: "cpu listed twice",
              edits: [Edit("  max_episode_steps: 400\n", "  max_episode_steps: 400\n  realtime:\n    cpu_affinity: [1, 1]\n")],
              path: "control.realtime.cpu_affinity", message: "more than once", lineOf: "cpu_affinity"),
    // Arms.
    ErrorCase(name: "duplicate arm name", edits: [Edit("  - name: yam\n", "  - name: franka\n")],
              path: "arms[1].name", message: "duplicate arm name `franka`", lineOf: nil),
    ErrorCase(name: "lower limit above upper",
              edits: [Edit("      lower_rad: [-2.8, -1.7, -2.8, -3.0, -2.8, 0.0, -2.8]", "      lower_rad: [2.9, -1.7, -2.8, -3.0, -2.8, 0.0, -2.8]")],
              path: "arms[0].joint_limits.upper_rad[0]", message: "must be greater than lower_rad[0]", lineOf: "upper_rad: [2.8"),
    ErrorCase(name: "joint limit vector too short",
              edits: [Edit("      lower_rad: [-2.8, -1.7, -2.8, -3.0, -2.8, 0.0, -2.8]", "      lower_rad: [-2.8, -1.7, -2.8, -3.0, -2.8, 0.0]")],
              path: "arms[0].joint_limits.lower_rad", message: "expected 7 values (one per joint), found 6", lineOf: "lower_rad: [-2.8"),
    ErrorCase(name: "pld arm limits must match its joint names",
              edits: [Edit("joint_names: [j1, j2, j3, j4, j5, j6]", "joint_names: [j1, j2, j3, j4, j5]")],
              path: "arms[1].joint_limits.lower_rad", message: "expected 5 values (one per joint), found 6", lineOf: "lower_rad: [-2.6"),
    ErrorCase(name: "non-positive velocity limit",
              edits: [Edit("velocity_rad_per_s: [2, 2, 2, 3, 3, 3]", "velocity_rad_per_s: [2, 2, 2, 3, 3, 0]")],
              path: "arms[1].joint_limits.velocity_rad_per_s[5]", message: "must be in (0, 20] rad/s, found 0", lineOf: "velocity_rad_per_s: [2, 2, 2, 3"),
    ErrorCase(name: "state timeout zero",
              edits: [Edit("    kind: pld_arm\n", "    kind: pld_arm\n    state_timeout_s: 0\n")],
              path: "arms[1].state_timeout_s", message: "must be in (0, 10] s", lineOf: "state_timeout_s"),
    ErrorCase(name: "section for the other kind",
              edits: [Edit("    kind: pld_arm\n", "    kind: pld_arm\n    franka: {nuc_host: 10.0.0.2}\n")],
              path: "arms[1].franka", message: "only valid for kind franka_deoxys", lineOf: "nuc_host: 10.0.0.2"),
    // Franka.
    ErrorCase(name: "interpolator fraction at the NUC floor",
              edits: [Edit("      pc_bind_address: 127.0.0.1\n", "      pc_bind_address: 127.0.0.1\n      traj_interpolator_time_fraction: 0.1\n")],
              path: "arms[0].franka.traj_interpolator_time_fraction", message: "must be greater than 0.1", lineOf: "traj_interpolator"),
    ErrorCase(name: "duplicate deoxys ports",
              edits: [Edit("      pc_bind_address: 127.0.0.1\n", "      pc_bind_address: 127.0.0.1\n      ports: {arm_state: 5555}\n")],
              path: "arms[0].franka.ports.arm_state", message: "port 5555 is also used by arm_command", lineOf: "ports:"),
    ErrorCase(name: "OSC stiffness with two values",
              edits: [Edit("      pc_bind_address: 127.0.0.1\n", "      pc_bind_address: 127.0.0.1\n      osc:\n        translational_stiffness: [150, 150]\n")],
              path: "arms[0].franka.osc.translational_stiffness", message: "expected 3 values (x, y, z), found 2", lineOf: "translational_stiffness"),
    ErrorCase(name: "residual mass with six values",
              edits: [Edit("      pc_bind_address: 127.0.0.1\n", "      pc_bind_address: 127.0.0.1\n      osc:\n        residual_mass: [0, 0, 0, 0, 0.1, 0.5]\n")],
              path: "arms[0].franka.osc.residual_mass", message: "expected 7 values", lineOf: "residual_mass"),
    ErrorCase(name: "estimator alpha above one",
              edits: [Edit("      pc_bind_address: 127.0.0.1\n", "      pc_bind_address: 127.0.0.1\n      state_estimator: {alpha_q: 1.5}\n")],
              path: "arms[0].franka.state_estimator.alpha_q", message: "must be in [0, 1]", lineOf: "state_estimator"),
    ErrorCase(name: "grasp force beyond the Franka Hand",
              edits: [Edit("      pc_bind_address: 127.0.0.1\n", "      pc_bind_address: 127.0.0.1\n      gripper:\n        grasp_force_n: 200\n")],
              path: "arms[0].franka.gripper.grasp_force_n", message: "must be in (0, 140] N", lineOf: "grasp_force_n"),
    ErrorCase(name: "tick slower than the NUC poll",
              edits: [Edit("      pc_bind_address: 127.0.0.1\n", "      pc_bind_address: 127.0.0.1\n      policy_rate_hz: 40\n")],
              path: "arms[0].franka.policy_rate_hz", message: "tick at least as fast as the NUC polls", lineOf: "policy_rate_hz"),
    ErrorCase(name: "wildcard NUC host",
              edits: [Edit("      nuc_host: 127.0.0.1", "      nuc_host: '*'")],
              path: "arms[0].franka.nuc_host", message: "expected a host name or IP address", lineOf: "nuc_host"),
    // PLD arm.
    ErrorCase(name: "command timeout shorter than the tick",
              edits: [Edit("      joint_names: [j1, j2, j3, j4, j5, j6]\n", "      joint_names: [j1, j2, j3, j4, j5, j6]\n      command_timeout_s: 0.04\n")],
              path: "arms[1].pld_arm.command_timeout_s", message: "must exceed the tick period (0.05 s at 20 Hz)", lineOf: "command_timeout_s"),
    ErrorCase(name: "command timeout not below motor timeout",
              edits: [Edit("      joint_names: [j1, j2, j3, j4, j5, j6]\n", "      joint_names: [j1, j2, j3, j4, j5, j6]\n      command_timeout_s: 0.3\n")],
              path: "arms[1].pld_arm.command_timeout_s", message: "must be shorter than motor_timeout_s", lineOf: "command_timeout_s"),
    ErrorCase(name: "wildcard state endpoint",
              edits: [Edit("state_endpoint: tcp://127.0.0.1:7001", "state_endpoint: tcp://*:7001")],
              path: "arms[1].pld_arm.state_endpoint", message: "`*` can only be bound", lineOf: "state_endpoint"),
    ErrorCase(name: "duplicate joint names",
              edits: [Edit("joint_names: [j1, j2, j3, j4, j5, j6]", "joint_names: [j1, j2, j3, j4, j5, j5]")],
              path: "arms[1].pld_arm.joint_names", message: "must be unique", lineOf: "joint_names"),
    ErrorCase(name: "gains with the wrong length",
              edits: [Edit("      joint_names: [j1, j2, j3, j4, j5, j6]\n", "      joint_names: [j1, j2, j3, j4, j5, j6]\n      gains: {kp: [80, 80, 80, 10, 10], kd: [5, 5, 5, 1.5, 1.5, 1.5]}\n")],
              path: "arms[1].pld_arm.gains.kp", message: "expected 6 values (one per joint), found 5", lineOf: "gains:"),
    ErrorCase(name: "gain beyond the motor encoding",
              edits: [Edit("      joint_names: [j1, j2, j3, j4, j5, j6]\n", "      joint_names: [j1, j2, j3, j4, j5, j6]\n      gains: {kp: [80, 80, 80, 10, 10, 600], kd: [5, 5, 5, 1.5, 1.5, 1.5]}\n")],
              path: "arms[1].pld_arm.gains.kp[5]", message: "must be in [0, 500]", lineOf: "gains:"),
    // Action space.
    ErrorCase(name: "dangling arm in an action segment",
              edits: [Edit("    - arm: franka\n      kind: ee_delta", "    - arm: frank\n      kind: ee_delta")],
              path: "action_space.segments[0].arm", message: "no arm named `frank`; arms are: franka, yam", lineOf: "arm: frank"),
    ErrorCase(name: "ee_delta with a joint controller",
              edits: [Edit("      pc_bind_address: 127.0.0.1\n", "      pc_bind_address: 127.0.0.1\n      controller: joint_impedance\n")],
              path: "action_space.segments[0].kind", message: "ee_delta actions need an osc_pose or osc_position controller", lineOf: "kind: ee_delta"),
    ErrorCase(name: "ee_delta on a PLD arm",
              edits: [Edit("      kind: joint_position\n", "      kind: ee_delta\n")],
              path: "action_space.segments[1].kind", message: "pld_arm arms take joint_position actions", lineOf: nil),
    ErrorCase(name: "scale for the other segment kind",
              edits: [Edit("      kind: joint_position\n", "      kind: joint_position\n      translation_m_per_unit: 0.05\n")],
              path: "action_space.segments[1].translation_m_per_unit", message: "only valid for kind ee_delta", lineOf: "translation_m_per_unit"),
    ErrorCase(name: "translation scale out of range",
              edits: [Edit("      kind: ee_delta\n", "      kind: ee_delta\n      translation_m_per_unit: 2\n")],
              path: "action_space.segments[0].translation_m_per_unit", message: "must be in (0, 0.5] m", lineOf: "translation_m_per_unit"),
    ErrorCase(name: "arm without a segment",
              edits: [Edit("    - arm: yam\n      kind: joint_position\n", "")],
              path: "action_space.segments", message: "arm `yam` has no action segment", lineOf: "segments:"),
    ErrorCase(name: "policy action width differs from the action space",
              edits: [Edit("  action_dim: 14", "  action_dim: 13")],
              path: "policy.action_dim", message: "is 13 but the action space is 14 wide", lineOf: "action_dim"),
    // Safety.
    ErrorCase(name: "ee_delta arm without a workspace",
              edits: [Edit("  workspaces:\n    - arm: franka\n      min_m: [0.2, -0.4, 0.0]\n      max_m: [0.8, 0.4, 0.6]\n", "  nan_policy: hold\n")],
              path: "safety.workspaces", message: "arm `franka` moves in ee_delta but has no workspace box", lineOf: "safety:"),
    ErrorCase(name: "workspace min above max",
              edits: [Edit("      min_m: [0.2, -0.4, 0.0]", "      min_m: [0.9, -0.4, 0.0]")],
              path: "safety.workspaces[0].max_m[0]", message: "must be greater than min_m[0]", lineOf: "max_m"),
    ErrorCase(name: "workspace with two coordinates",
              edits: [Edit("      min_m: [0.2, -0.4, 0.0]", "      min_m: [0.2, -0.4]")],
              path: "safety.workspaces[0].min_m", message: "expected 3 values (x, y, z), found 2", lineOf: "min_m"),
    ErrorCase(name: "dangling arm in a workspace",
              edits: [Edit("    - arm: franka\n      min_m", "    - arm: panda\n      min_m")],
              path: "safety.workspaces[0].arm", message: "no arm named `panda`", lineOf: "arm: panda"),
    ErrorCase(name: "action box wider than normalised",
              edits: [Edit("safety:\n", "safety:\n  action_box: {low: -2, high: 1}\n")],
              path: "safety.action_box.low", message: "must be in [-1, 0)", lineOf: "action_box"),
    ErrorCase(name: "step cap too large",
              edits: [Edit("safety:\n", "safety:\n  max_step:\n    translation_m: 0.5\n")],
              path: "safety.max_step.translation_m", message: "must be in (0, 0.1] m", lineOf: "translation_m: 0.5"),
    ErrorCase(name: "joint limit margin too large",
              edits: [Edit("safety:\n", "safety:\n  joint_limits: {margin_rad: 0.6}\n")],
              path: "safety.joint_limits.margin_rad", message: "must be in [0, 0.5) rad", lineOf: "margin_rad"),
    ErrorCase(name: "velocity fraction above one",
              edits: [Edit("safety:\n", "safety:\n  joint_velocity_fraction: 1.5\n")],
              path: "safety.joint_velocity_fraction", message: "must be in (0, 1]", lineOf: "joint_velocity_fraction"),
    ErrorCase(name: "driver limits for a Franka",
              edits: [Edit("safety:\n", "safety:\n  joint_limits: {source: driver}\n")],
              path: "safety.joint_limits.source", message: "reports no limits", lineOf: "source: driver"),
    ErrorCase(name: "fatal event listed twice",
              edits: [Edit("safety:\n", "safety:\n  fatal_events: [driver_fault, driver_fault]\n")],
              path: "safety.fatal_events", message: "more than once", lineOf: "fatal_events"),
    // Sensors.
    ErrorCase(name: "camera width zero", edits: [Edit("    width: 320", "    width: 0")],
              path: "cameras[0].width", message: "must be in [1, 8192] px", lineOf: "width: 0"),
    ErrorCase(name: "feature labels do not match dims",
              edits: [Edit("    dims: 3\n", "    dims: 3\n    labels: [x, y]\n")],
              path: "features[0].labels", message: "expected 3 values (one per value), found 2", lineOf: "labels"),
    ErrorCase(name: "camera and feature on one port",
              edits: [Edit("endpoint: tcp://127.0.0.1:7011", "endpoint: tcp://localhost:7010")],
              path: "features[0].endpoint", message: "port 7010 on localhost is already used by cameras[0].endpoint", lineOf: "localhost:7010"),
    // Policy.
    ErrorCase(name: "openpi with an http URL", edits: [Edit("url: ws://127.0.0.1:7020", "url: http://127.0.0.1:7020")],
              path: "policy.url", message: "an openpi server needs a ws:// or wss:// URL", lineOf: "url:"),
    ErrorCase(name: "dangling camera in an observation input", edits: [Edit("from: [camera.wrist]", "from: [camera.top]")],
              path: "policy.observation.inputs[0].from[0]", message: "no camera named `top`; cameras are: wrist", lineOf: "camera.top"),
    ErrorCase(name: "image input with two sources", edits: [Edit("from: [camera.wrist]", "from: [camera.wrist, arm.yam.joint_position]")],
              path: "policy.observation.inputs[0].from", message: "exactly one camera source", lineOf: "from: [camera.wrist,"),
    ErrorCase(name: "droid layout rejects foreign keys", edits: [Edit("layout: custom", "layout: droid")],
              path: "policy.observation.inputs[0].key", message: "`image` is not a key of the droid layout", lineOf: "key: image"),
    ErrorCase(name: "droid layout needs its keys",
              edits: [Edit("layout: custom", "layout: droid"),
                      Edit("      - key: image\n        from: [camera.wrist]\n      - key: state\n        from: [arm.franka.joint_position, arm.yam.joint_position]\n",
                           "      - key: observation/exterior_image_1_left\n        from: [camera.wrist]\n")],
              path: "policy.observation.inputs", message: "the droid layout needs an input with key `observation/wrist_image_left`", lineOf: "    inputs:"),
    ErrorCase(name: "droid state width", edits: [Edit("layout: custom", "layout: droid"),
                                                 Edit("      - key: image\n        from: [camera.wrist]\n      - key: state\n        from: [arm.franka.joint_position, arm.yam.joint_position]\n",
                                                      """
                                                            - key: observation/exterior_image_1_left
                                                              from: [camera.wrist]
                                                            - key: observation/wrist_image_left
                                                              from: [camera.wrist]
                                                            - key: observation/joint_position
                                                              from: [arm.yam.joint_position]
                                                            - key: observation/gripper_position
                                                              from: [arm.yam.gripper_position]

                                                      """)],
              path: "policy.observation.inputs[2].from", message: "must be 7 values wide in the droid layout, these sources give 6", lineOf: "from: [arm.yam.joint_position]"),
    ErrorCase(name: "duplicate observation key", edits: [Edit("      - key: state\n", "      - key: image\n")],
              path: "policy.observation.inputs[1].key", message: "already sent by inputs[0]", lineOf: nil),
    ErrorCase(name: "image size too small", edits: [Edit("    layout: custom\n", "    layout: custom\n    image_size: 8\n")],
              path: "policy.observation.image_size", message: "must be in [16, 1024] px", lineOf: "image_size"),
    ErrorCase(name: "refill threshold not below execute steps",
              edits: [Edit("  action_dim: 14\n", "  action_dim: 14\n  chunks: {execute_steps: 4, refill_threshold_steps: 4}\n")],
              path: "policy.chunks.refill_threshold_steps", message: "must be less than execute_steps (4)", lineOf: "chunks:"),
    ErrorCase(name: "backoff cap below initial",
              edits: [Edit("  action_dim: 14\n", "  action_dim: 14\n  reconnect: {initial_s: 5, max_s: 1}\n")],
              path: "policy.reconnect.max_s", message: "must be at least initial_s", lineOf: "reconnect:"),
    ErrorCase(name: "zero request timeout",
              edits: [Edit("  action_dim: 14\n", "  action_dim: 14\n  request_timeout_s: 0\n")],
              path: "policy.request_timeout_s", message: "must be in (0, 120] s", lineOf: "request_timeout_s"),
    // Residual and handoff.
    ErrorCase(name: "xi above one", edits: [Edit("  enabled: true\n", "  enabled: true\n  xi: 1.5\n")],
              path: "residual.xi", message: "must be in [0, 1], found 1.5", lineOf: "xi:"),
    ErrorCase(name: "residual weights not safetensors", edits: [Edit("  enabled: true\n", "  enabled: true\n  weights_path: residual.pt\n")],
              path: "residual.weights_path", message: "expected a .safetensors file", lineOf: "weights_path"),
    ErrorCase(name: "dangling feature in residual inputs", edits: [Edit("feature.block_pose]", "feature.cube_pose]")],
              path: "residual.inputs[1]", message: "no feature named `cube_pose`; features are: block_pose", lineOf: "feature.cube_pose"),
    ErrorCase(name: "enabled residual without inputs",
              edits: [Edit("  inputs: [arm.franka.joint_position, feature.block_pose]\n", "")],
              path: "residual.inputs", message: "needs at least one state input", lineOf: "residual:"),
    ErrorCase(name: "alpha negative", edits: [Edit("  alpha: 0.6", "  alpha: -0.1")],
              path: "handoff.alpha", message: "must be in [0, 1], found -0.1", lineOf: "alpha"),
    ErrorCase(name: "fixed handoff without a step", edits: [Edit("  mode: uniform", "  mode: fixed")],
              path: "handoff.fixed_step", message: "mode fixed needs fixed_step", lineOf: "handoff:"),
    ErrorCase(name: "fixed step beyond the episode", edits: [Edit("  mode: uniform", "  mode: fixed\n  fixed_step: 400")],
              path: "handoff.fixed_step", message: "must be in [0, 400)", lineOf: "fixed_step"),
    ErrorCase(name: "fixed step with another mode", edits: [Edit("  mode: uniform", "  mode: uniform\n  fixed_step: 10")],
              path: "handoff.fixed_step", message: "only valid with mode fixed", lineOf: "fixed_step"),
    // Classifiers and stages.
    ErrorCase(name: "rule index beyond the feature", edits: [Edit("index: 2, op: gt", "index: 5, op: gt")],
              path: "classifiers[0].rules[0].index", message: "must be in [0, 3)", lineOf: "index: 5"),
    ErrorCase(name: "mlp classifier without weights", edits: [Edit("    kind: rules\n    rules:\n      - {source: feature.block_pose, index: 2, op: gt, value: 0.1}\n", "    kind: mlp\n    inputs: [camera.wrist]\n")],
              path: "classifiers[0].weights_path", message: "an mlp classifier needs weights_path", lineOf: "- name: block_up"),
    ErrorCase(name: "dangling classifier in a stage", edits: [Edit("success: {classifier: block_up}", "success: {classifier: block_lifted}")],
              path: "stages[0].success.classifier", message: "no classifier named `block_lifted`; classifiers are: block_up", lineOf: "block_lifted"),
    ErrorCase(name: "trigger threshold out of range", edits: [Edit("success: {classifier: block_up}", "success: {classifier: block_up, threshold: 1.0}")],
              path: "stages[0].success.threshold", message: "must be in (0, 1)", lineOf: "threshold: 1.0"),
    ErrorCase(name: "dangling stage in a transition", edits: [Edit("on_success: place", "on_success: plase")],
              path: "stages[0].on_success", message: "no stage named `plase`; stages are: lift, place", lineOf: "plase"),
    ErrorCase(name: "policy stage without success trigger", edits: [Edit("    success: {classifier: block_up}\n", "")],
              path: "stages[0].success", message: "a policy stage needs a success classifier", lineOf: "- name: lift"),
    ErrorCase(name: "scripted stage without motion",
              edits: [Edit("    motion:\n      - {arm: yam, joints_rad: [0, 1, 1, 0, 0, 0], duration_s: 2}\n", "")],
              path: "stages[1].motion", message: "a scripted_motion stage needs motion waypoints", lineOf: "- name: place"),
    ErrorCase(name: "retry without retries", edits: [Edit("    timeout_s: 10\n", "    timeout_s: 10\n    on_timeout: retry\n")],
              path: "stages[0].on_timeout", message: "is retry but the stage has retries: 0", lineOf: "on_timeout"),
    ErrorCase(name: "stage timeout zero", edits: [Edit("    timeout_s: 10\n", "    timeout_s: 0\n")],
              path: "stages[0].timeout_s", message: "must be in (0, 3600] s", lineOf: "timeout_s: 0"),
    ErrorCase(name: "reserved stage name", edits: [Edit("  - name: place\n", "  - name: next\n"), Edit("on_success: place", "on_success: lift")],
              path: "stages[1].name", message: "reserved transition word", lineOf: "- name: next"),
    ErrorCase(name: "waypoint outside the joint limits",
              edits: [Edit("{arm: yam, joints_rad: [0, 1, 1, 0, 0, 0], duration_s: 2}", "{arm: yam, joints_rad: [0, 1, 1, 0, 0, 2.5], duration_s: 2}")],
              path: "stages[1].motion[0].joints_rad[5]", message: "outside arm `yam` joint 6 limits [-2, 2]", lineOf: "2.5], duration_s"),
    ErrorCase(name: "waypoint with the wrong joint count",
              edits: [Edit("{arm: yam, joints_rad: [0, 1, 1, 0, 0, 0], duration_s: 2}", "{arm: yam, joints_rad: [0, 1, 1, 0, 0, 0, 0], duration_s: 2}")],
              path: "stages[1].motion[0].joints_rad", message: "expected 6 values (one per joint of arm `yam`), found 7", lineOf: "duration_s: 2"),
    ErrorCase(name: "top-level success together with stages",
              edits: [Edit("recording:\n", "success: {classifier: block_up, debounce_ticks: 2}\nrecording:\n")],
              path: "success", message: "only valid without stages", lineOf: "debounce_ticks: 2"),
    ErrorCase(name: "gate without its arm",
              edits: [Edit("    timeout_s: 10\n", "    timeout_s: 10\n    gates:\n      - {kind: gripper_empty}\n")],
              path: "stages[0].gates[0].arm", message: "gate gripper_empty needs an arm", lineOf: "kind: gripper_empty"),
    ErrorCase(name: "gate with a dangling classifier",
              edits: [Edit("    timeout_s: 10\n", "    timeout_s: 10\n    gates:\n      - {kind: classifier_below, classifier: nothing, threshold: 0.5}\n")],
              path: "stages[0].gates[0].classifier", message: "no classifier named `nothing`", lineOf: "classifier: nothing"),
    ErrorCase(name: "unreachable stage",
              edits: [Edit("    on_success: succeed\n", "    on_success: succeed\n  - name: spare\n    success: {classifier: block_up}\n    timeout_s: 3\n")],
              path: "stages[2]", message: "stage `spare` is unreachable: no transition from the first stage leads to it", lineOf: "- name: spare"),
    ErrorCase(name: "cycle without an exit",
              edits: [Edit("    on_success: place\n", "    on_success: place\n    on_failure: place\n    on_timeout: place\n"),
                      Edit("    on_success: succeed\n", "    on_success: lift\n    on_failure: lift\n    on_timeout: lift\n")],
              path: "stages[0]", message: "stages `lift` → `place` → `lift` form a cycle with no way out", lineOf: "- name: lift"),
    ErrorCase(name: "a retry is a way out of a cycle, so only the unreachable stage is reported",
              edits: [Edit("    on_success: succeed\n", "    on_success: lift\n    on_failure: lift\n    on_timeout: retry\n    retries: 2\n  - name: spare\n    success: {classifier: block_up}\n    timeout_s: 3\n")],
              path: "stages[2]", message: "stage `spare` is unreachable", lineOf: "- name: spare"),
    ErrorCase(name: "mlp classifier over a camera",
              edits: [Edit("    kind: rules\n    rules:\n      - {source: feature.block_pose, index: 2, op: gt, value: 0.1}\n", "    kind: mlp\n    weights_path: up.safetensors\n    inputs: [camera.wrist]\n")],
              path: "classifiers[0].inputs[0]", message: "an mlp classifier reads numbers, not images", lineOf: "inputs: [camera.wrist]"),
    ErrorCase(name: "remote classifier without an endpoint",
              edits: [Edit("    kind: rules\n    rules:\n      - {source: feature.block_pose, index: 2, op: gt, value: 0.1}\n", "    kind: remote\n    inputs: [feature.block_pose]\n")],
              path: "classifiers[0].endpoint", message: "a remote classifier needs an endpoint", lineOf: "- name: block_up"),
    ErrorCase(name: "scripted motion on a Franka",
              edits: [Edit("{arm: yam, joints_rad: [0, 1, 1, 0, 0, 0], duration_s: 2}", "{arm: franka, joints_rad: [0, -0.7, 0, -2.3, 0, 1.5, 0.7], duration_s: 2}")],
              path: "stages[1].motion[0].arm", message: "scripted motions within an episode need a pld_arm arm", lineOf: "duration_s: 2"),
    ErrorCase(name: "a require rule over a camera",
              edits: [Edit("success: {classifier: block_up}", "success: {classifier: block_up, require: [{source: camera.wrist, op: gt, value: 0.5}]}")],
              path: "stages[0].success.require[0].source", message: "a camera cannot be a rule source", lineOf: "require:"),
    // Reset.
    ErrorCase(name: "home outside the joint limits",
              edits: [Edit("{arm: franka, joints_rad: [0, -0.7, 0, -2.3, 0, 1.5, 0.7]}", "{arm: franka, joints_rad: [0, -0.7, 0, 0.5, 0, 1.5, 0.7]}")],
              path: "reset.home[0].joints_rad[3]", message: "outside arm `franka` joint 4 limits", lineOf: "0.5, 0, 1.5"),
    ErrorCase(name: "arm without a home pose",
              edits: [Edit("    - {arm: yam, joints_rad: [0, 1, 1, 0, 0, 0]}\n", "")],
              path: "reset.home", message: "arm `yam` has no home pose", lineOf: "home:"),
    ErrorCase(name: "home for a dangling arm",
              edits: [Edit("    - {arm: yam, joints_rad: [0, 1, 1, 0, 0, 0]}\n", "    - {arm: yam, joints_rad: [0, 1, 1, 0, 0, 0]}\n    - {arm: ghost, joints_rad: [0]}\n")],
              path: "reset.home[2].arm", message: "no arm named `ghost`", lineOf: "ghost"),
    ErrorCase(name: "reset speed too high",
              edits: [Edit("reset:\n", "reset:\n  max_joint_speed_rad_per_s: 5\n")],
              path: "reset.max_joint_speed_rad_per_s", message: "must be in (0, 2] rad/s", lineOf: "max_joint_speed"),
    // Recording.
    ErrorCase(name: "dangling camera in recording", edits: [Edit("  cameras: [wrist]", "  cameras: [wrist, top]")],
              path: "recording.cameras[1]", message: "no camera named `top`", lineOf: "cameras: [wrist, top]"),
    ErrorCase(name: "crf out of range for x264", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  video: {codec: libx264, crf: 60}\n")],
              path: "recording.video.crf", message: "must be in [0, 51]", lineOf: "video:"),
    ErrorCase(name: "svt-av1 with 4:4:4", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  video: {codec: libsvtav1, pixel_format: yuv444p}\n")],
              path: "recording.video.pixel_format", message: "libsvtav1 encodes yuv420p only", lineOf: "video:"),
    ErrorCase(name: "unknown x264 preset", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  video: {codec: libx264, preset: turbo}\n")],
              path: "recording.video.preset", message: "libx264 presets are ultrafast", lineOf: "video:"),
    ErrorCase(name: "svt-av1 preset out of range", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  video: {codec: libsvtav1, preset: \"14\"}\n")],
              path: "recording.video.preset", message: "libsvtav1 presets are 0 … 13, found 14", lineOf: "video:"),
    ErrorCase(name: "zero GOP", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  video: {gop: 0}\n")],
              path: "recording.video.gop", message: "must be in [1, 1000]", lineOf: "video:"),
    ErrorCase(name: "raw compression level out of range", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  raw_compression_level: 10\n")],
              path: "recording.raw_compression_level", message: "must be in [0, 9]", lineOf: "raw_compression_level"),
    ErrorCase(name: "recorder queue too small", edits: [Edit("  cameras: [wrist]\n", "  cameras: [wrist]\n  queue_capacity_steps: 4\n")],
              path: "recording.queue_capacity_steps", message: "must be in [16, 1000000]", lineOf: "queue_capacity_steps"),
    ErrorCase(name: "odd camera size with 4:2:0 video", edits: [Edit("    width: 320\n", "    width: 321\n")],
              path: "cameras[0]", message: "yuv420p video needs an even width and height, found 321×240", lineOf: "- name: wrist"),
    // Operator.
    ErrorCase(name: "TCP operator endpoint without CURVE",
              edits: [Edit("recording:\n", "operator:\n  control_endpoint: tcp://0.0.0.0:7030\nrecording:\n")],
              path: "operator.control_endpoint", message: "needs CURVE keys", lineOf: "control_endpoint: tcp"),
    ErrorCase(name: "inproc operator endpoint",
              edits: [Edit("recording:\n", "operator:\n  status_endpoint: inproc://status\nrecording:\n")],
              path: "operator.status_endpoint", message: "unreachable from other processes", lineOf: "status_endpoint"),
    ErrorCase(name: "operator endpoint neither default nor an endpoint",
              edits: [Edit("recording:\n", "operator:\n  control_endpoint: local\nrecording:\n")],
              path: "operator.control_endpoint", message: "expected `default` or an endpoint", lineOf: "control_endpoint: local"),
    ErrorCase(name: "privileged metrics port",
              edits: [Edit("recording:\n", "operator:\n  metrics_port: 80\nrecording:\n")],
              path: "operator.metrics_port", message: "must be in [1024, 65535]", lineOf: "metrics_port"),
    ErrorCase(name: "metrics port taken by the policy server",
              edits: [Edit("recording:\n", "operator:\n  metrics_port: 7020\nrecording:\n")],
              path: "operator.metrics_port", message: "port 7020 on * is already used by policy.url", lineOf: "metrics_port"),
]

@Suite struct RobotConfigErrorTests {
    static let file = "RobotConfigs/mixed_cell.yaml"

    @Test func baseConfigIsValid() throws {
        let config = try RobotConfig.load(yaml: baseRobotYAML, file: Self.file)
        #expect(config.arms.map(\.name) == ["franka", "yam"])
        #expect(config.actionDimension == 14)
        #expect(config.arms[0].franka?.ports.armCommand == 5555)
        #expect(config.arms[0].franka?.trajInterpolatorTimeFraction == 0.3)
        #expect(config.residual.xi == 0.5)
        #expect(config.handoff.alpha == 0.6)
        #expect(config.stages[0].onSuccess == .stage("place"))
        #expect(config.stages[1].onSuccess == .succeed)
        #expect(config.operator.controlEndpoint == .localDefault)
        #expect(config.policy.observation.imageSize == 224)
    }

    @Test(arguments: decodingErrorCases)
    func decodingErrorNamesFileLineAndPath(_ errorCase: ErrorCase) throws {
        try expectConfigError(RobotConfig.self, errorCase, base: baseRobotYAML, file: Self.file)
    }

    @Test(arguments: yamlErrorCases)
    func yamlErrorNamesFileAndLine(_ errorCase: ErrorCase) throws {
        try expectConfigError(RobotConfig.self, errorCase, base: baseRobotYAML, file: Self.file)
    }

    @Test(arguments: validationErrorCases)
    func validationErrorNamesFileLineAndPath(_ errorCase: ErrorCase) throws {
        try expectConfigError(RobotConfig.self, errorCase, base: baseRobotYAML, file: Self.file)
    }

    @Test func emptyArmListIsRefused() throws {
        // With no arms every reference dangles too; the first error (by line) is the list itself.
        let text = """
            name: no_arms
            robot_type: none
            task: nothing
            control: {rate_hz: 10, max_episode_steps: 10}
            arms: []
            action_space: {segments: []}
            policy:
              kind: openpi
              url: ws://127.0.0.1:8000
              observation: {layout: custom, inputs: [{key: x, from: [feature.f]}]}
            features: [{name: f, endpoint: 'tcp://127.0.0.1:9', dims: 1}]
            """
        do {
            _ = try RobotConfig.load(yaml: text, file: "no_arms.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.path == "arms")
            #expect(error.line == 5)
            #expect(error.message == "at least one arm is required")
            #expect(error.description == "no_arms.yaml:5: arms: at least one arm is required")
        }
    }

    @Test func validateReportsEveryViolation() throws {
        let text = try applying([Edit("  rate_hz: 20\n", "  rate_hz: 0\n"), Edit("  alpha: 0.6", "  alpha: 2")], to: baseRobotYAML)
        let (config, lineIndex) = try ConfigLoader.decode(RobotConfig.self, bytes: Array(text.utf8), file: "x.yaml")
        let errors = ConfigLoader.errors(for: config.validate(), file: "x.yaml", lineIndex: lineIndex)
        #expect(errors.contains { $0.path == "control.rate_hz" && $0.line == 5 })
        #expect(errors.contains { $0.path == "handoff.alpha" })
    }

    @Test func defaultsAreFilledForOmittedSections() throws {
        let config = try RobotConfig.load(yaml: baseRobotYAML, file: Self.file)
        #expect(config.safety.actionBox.low == -1 && config.safety.actionBox.high == 1)
        #expect(config.safety.nanPolicy == .hold)
        #expect(config.safety.fatalEvents == [.driverFault, .stateStale])
        #expect(config.control.realtime.schedFifo == false)
        #expect(config.arms[1].pldArm?.commandTimeoutS == 0.1)
        #expect(config.arms[1].pldArm?.motorTimeoutS == 0.2)
        #expect(config.arms[0].franka?.gripper.graspForceN == 30)
        #expect(config.arms[0].franka?.gripper.openWidthM == 0.08)
        #expect(config.arms[0].franka?.osc.residualMass == [0, 0, 0, 0, 0.1, 0.5, 0.5])
        #expect(config.actionSpace.segments[0].translationScaleM == 0.05)
        #expect(config.actionSpace.segments[0].rotationScaleRad == 1.0)
        #expect(config.recording.video.codec == .libx264)
        #expect(config.policy.observation.effectiveImageFormat == .hwc)
        #expect(config.stages[0].success?.threshold == 0.75)
    }

    @Test func canonicalFormIgnoresCommentsLayoutAndSpelledOutDefaults() throws {
        let plain = try RobotConfig.load(yaml: baseRobotYAML, file: "a.yaml")
        let variant = try applying([
            Edit("  rate_hz: 20\n", "  # the tick\n  rate_hz: 20.0   # Hz\n"),
            Edit("  alpha: 0.6", "  alpha: 0.6\n  seed: 0"),
        ], to: baseRobotYAML)
        let commented = try RobotConfig.load(yaml: variant, file: "b.yaml")
        #expect(plain == commented)
        #expect(plain.canonicalJSON() == commented.canonicalJSON())
        let changed = try RobotConfig.load(yaml: baseRobotYAML.replacingOccurrences(of: "  alpha: 0.6", with: "  alpha: 0.5"), file: "c.yaml")
        #expect(changed.canonicalJSON() != plain.canonicalJSON())
        #expect(plain.canonicalJSON().contains("\"rate_hz\":20"))
    }

    @Test func anchorsAndAliasesWithinLimitsWork() throws {
        let text = try applying([
            Edit("{arm: yam, joints_rad: [0, 1, 1, 0, 0, 0], duration_s: 2}", "{arm: yam, joints_rad: &yam_home [0, 1, 1, 0.5, 0, 0], duration_s: 2}"),
            Edit("    - {arm: yam, joints_rad: [0, 1, 1, 0, 0, 0]}", "    - {arm: yam, joints_rad: *yam_home}"),
        ], to: baseRobotYAML)
        let config = try RobotConfig.load(yaml: text, file: Self.file)
        #expect(config.reset?.home[1].jointsRad == [0, 1, 1, 0.5, 0, 0])
    }
}
