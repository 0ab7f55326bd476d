#!/usr/bin/env python3
"""A deoxys NUC stand-in for the Drivers tests: pyzmq plus the `protobuf` package, with the Python
modules protoc generates from Sources/Wire/proto (the test generates them into GENDIR).

  nuc_standin.py GENDIR --arm-command EP --gripper-command EP [--arm-state EP] [--gripper-state EP]
                 [--state-rate HZ] [--gripper-rate HZ]

Like franka-interface it CONNECTS SUBs to the runtime's arm and gripper command PUBs (EP) and
BINDS PUBs for the arm state (FrankaRobotStateMessage, frame counting up from 0, time.toMSec
advancing) and the gripper state (FrankaGripperStateMessage), on the given endpoints or on
random 127.0.0.1 ports. Unlike the NUC it does not conflate
its command SUBs and never acts on commands: it decodes every command the way the NUC does (Any
unpacked by the bare type name after the last '/') and logs it, with its arrival time, so the
test can check every message and count rates.

It binds a REP control socket for the test. On stdout it prints one line
  READY {"arm_state": EP, "gripper_state": EP, "control": EP}
and exits when stdin closes or on {"cmd": "quit"}. Control requests (JSON) and replies:
  {"cmd": "log", "clear": bool}        -> {"arm": [record...], "gripper": [record...]}
  {"cmd": "clear"}                     -> forget the log
  {"cmd": "set_state", "q": [7], "dq": [7], "tau": [7], "pose": [16], "robot_mode": "Move",
   "errors": ["cartesian_reflex", ...], "success_rate": x, "gripper_width": m, "grasped": bool}
  {"cmd": "pause", "arm": bool, "gripper": bool}   stop/resume publishing
  {"cmd": "freeze_time", "value": bool}            keep publishing, but time.toMSec stops
  {"cmd": "restart", "gap_s": s}       stop publishing for gap_s, then frame restarts from 0
  {"cmd": "raw", "link": "arm"|"gripper", "hex": "...", "count": n}  publish raw bytes now
  {"cmd": "status"}                    -> {"frame": n, "published": n}
  {"cmd": "quit"}
"""
import argparse
import json
import os
import struct
import sys
import time

sys.path.insert(0, sys.argv[1])
import zmq  # noqa: E402
import franka_controller_pb2 as fc  # noqa: E402
import franka_robot_state_pb2 as fs  # noqa: E402

ARM_MESSAGES = {
    "FrankaOSCPoseControllerMessage": fc.FrankaOSCPoseControllerMessage,
    "FrankaJointPositionControllerMessage": fc.FrankaJointPositionControllerMessage,
    "FrankaJointImpedanceControllerMessage": fc.FrankaJointImpedanceControllerMessage,
    "FrankaDummyControllerMessage": fc.FrankaDummyControllerMessage,
    "FrankaCartesianVelocityControllerMessage": fc.FrankaCartesianVelocityControllerMessage,
}
GRIPPER_MESSAGES = {
    "FrankaGripperMoveMessage": fc.FrankaGripperMoveMessage,
    "FrankaGripperGraspMessage": fc.FrankaGripperGraspMessage,
    "FrankaGripperStopMessage": fc.FrankaGripperStopMessage,
    "FrankaGripperHomingMessage": fc.FrankaGripperHomingMessage,
}


def bits(values):
    """IEEE-754 bit patterns as hex, so the test compares doubles exactly (JSON text may not)."""
    return ["%016x" % struct.unpack("<Q", struct.pack("<d", v))[0] for v in values]


def bare_name(type_url):
    # C++ Any::UnpackTo on the NUC compares the part after the last '/' with the full name.
    return type_url.rsplit("/", 1)[-1]


def goal_list(g):
    return [g.is_delta, g.x, g.y, g.z, g.ax, g.ay, g.az]


def joint_goal_list(g):
    return [g.q1, g.q2, g.q3, g.q4, g.q5, g.q6, g.q7]


