#!/usr/bin/env python3
"""Independent deoxys-wire peer for the Swift tests: pyzmq plus the `protobuf` package, using
Python code that protoc generates from Sources/Wire/proto (the test generates it into GENDIR).

  deoxys_peer.py GENDIR receive-control ENDPOINT
      SUB-connects to ENDPOINT (our arm command PUB), decodes one FrankaControlMessage the way
      the NUC does (Any unpacked by bare type name) and prints it as one JSON line.
  deoxys_peer.py GENDIR publish-state SECONDS
      Binds a PUB on tcp://127.0.0.1:<random>, prints "ready tcp://127.0.0.1:<port>", then
      publishes FrankaRobotStateMessage every 5 ms for SECONDS (frame counts up from 0).
"""
import json
import sys
import time

sys.path.insert(0, sys.argv[1])
import zmq  # noqa: E402
import franka_controller_pb2 as fc  # noqa: E402
import franka_robot_state_pb2 as fs  # noqa: E402

CONTROLLERS = {
    "FrankaOSCPoseControllerMessage": fc.FrankaOSCPoseControllerMessage,
    "FrankaJointPositionControllerMessage": fc.FrankaJointPositionControllerMessage,
    "FrankaJointImpedanceControllerMessage": fc.FrankaJointImpedanceControllerMessage,
    "FrankaDummyControllerMessage": fc.FrankaDummyControllerMessage,
}


def receive_control(endpoint):
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVTIMEO, 10000)
    sub.connect(endpoint)
    print("ready", flush=True)
    raw = sub.recv()
    msg = fc.FrankaControlMessage()
    msg.ParseFromString(raw)
    # The NUC's C++ Any::UnpackTo compares the part after the last '/' with the bare name.
    bare = msg.control_msg.type_url.rsplit("/", 1)[-1]
    inner = CONTROLLERS[bare]()
    assert msg.control_msg.Unpack(inner), "Any did not unpack"
    out = {
        "bytes": len(raw),
        "controller_type": fc.FrankaControlMessage.ControllerType.Name(msg.controller_type),
        "traj_interpolator_type": fc.FrankaControlMessage.TrajInterpolatorType.Name(msg.traj_interpolator_type),
        "traj_interpolator_time_fraction": msg.traj_interpolator_time_fraction,
        "timeout": msg.timeout,
        "type_url": msg.control_msg.type_url,
    }
    if bare == "FrankaOSCPoseControllerMessage":
        g = inner.goal
        out.update(goal=[g.is_delta, g.x, g.y, g.z, g.ax, g.ay, g.az],
                   translational_stiffness=list(inner.translational_stiffness),
                   rotational_stiffness=list(inner.rotational_stiffness),
                   residual_mass_vec=list(inner.config.residual_mass_vec))
    est = msg.state_estimator_msg
    smoothing = fc.ExponentialSmoothingConfig()
    if est.config.type_url:
        assert est.config.Unpack(smoothing)
    out["estimator"] = [fc.FrankaStateEstimatorMessage.EstimatorType.Name(est.estimator_type),
                        est.config.type_url, smoothing.alpha_q, smoothing.alpha_dq, smoothing.alpha_eef]
    print(json.dumps(out), flush=True)


def publish_state(seconds):
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    print(f"ready tcp://127.0.0.1:{port}", flush=True)
    state = fs.FrankaRobotStateMessage()
    state.q.extend([0.1 * i for i in range(7)])
    state.dq.extend([0.01 * i for i in range(7)])
    state.tau_J.extend([-1.0 + i for i in range(7)])
    pose = [1.0, 0, 0, 0, 0, -1.0, 0, 0, 0, 0, -1.0, 0, 0.5, 0.1, 0.4, 1.0]
    state.O_T_EE.extend(pose)
    state.robot_mode = fs.FrankaRobotStateMessage.RobotMode.Value("Move")
    state.current_errors.cartesian_reflex = True
    state.control_command_success_rate = 0.95
    deadline = time.monotonic() + seconds
    frame = 0
    while time.monotonic() < deadline:
        state.frame = frame
        state.time.toMSec = 1000 + frame
        pub.send(state.SerializeToString())
        frame += 1
        time.sleep(0.005)


if __name__ == "__main__":
    mode = sys.argv[2]
    if mode == "receive-control":
        receive_control(sys.argv[3])
    elif mode == "publish-state":
        publish_state(float(sys.argv[3]))
    else:
        sys.exit(f"unknown mode {mode}")
