#!/usr/bin/env python3
"""A PLD-arm driver stand-in for the Drivers tests: pyzmq plus the `protobuf` package, with the
Python modules protoc generates from Sources/Wire/proto (the test generates them into GENDIR).

  arm_driver_standin.py GENDIR --command EP --state EP --control EP
        [--arm-name NAME] [--joints j1,j2,...] [--lower a,b,...] [--upper a,b,...]
        [--velocity a,b,...] [--command-timeout S] [--motor-timeout S] [--protocol-version N]
        [--state-rate HZ] [--silent]

Speaks the PLD arm protocol (pld_arm.proto) like a driver node: BINDS the state PUB (`--state`,
pld.ArmState at --state-rate with an increasing sequence) and the control REP (`--control`),
and CONNECTS a SUB to the runtime's command PUB (`--command`). It tracks commands instantly
(q = target; mode TRACKING), holds on `hold` (HOLDING) or after --command-timeout without a
command (HOLDING), answers Hello with the given joints, limits and timeouts, and executes
MoveToJoints, GripperCommand, ClearErrors, SetGains and Ping. With --silent it reads control
requests and never answers (a hung driver).

Every ArmCommand and ArmRequest it receives is logged. The test drives it through a separate
REP socket (random port), JSON in and out:
  {"cmd": "log", "clear": bool}   -> {"commands": [...], "requests": [...]}
  {"cmd": "set", "q": [...], "mode": "ERROR", "fault": "text", "gripper": g, "sequence": n}
  {"cmd": "pause", "value": bool}  stop/resume publishing states
  {"cmd": "raw", "hex": "...", "count": n}   publish raw bytes on the state PUB
  {"cmd": "quit"}
Prints "READY {"state": EP, "control": EP, "test_control": EP}" and exits when stdin closes.
"""
import argparse
import json
import os
import struct
import sys
import time

sys.path.insert(0, sys.argv[1])
import zmq  # noqa: E402
import pld_arm_pb2 as pa  # noqa: E402

CURRENT = pa.ARM_PROTOCOL_VERSION_CURRENT


def bits(values):
    """IEEE-754 bit patterns as hex, so the test compares doubles exactly (JSON text may not)."""
    return ["%016x" % struct.unpack("<Q", struct.pack("<d", v))[0] for v in values]


def floats(text):
    return [float(x) for x in text.split(",")] if text else []