def decode_arm(raw, t):
    rec = {"t": t, "bytes": len(raw), "hex": raw.hex()}
    msg = fc.FrankaControlMessage()
    try:
        msg.ParseFromString(raw)
    except Exception as e:  # noqa: BLE001
        rec["error"] = f"parse: {e}"
        return rec
    rec.update(
        termination=msg.termination,
        controller_type=fc.FrankaControlMessage.ControllerType.Name(msg.controller_type),
        traj_interpolator_type=fc.FrankaControlMessage.TrajInterpolatorType.Name(msg.traj_interpolator_type),
        traj_interpolator_time_fraction=msg.traj_interpolator_time_fraction,
        timeout=msg.timeout,
        type_url=msg.control_msg.type_url,
        has_estimator=msg.HasField("state_estimator_msg"),
    )
    cls = ARM_MESSAGES.get(bare_name(msg.control_msg.type_url))
    if cls is None:
        rec["unpacked"] = False
    else:
        inner = cls()
        rec["unpacked"] = bool(msg.control_msg.Unpack(inner))
        if cls is fc.FrankaOSCPoseControllerMessage:
            rec.update(goal=goal_list(inner.goal), goal_bits=bits(goal_list(inner.goal)[1:]),
                       translational_stiffness=list(inner.translational_stiffness),
                       rotational_stiffness=list(inner.rotational_stiffness),
                       residual_mass_vec=list(inner.config.residual_mass_vec))
        elif cls is fc.FrankaJointPositionControllerMessage:
            rec.update(joint_goal=joint_goal_list(inner.goal), joint_goal_bits=bits(joint_goal_list(inner.goal)),
                       is_delta=inner.goal.is_delta, speed_factor=inner.speed_factor, kp_gains=inner.kp_gains, kd_gains=inner.kd_gains)
        elif cls is fc.FrankaJointImpedanceControllerMessage:
            rec.update(joint_goal=joint_goal_list(inner.goal), joint_goal_bits=bits(joint_goal_list(inner.goal)),
                       is_delta=inner.goal.is_delta, kp=list(inner.kp), kd=list(inner.kd))
        elif cls is fc.FrankaDummyControllerMessage:
            rec.update(dummy_termination=inner.termination, dummy_has_goal=inner.HasField("goal"))
    if msg.HasField("state_estimator_msg"):
        est = msg.state_estimator_msg
        smoothing = fc.ExponentialSmoothingConfig()
        unpacked = bool(est.config.type_url) and bool(est.config.Unpack(smoothing))
        rec["estimator"] = {
            "is_estimation": est.is_estimation,
            "estimator_type": fc.FrankaStateEstimatorMessage.EstimatorType.Name(est.estimator_type),
            "type_url": est.config.type_url,
            "unpacked": unpacked,
            "alphas": [smoothing.alpha_q, smoothing.alpha_dq, smoothing.alpha_eef, smoothing.alpha_eef_vel],
        }
    return rec


def decode_gripper(raw, t):
    rec = {"t": t, "bytes": len(raw), "hex": raw.hex()}
    msg = fc.FrankaGripperControlMessage()
    try:
        msg.ParseFromString(raw)
    except Exception as e:  # noqa: BLE001
        rec["error"] = f"parse: {e}"
        return rec
    bare = bare_name(msg.control_msg.type_url)
    rec.update(termination=msg.termination, type_url=msg.control_msg.type_url)
    cls = GRIPPER_MESSAGES.get(bare)
    if cls is None:
        rec["kind"] = "unknown"
        return rec
    inner = cls()
    rec["unpacked"] = bool(msg.control_msg.Unpack(inner))
    if cls is fc.FrankaGripperMoveMessage:
        rec.update(kind="move", width=inner.width, speed=inner.speed)
    elif cls is fc.FrankaGripperGraspMessage:
        rec.update(kind="grasp", width=inner.width, speed=inner.speed, force=inner.force,
                   epsilon_inner=inner.epsilon_inner, epsilon_outer=inner.epsilon_outer)
    elif cls is fc.FrankaGripperStopMessage:
        rec.update(kind="stop")
    else:
        rec.update(kind="homing")
    return rec


