"""Checks one ArmCommand from the wire before it may move the arm.

A command is refused as a whole (the arm keeps its previous target and the refusal is counted
and logged) when it cannot be decoded, is too large, has another protocol version, or — unless
it is a hold — has the wrong joint count or a non-finite value. An accepted command's joint
targets are clipped to the un-widened model ranges and its gripper target to [0, 1]; the
clip is reported so the driver can log it.
"""

import math
from dataclasses import dataclass
from typing import List

import numpy as np

from arm_model import JOINT_NAMES, JointRanges
from pldproto import pld_arm_pb2

PROTOCOL_VERSION = pld_arm_pb2.ARM_PROTOCOL_VERSION_CURRENT
MAX_COMMAND_BYTES = 4096


class CommandRefused(ValueError):
    """One-line reason an ArmCommand was not applied."""


@dataclass(frozen=True)
class AcceptedCommand:
    sequence: int
    hold: bool
    q_target_rad: np.ndarray  # clipped; empty when hold
    gripper_target: float  # wire convention, clipped to [0, 1]; NaN when hold
    clipped: List[str]  # "joint3 3.5000 -> 3.14159" per clipped value


def gate_command(frame: bytes, ranges: JointRanges) -> AcceptedCommand:
    if len(frame) > MAX_COMMAND_BYTES:
        raise CommandRefused(f"command of {len(frame)} bytes exceeds {MAX_COMMAND_BYTES}")
    cmd = pld_arm_pb2.ArmCommand()
    try:
        cmd.ParseFromString(frame)
    except Exception:
        raise CommandRefused(f"undecodable ArmCommand ({len(frame)} bytes)") from None
    if cmd.protocol_version != PROTOCOL_VERSION:
        raise CommandRefused(f"command {cmd.sequence}: protocol version {cmd.protocol_version}, driver speaks {PROTOCOL_VERSION}")
    if cmd.hold:
        return AcceptedCommand(cmd.sequence, True, np.empty(0), math.nan, [])
    q = np.array(cmd.q_target_rad, dtype=float)
    if q.shape != (len(JOINT_NAMES),):
        raise CommandRefused(f"command {cmd.sequence}: {q.size} joint targets, the arm has {len(JOINT_NAMES)}")
    if not np.all(np.isfinite(q)):
        bad = [JOINT_NAMES[i] for i in np.flatnonzero(~np.isfinite(q))]
        raise CommandRefused(f"command {cmd.sequence}: non-finite target for {', '.join(bad)}")
    if not math.isfinite(cmd.gripper_target):
        raise CommandRefused(f"command {cmd.sequence}: non-finite gripper target")
    clipped_q = ranges.clip(q)
    notes = [f"{JOINT_NAMES[i]} {q[i]:.4f} -> {clipped_q[i]:.5f}" for i in np.flatnonzero(clipped_q != q)]
    g = min(max(cmd.gripper_target, 0.0), 1.0)
    if g != cmd.gripper_target:
        notes.append(f"gripper {cmd.gripper_target:.4f} -> {g:g}")
    return AcceptedCommand(cmd.sequence, False, clipped_q, g, notes)
