"""Decoding and static checks of ArmRequests on the control REP.

`decode_request` turns the received frames into an ArmRequest; `check_request` refuses what
is malformed whatever the driver's state (wrong version, wrong count, non-finite values,
gains outside what the motors can encode, unsupported actions). Checks that depend on the
driver's state (mode, current position) are the loop's. Every refusal is a RequestRefused
with a one-line reason, which becomes `ok: false` in the reply.
"""

import math
from typing import Any, List, Sequence

import numpy as np

from arm_model import GRIPPER_STROKE_M, JOINT_NAMES, YAM_XML_EFFORT_NM, JointRanges
from pldproto import pld_arm_pb2

PROTOCOL_VERSION = pld_arm_pb2.ARM_PROTOCOL_VERSION_CURRENT
DRIVER_VERSION = "0.1.0"
MAX_REQUEST_BYTES = 65536
MAX_MOVE_DURATION_S = 120.0
# Damiao MIT-mode gain encoding ranges (i2rt motor_drivers/utils.py, yam.md §1).
KP_MAX = 500.0
KD_MAX = 5.0

GripperAction = pld_arm_pb2.GripperCommand


class RequestRefused(ValueError):
    """One-line reason a request is answered with ok = false."""


def decode_request(frames: List[bytes]) -> pld_arm_pb2.ArmRequest:
    if len(frames) != 1:
        raise RequestRefused(f"expected one frame per request, got {len(frames)}")
    frame = frames[0]
    if len(frame) > MAX_REQUEST_BYTES:
        raise RequestRefused(f"request of {len(frame)} bytes exceeds {MAX_REQUEST_BYTES}")
    req = pld_arm_pb2.ArmRequest()
    try:
        req.ParseFromString(frame)
    except Exception:
        raise RequestRefused(f"undecodable ArmRequest ({len(frame)} bytes)") from None
    return req


def check_request(req: pld_arm_pb2.ArmRequest, has_gripper: bool, ranges: JointRanges) -> str:
    """Returns the request kind (the oneof field name) when it is well-formed."""
    if req.protocol_version != PROTOCOL_VERSION:
        raise RequestRefused(f"protocol version {req.protocol_version}, driver speaks {PROTOCOL_VERSION}")
    kind = req.WhichOneof("request")
    if kind is None:
        raise RequestRefused("empty request: none of hello, move_to_joints, gripper, clear_errors, set_gains, ping is set")
    if kind == "hello":
        v = req.hello.protocol_version
        if v not in (0, PROTOCOL_VERSION):
            raise RequestRefused(f"hello for protocol version {v}, driver speaks {PROTOCOL_VERSION}")
    elif kind == "move_to_joints":
        _check_move(req.move_to_joints, has_gripper, ranges)
    elif kind == "gripper":
        _check_gripper(req.gripper, has_gripper)
    elif kind == "set_gains":
        _check_gains(req.set_gains, has_gripper)
    return kind


def _check_move(m: pld_arm_pb2.MoveToJoints, has_gripper: bool, ranges: JointRanges) -> None:
    q = np.array(m.q_target_rad, dtype=float)
    if q.shape != (len(JOINT_NAMES),):
        raise RequestRefused(f"move_to_joints: {q.size} joint targets, the arm has {len(JOINT_NAMES)}")
    if not np.all(np.isfinite(q)):
        raise RequestRefused("move_to_joints: non-finite joint target")
    bad = ranges.violations(q)
    if bad:
        raise RequestRefused("move_to_joints: " + "; ".join(bad))
    if not (math.isfinite(m.duration_s) and 0.0 < m.duration_s <= MAX_MOVE_DURATION_S):
        raise RequestRefused(f"move_to_joints: duration_s {m.duration_s} must be in (0, {MAX_MOVE_DURATION_S:g}]")
    if m.has_gripper_target:
        if not has_gripper:
            raise RequestRefused("move_to_joints: gripper target given but this arm has no gripper")
        _check_unit("move_to_joints: gripper_target", m.gripper_target)


def _check_gripper(g: pld_arm_pb2.GripperCommand, has_gripper: bool) -> None:
    if not has_gripper:
        raise RequestRefused("gripper: this arm has no gripper")
    if g.action == GripperAction.ACTION_UNSPECIFIED:
        raise RequestRefused("gripper: action unspecified")
    if g.action == GripperAction.ACTION_CALIBRATE:
        raise RequestRefused(
            "gripper: i2rt calibrates the gripper only when the robot is created; restart the driver to recalibrate"
        )
    if g.action == GripperAction.ACTION_MOVE:
        _check_unit("gripper: position", g.position)
    if not (math.isfinite(g.speed_per_s) and g.speed_per_s >= 0.0):
        raise RequestRefused(f"gripper: speed_per_s {g.speed_per_s} must be finite and >= 0")
    if g.max_effort != 0.0:
        raise RequestRefused(
            "gripper: max_effort must be 0 (driver default): i2rt fixes the gripper force limit when the robot is created"
        )


def _check_gains(s: pld_arm_pb2.SetGains, has_gripper: bool) -> None:
    allowed = (len(JOINT_NAMES), len(JOINT_NAMES) + 1) if has_gripper else (len(JOINT_NAMES),)
    if len(s.kp) != len(s.kd) or len(s.kp) not in allowed:
        raise RequestRefused(
            f"set_gains: {len(s.kp)} kp and {len(s.kd)} kd, expected {' or '.join(map(str, allowed))} of each"
        )
    _check_range("set_gains: kp", s.kp, KP_MAX)
    _check_range("set_gains: kd", s.kd, KD_MAX)


def _check_unit(what: str, x: float) -> None:
    if not (math.isfinite(x) and 0.0 <= x <= 1.0):
        raise RequestRefused(f"{what} {x} must be in [0, 1] (0 open … 1 closed)")


def _check_range(what: str, values: Sequence[float], upper: float) -> None:
    for i, v in enumerate(values):
        if not (math.isfinite(v) and 0.0 <= v <= upper):
            raise RequestRefused(f"{what}[{i}] = {v} must be in [0, {upper:g}]")


def hello_reply(cfg: Any, ranges: JointRanges, has_gripper: bool, gripper_max_effort: float, driver_name: str) -> pld_arm_pb2.HelloReply:
    """The HelloReply of this driver: identity, joints, un-widened limits, gripper, rates and timeouts."""
    limits = [
        pld_arm_pb2.JointLimit(name=n, lower_rad=float(lo), upper_rad=float(hi), max_velocity_rad_per_s=0.0, max_effort_nm=YAM_XML_EFFORT_NM)
        for n, lo, hi in zip(JOINT_NAMES, ranges.lower_rad, ranges.upper_rad)
    ]
    gripper = pld_arm_pb2.GripperLimits(
        present=has_gripper,
        stroke_m=GRIPPER_STROKE_M.get(cfg.gripper, 0.0),
        max_speed_per_s=cfg.gripper_max_speed_per_s if has_gripper else 0.0,
        max_effort=gripper_max_effort if has_gripper else 0.0,
    )
    return pld_arm_pb2.HelloReply(
        protocol_version=PROTOCOL_VERSION,
        arm_name=cfg.arm,
        driver_name=driver_name,
        driver_version=DRIVER_VERSION,
        joint_names=list(JOINT_NAMES),
        joint_limits=limits,
        gripper=gripper,
        state_rate_hz=cfg.state_rate_hz,
        command_timeout_s=cfg.command_timeout_s,
        motor_timeout_s=cfg.motor_timeout_s,
    )