class StandIn:
    def __init__(self, args):
        self.ctx = zmq.Context()
        self.arm_sub = self.sub(args.arm_command)
        self.gripper_sub = self.sub(args.gripper_command)
        self.arm_pub = self.ctx.socket(zmq.PUB)
        self.arm_pub.bind(args.arm_state)
        self.gripper_pub = self.ctx.socket(zmq.PUB)
        self.gripper_pub.bind(args.gripper_state)
        self.control = self.ctx.socket(zmq.REP)
        self.control.bind("tcp://127.0.0.1:*")
        self.state_period = 1.0 / args.state_rate
        self.gripper_period = 1.0 / args.gripper_rate
        self.arm_log, self.gripper_log = [], []
        self.frame = 0
        self.published = 0
        self.robot_msec = 1000
        self.freeze_time = False
        self.pause_arm = False
        self.pause_gripper = False
        self.resume_at = None
        self.state = fs.FrankaRobotStateMessage()
        self.state.q.extend([0.1 * i for i in range(7)])
        self.state.dq.extend([0.01 * i for i in range(7)])
        self.state.tau_J.extend([-1.0 + i for i in range(7)])
        self.state.O_T_EE.extend([1.0, 0, 0, 0, 0, -1.0, 0, 0, 0, 0, -1.0, 0, 0.5, 0.1, 0.4, 1.0])
        self.state.robot_mode = fs.FrankaRobotStateMessage.RobotMode.Value("Move")
        self.state.control_command_success_rate = 0.95
        self.gripper = fs.FrankaGripperStateMessage(width=0.08, max_width=0.08, is_grasped=False, temperature=31)
        self.endpoints = {
            "arm_state": self.arm_pub.getsockopt(zmq.LAST_ENDPOINT).decode(),
            "gripper_state": self.gripper_pub.getsockopt(zmq.LAST_ENDPOINT).decode(),
            "control": self.control.getsockopt(zmq.LAST_ENDPOINT).decode(),
        }

    def sub(self, endpoint):
        s = self.ctx.socket(zmq.SUB)
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.connect(endpoint)
        return s

    def publish_state(self, now):
        if self.resume_at is not None:
            if now < self.resume_at:
                return
            self.resume_at = None
            self.frame = 0
        if self.pause_arm:
            return
        self.state.frame = self.frame
        if not self.freeze_time:
            self.robot_msec += int(round(self.state_period * 1000)) or 1
        self.state.time.toMSec = self.robot_msec
        self.state.time.toSec = self.robot_msec / 1000.0
        self.arm_pub.send(self.state.SerializeToString())
        self.frame += 1
        self.published += 1

    def publish_gripper(self):
        if self.pause_gripper or self.resume_at is not None:
            return
        self.gripper.time.toMSec = self.robot_msec
        self.gripper_pub.send(self.gripper.SerializeToString())

    def handle(self, req):
        cmd = req.get("cmd")
        if cmd == "log":
            reply = {"ok": True, "arm": self.arm_log, "gripper": self.gripper_log}
            if req.get("clear"):
                self.arm_log, self.gripper_log = [], []
            return reply
        if cmd == "clear":
            self.arm_log, self.gripper_log = [], []
        elif cmd == "set_state":
            s = self.state
            for key, field in (("q", s.q), ("dq", s.dq), ("tau", s.tau_J), ("pose", s.O_T_EE)):
                if key in req:
                    del field[:]
                    field.extend(req[key])
            if "robot_mode" in req:
                s.robot_mode = fs.FrankaRobotStateMessage.RobotMode.Value(req["robot_mode"])
            if "errors" in req:
                s.ClearField("current_errors")
                for name in req["errors"]:
                    setattr(s.current_errors, name, True)
            if "success_rate" in req:
                s.control_command_success_rate = req["success_rate"]
            if "gripper_width" in req:
                self.gripper.width = req["gripper_width"]
            if "grasped" in req:
                self.gripper.is_grasped = req["grasped"]
        elif cmd == "pause":
            self.pause_arm = req.get("arm", self.pause_arm)
            self.pause_gripper = req.get("gripper", self.pause_gripper)
        elif cmd == "freeze_time":
            self.freeze_time = bool(req.get("value", True))
        elif cmd == "restart":
            self.resume_at = time.monotonic() + float(req.get("gap_s", 0.5))
        elif cmd == "raw":
            sock = self.arm_pub if req.get("link", "arm") == "arm" else self.gripper_pub
            for _ in range(int(req.get("count", 1))):
                sock.send(bytes.fromhex(req["hex"]))
        elif cmd == "status":
            return {"ok": True, "frame": self.frame, "published": self.published, "robot_msec": self.robot_msec}
        elif cmd == "quit":
            return None
        else:
            return {"ok": False, "error": f"unknown cmd {cmd}"}
        return {"ok": True}

    def run(self):
        print("READY " + json.dumps(self.endpoints), flush=True)
        poller = zmq.Poller()
        poller.register(self.arm_sub, zmq.POLLIN)
        poller.register(self.gripper_sub, zmq.POLLIN)
        poller.register(self.control, zmq.POLLIN)
        stdin = sys.stdin.fileno()
        poller.register(stdin, zmq.POLLIN)
        next_state = next_gripper = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_state:
                self.publish_state(now)
                next_state += self.state_period
                if next_state < now:
                    next_state = now + self.state_period
            if now >= next_gripper:
                self.publish_gripper()
                next_gripper += self.gripper_period
                if next_gripper < now:
                    next_gripper = now + self.gripper_period
            timeout_ms = max(0.0, (min(next_state, next_gripper) - time.monotonic()) * 1000)
            for sock, _ in poller.poll(timeout_ms):
                t = time.monotonic()
                if sock is self.arm_sub:
                    self.arm_log.append(decode_arm(self.arm_sub.recv(), t))
                elif sock is self.gripper_sub:
                    self.gripper_log.append(decode_gripper(self.gripper_sub.recv(), t))
                elif sock is self.control:
                    reply = self.handle(json.loads(self.control.recv()))
                    if reply is None:
                        self.control.send_string(json.dumps({"ok": True}))
                        return
                    self.control.send_string(json.dumps(reply))
                elif sock == stdin:
                    if not os.read(stdin, 4096):
                        return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gendir")
    parser.add_argument("--arm-command", required=True)
    parser.add_argument("--gripper-command", required=True)
    parser.add_argument("--arm-state", default="tcp://127.0.0.1:*")
    parser.add_argument("--gripper-state", default="tcp://127.0.0.1:*")
    parser.add_argument("--state-rate", type=float, default=100.0)
    parser.add_argument("--gripper-rate", type=float, default=40.0)
    StandIn(parser.parse_args()).run()


if __name__ == "__main__":
    main()