class Driver:
    def __init__(self, args):
        self.args = args
        self.joints = args.joints.split(",")
        n = len(self.joints)
        self.lower = floats(args.lower) or [-3.0] * n
        self.upper = floats(args.upper) or [3.0] * n
        self.velocity = floats(args.velocity) or [5.0] * n
        self.ctx = zmq.Context()
        self.state_pub = self.ctx.socket(zmq.PUB)
        self.state_pub.bind(args.state)
        self.control = self.ctx.socket(zmq.REP)
        self.control.bind(args.control)
        self.test = self.ctx.socket(zmq.REP)
        self.test.bind("tcp://127.0.0.1:*")
        self.command_sub = self.ctx.socket(zmq.SUB)
        self.command_sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.command_sub.connect(args.command)
        self.q = [0.1 * (i + 1) for i in range(n)]
        self.gripper = 0.0
        self.mode = pa.DRIVER_MODE_HOLDING
        self.forced_mode = None
        self.fault = ""
        self.sequence = 0
        self.last_command_sequence = 0
        self.last_command_at = None
        self.paused = False
        self.commands, self.requests = [], []
        self.period = 1.0 / args.state_rate

    def publish_state(self):
        now = time.monotonic()
        if self.forced_mode is not None:
            self.mode = self.forced_mode
        elif self.mode == pa.DRIVER_MODE_TRACKING and (
                self.last_command_at is None or now - self.last_command_at > self.args.command_timeout):
            self.mode = pa.DRIVER_MODE_HOLDING
        if self.paused:
            return
        self.sequence += 1
        s = pa.ArmState(protocol_version=CURRENT, arm_name=self.args.arm_name, sequence=self.sequence,
                        sample_unix_ns=time.time_ns(), gripper_position=self.gripper, mode=self.mode,
                        last_command_sequence=self.last_command_sequence, fault_message=self.fault)
        s.q_rad.extend(self.q)
        s.dq_rad_per_s.extend([0.0] * len(self.q))
        s.tau_nm.extend([0.5] * len(self.q))
        s.motor_temperature_c.extend([30.0] * len(self.q))
        self.state_pub.send(s.SerializeToString())

    def on_command(self, raw):
        c = pa.ArmCommand()
        try:
            c.ParseFromString(raw)
        except Exception as e:  # noqa: BLE001
            self.commands.append({"error": str(e)})
            return
        self.commands.append({"protocol_version": c.protocol_version, "sequence": c.sequence,
                              "sent_unix_ns": c.sent_unix_ns, "q": list(c.q_target_rad), "q_bits": bits(c.q_target_rad),
                              "gripper": c.gripper_target, "hold": c.hold, "bytes": len(raw)})
        self.last_command_sequence = c.sequence
        self.last_command_at = time.monotonic()
        if self.forced_mode is not None:
            return
        if c.hold:
            self.mode = pa.DRIVER_MODE_HOLDING
        elif len(c.q_target_rad) == len(self.q):
            self.q = list(c.q_target_rad)
            self.gripper = c.gripper_target
            self.mode = pa.DRIVER_MODE_TRACKING

    def on_request(self, raw):
        req = pa.ArmRequest()
        reply = pa.ArmReply(protocol_version=CURRENT, ok=True)
        try:
            req.ParseFromString(raw)
        except Exception as e:  # noqa: BLE001
            reply.ok, reply.error = False, f"malformed request: {e}"
            return reply
        reply.request_id = req.request_id
        kind = req.WhichOneof("request")
        record = {"kind": kind, "request_id": req.request_id, "protocol_version": req.protocol_version}
        self.requests.append(record)
        if req.protocol_version != CURRENT:
            reply.ok, reply.error = False, f"protocol_version {req.protocol_version}, driver speaks {CURRENT}"
        elif kind == "hello":
            record["client_name"] = req.hello.client_name
            h = reply.hello
            h.protocol_version = self.args.protocol_version
            h.arm_name = self.args.arm_name
            h.driver_name = "arm_driver_standin.py"
            h.driver_version = "0.1"
            h.joint_names.extend(self.joints)
            for i, name in enumerate(self.joints):
                h.joint_limits.add(name=name, lower_rad=self.lower[i], upper_rad=self.upper[i],
                                   max_velocity_rad_per_s=self.velocity[i], max_effort_nm=10.0)
            h.gripper.present = True
            h.gripper.stroke_m = 0.0475
            h.state_rate_hz = self.args.state_rate
            h.command_timeout_s = self.args.command_timeout
            h.motor_timeout_s = self.args.motor_timeout
        elif kind == "move_to_joints":
            m = req.move_to_joints
            record.update(q=list(m.q_target_rad), duration_s=m.duration_s, has_gripper=m.has_gripper_target,
                          gripper=m.gripper_target)
            if len(m.q_target_rad) != len(self.q) or m.duration_s <= 0:
                reply.ok, reply.error = False, "move_to_joints: wrong joint count or duration"
            else:
                self.mode = pa.DRIVER_MODE_MOVING
                time.sleep(min(m.duration_s, 0.2))
                self.q = list(m.q_target_rad)
                if m.has_gripper_target:
                    self.gripper = m.gripper_target
                self.mode = pa.DRIVER_MODE_HOLDING
        elif kind == "gripper":
            g = req.gripper
            record.update(action=pa.GripperCommand.Action.Name(g.action), position=g.position,
                          speed_per_s=g.speed_per_s, max_effort=g.max_effort)
        elif kind == "clear_errors":
            self.forced_mode, self.fault, self.mode = None, "", pa.DRIVER_MODE_HOLDING
        elif kind == "set_gains":
            record.update(kp=list(req.set_gains.kp), kd=list(req.set_gains.kd))
        elif kind == "ping":
            reply.pong.client_unix_ns = req.ping.client_unix_ns
            reply.pong.driver_unix_ns = time.time_ns()
        else:
            reply.ok, reply.error = False, f"unknown request {kind}"
        return reply

    def on_test(self, req):
        cmd = req.get("cmd")
        if cmd == "log":
            out = {"ok": True, "commands": self.commands, "requests": self.requests}
            if req.get("clear"):
                self.commands, self.requests = [], []
            return out
        if cmd == "set":
            if "q" in req:
                self.q = list(req["q"])
            if "mode" in req:
                self.forced_mode = None if req["mode"] is None else pa.DriverMode.Value("DRIVER_MODE_" + req["mode"])
            if "fault" in req:
                self.fault = req["fault"]
            if "gripper" in req:
                self.gripper = req["gripper"]
            if "sequence" in req:
                self.sequence = int(req["sequence"])
        elif cmd == "pause":
            self.paused = bool(req.get("value", True))
        elif cmd == "raw":
            for _ in range(int(req.get("count", 1))):
                self.state_pub.send(bytes.fromhex(req["hex"]))
        elif cmd == "quit":
            return None
        else:
            return {"ok": False, "error": f"unknown cmd {cmd}"}
        return {"ok": True}

    def run(self):
        endpoints = {"state": self.state_pub.getsockopt(zmq.LAST_ENDPOINT).decode(),
                     "control": self.control.getsockopt(zmq.LAST_ENDPOINT).decode(),
                     "test_control": self.test.getsockopt(zmq.LAST_ENDPOINT).decode()}
        print("READY " + json.dumps(endpoints), flush=True)
        poller = zmq.Poller()
        poller.register(self.command_sub, zmq.POLLIN)
        poller.register(self.control, zmq.POLLIN)
        poller.register(self.test, zmq.POLLIN)
        stdin = sys.stdin.fileno()
        poller.register(stdin, zmq.POLLIN)
        next_state = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_state:
                self.publish_state()
                next_state += self.period
                if next_state < now:
                    next_state = now + self.period
            for sock, _ in poller.poll(max(0.0, (next_state - time.monotonic()) * 1000)):
                if sock is self.command_sub:
                    self.on_command(self.command_sub.recv())
                elif sock is self.control:
                    raw = self.control.recv()
                    if self.args.silent:
                        poller.unregister(self.control)  # a hung driver: never answers
                        continue
                    self.control.send(self.on_request(raw).SerializeToString())
                elif sock is self.test:
                    reply = self.on_test(json.loads(self.test.recv()))
                    self.test.send_string(json.dumps(reply or {"ok": True}))
                    if reply is None:
                        return
                elif sock == stdin:
                    if not os.read(stdin, 4096):
                        return


def main():
    p = argparse.ArgumentParser()
    p.add_argument("gendir")
    p.add_argument("--command", required=True)
    p.add_argument("--state", default="tcp://127.0.0.1:*")
    p.add_argument("--control", default="tcp://127.0.0.1:*")
    p.add_argument("--arm-name", default="left")
    p.add_argument("--joints", default="joint1,joint2,joint3,joint4,joint5,joint6")
    p.add_argument("--lower", default="")
    p.add_argument("--upper", default="")
    p.add_argument("--velocity", default="")
    p.add_argument("--command-timeout", type=float, default=0.1)
    p.add_argument("--motor-timeout", type=float, default=0.2)
    p.add_argument("--protocol-version", type=int, default=CURRENT)
    p.add_argument("--state-rate", type=float, default=200.0)
    p.add_argument("--silent", action="store_true")
    Driver(p.parse_args()).run()


if __name__ == "__main__":
    main()
