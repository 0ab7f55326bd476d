"""The driver's fixed-rate loop for one arm: read → update → write, on one thread.

Contract (pld_arm.proto header, yam.md §12):
- Every period (1 / loop_rate_hz, default 4 ms, far inside the 200 ms motor watchdog) the loop
  calls i2rt `command_joint_pos` with the current target, unless the mode is ERROR or DAMPING.
- TRACKING: the newest valid ArmCommand is the target (joints clipped to the un-widened model
  ranges, gripper converted to i2rt's convention by I2rtArm).
- HOLDING: no valid command for command_timeout_s → keep feeding the last target; a command
  with hold = true latches the measured position at that moment and feeds it.
- MOVING: a MoveToJoints request interpolates linearly from the measured position; ArmCommands
  are ignored meanwhile except hold = true, which stops the move where it is.
- DAMPING: only when damp_after_s > 0 (off by default on real hardware, see README): after that
  long without any command or motion request, i2rt's gravity-compensation idle (the arm floats,
  damped). ClearErrors returns to HOLDING at the measured position.
- ERROR: any i2rt failure. The loop stops commanding (the motors fall into their own
  timeout/damping) and ignores commands; only ClearErrors returns to HOLDING: it closes the
  failed i2rt robot and re-creates it through i2rt, with the startup check. The failed robot
  is not closed before that, because i2rt's close sets all torques to zero, which would drop
  the arm if its CAN thread were still alive; that step is left to the human-confirmed path.
- ArmState is published at state_rate_hz whatever the mode. The control REP answers every
  request, with ok = false and a one-line error when it cannot be honoured.
"""

import logging
import math
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import numpy as np

from arm_model import JOINT_NAMES
from command_gate import CommandRefused, gate_command
from control_requests import RequestRefused, check_request, decode_request, hello_reply
from driver_config import DriverConfig
from i2rt_arm import I2rtArm, MotorFault, Observation, i2rt_version
from loop_support import LoopStats, Throttle, close_within, run_in_background
from pldproto import pld_arm_pb2

log = logging.getLogger("yam_driver")

PROTOCOL_VERSION = pld_arm_pb2.ARM_PROTOCOL_VERSION_CURRENT
TRACKING = pld_arm_pb2.DRIVER_MODE_TRACKING
HOLDING = pld_arm_pb2.DRIVER_MODE_HOLDING
DAMPING = pld_arm_pb2.DRIVER_MODE_DAMPING
ERROR = pld_arm_pb2.DRIVER_MODE_ERROR
MOVING = pld_arm_pb2.DRIVER_MODE_MOVING
FEEDING_MODES = (TRACKING, HOLDING, MOVING)
REQUESTS_PER_TICK = 4
CLOSE_WAIT_S = 10.0
STATS_INTERVAL_S = 10.0


def mode_name(mode: int) -> str:
    return pld_arm_pb2.DriverMode.Name(mode).replace("DRIVER_MODE_", "")


@dataclass
class Motion:
    """A MoveToJoints in progress."""

    start_q: np.ndarray
    end_q: np.ndarray
    start_g: float
    end_g: float
    start_s: float
    duration_s: float


class DriverLoop:
    def __init__(self, cfg: DriverConfig, arm: I2rtArm, links, create_arm: Callable[[], Tuple[I2rtArm, List[str]]]) -> None:
        self.cfg = cfg
        self.arm: Optional[I2rtArm] = arm
        self.links = links
        self.create_arm = create_arm
        self.has_gripper = arm.has_gripper
        self.ranges = arm.ranges
        self.gripper_max_effort = arm.gripper_max_effort
        self.driver_name = f"yam_driver (i2rt {i2rt_version()})"
        now = time.monotonic()
        self.obs: Observation = arm.observe()
        self.target_q = self.obs.q_rad.copy()
        self.target_g = self.obs.gripper_position
        self.mode = HOLDING
        self.fault_message = ""
        self.hold_latched = False
        self.motion: Optional[Motion] = None
        self.gripper_goal: Optional[Tuple[float, float]] = None  # (wire position, speed per s)
        self.last_command_rx: Optional[float] = None
        self.last_activity = now
        self.last_command_sequence = 0
        self.state_sequence = 0
        self.next_state_due = now
        self.last_tick = now
        self.gains: Optional[Tuple[np.ndarray, np.ndarray]] = None
        self.failed_arm: Optional[I2rtArm] = None  # in ERROR, until ClearErrors closes it
        self.reinit: Optional[Future] = None
        self.reinit_request_id = 0
        self.stats = LoopStats(now)
        self.throttle = Throttle()
        log.info("holding at %s (%s)", np.round(self.target_q, 4).tolist(), self.driver_name)

    # --- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        period_s = 1.0 / self.cfg.loop_rate_hz
        deadline = time.monotonic()
        try:
            while not stop.is_set():
                start = time.monotonic()
                self.tick(start)
                self.stats.ticks += 1
                self.stats.max_tick_s = max(self.stats.max_tick_s, time.monotonic() - start)
                deadline += period_s
                delay = deadline - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    self.stats.overruns += 1
                    if delay < -period_s:  # more than a period late: start afresh rather than burst
                        deadline = time.monotonic()
        finally:
            self.shutdown()  # also after an unexpected exception: hold, then close i2rt

    def tick(self, now: float) -> None:
        # read
        frame = self.links.newest_command()
        if self.mode != ERROR:
            self.sense()
        if frame is not None:
            self.on_command(frame, now)
        self.serve_control(now)
        # update
        self.advance(now)
        # write
        if self.mode in FEEDING_MODES:
            self.feed()
        if now >= self.next_state_due:
            self.publish_state()
            self.next_state_due += 1.0 / self.cfg.state_rate_hz
            if self.next_state_due < now:
                self.next_state_due = now + 1.0 / self.cfg.state_rate_hz
        self.last_tick = now
        if now - self.stats.since >= STATS_INTERVAL_S:
            self.log_stats(now)

    # --- read -------------------------------------------------------------------------------

    def sense(self) -> None:
        assert self.arm is not None
        try:
            obs = self.arm.observe()
            fault = self.arm.fault()
        except MotorFault as exc:
            obs, fault = None, str(exc)
        if fault:
            self.enter_error(fault)
        else:
            self.obs = obs

    def on_command(self, frame: bytes, now: float) -> None:
        try:
            cmd = gate_command(frame, self.ranges)
        except CommandRefused as exc:
            self.stats.refused += 1
            self.throttle.warn("refused", f"refused ArmCommand: {exc}", now)
            return
        if self.mode in (ERROR, DAMPING) or (self.mode == MOVING and not cmd.hold):
            self.stats.ignored += 1
            self.throttle.warn("ignored", f"ArmCommand {cmd.sequence} ignored in mode {mode_name(self.mode)}", now)
            return
        if cmd.clipped:
            self.throttle.warn("clipped", f"ArmCommand {cmd.sequence} clipped to the model ranges: {', '.join(cmd.clipped)}", now)
        self.stats.applied += 1
        self.last_command_rx = now
        self.last_activity = now
        self.last_command_sequence = cmd.sequence
        if cmd.hold:
            if not (self.mode == HOLDING and self.hold_latched):
                self.motion = None
                self.gripper_goal = None
                self.target_q = self.obs.q_rad.copy()
                self.hold_latched = True
                self.set_mode(HOLDING, f"hold requested by command {cmd.sequence}")
            return
        self.hold_latched = False
        self.gripper_goal = None
        self.target_q = cmd.q_target_rad
        if self.has_gripper:
            self.target_g = cmd.gripper_target
        self.set_mode(TRACKING, f"command {cmd.sequence}")

    # --- update -----------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        if self.mode == TRACKING and self.last_command_rx is not None and now - self.last_command_rx > self.cfg.command_timeout_s:
            self.set_mode(HOLDING, f"no ArmCommand for {self.cfg.command_timeout_s:g} s: holding the last position")
        if self.mode == MOVING and self.motion is not None:
            m = self.motion
            alpha = min(max((now - m.start_s) / m.duration_s, 0.0), 1.0)
            self.target_q = m.start_q + alpha * (m.end_q - m.start_q)
            self.target_g = m.start_g + alpha * (m.end_g - m.start_g)
            if alpha >= 1.0:
                self.motion = None
                self.last_activity = now
                self.set_mode(HOLDING, "move_to_joints done")
        if self.gripper_goal is not None and self.mode in (TRACKING, HOLDING):
            goal, speed = self.gripper_goal
            step = speed * max(now - self.last_tick, 0.0)
            if abs(goal - self.target_g) <= step:
                self.target_g = goal
                self.gripper_goal = None
            else:
                self.target_g += math.copysign(step, goal - self.target_g)
        if self.cfg.damp_after_s > 0 and self.mode == HOLDING and now - self.last_activity > self.cfg.damp_after_s:
            self.enter_damping(f"no command for {self.cfg.damp_after_s:g} s (damp_after_s): damping, send ClearErrors to hold again")

    def set_mode(self, mode: int, why: str) -> None:
        if mode != self.mode:
            log.info("%s -> %s: %s", mode_name(self.mode), mode_name(mode), why)
            self.mode = mode
            if mode in FEEDING_MODES:
                self.fault_message = ""

    def enter_error(self, message: str) -> None:
        if self.mode == ERROR:
            return
        log.error("%s -> ERROR: %s; stopped commanding; send ClearErrors to re-create the robot", mode_name(self.mode), message)
        self.mode = ERROR
        self.fault_message = message
        self.motion = None
        self.gripper_goal = None
        self.hold_latched = False
        self.failed_arm, self.arm = self.arm, None

    def enter_damping(self, reason: str) -> None:
        assert self.arm is not None
        try:
            self.arm.enter_damping()
        except MotorFault as exc:
            self.enter_error(str(exc))
            return
        self.motion = None
        self.gripper_goal = None
        self.hold_latched = False
        self.set_mode(DAMPING, reason)
        self.fault_message = reason

    # --- write ------------------------------------------------------------------------------

    def feed(self) -> None:
        assert self.arm is not None
        try:
            self.arm.command(self.target_q, self.target_g)
            self.stats.feeds += 1
        except MotorFault as exc:
            self.enter_error(str(exc))

    def publish_state(self) -> None:
        o = self.obs
        self.state_sequence += 1
        state = pld_arm_pb2.ArmState(
            protocol_version=PROTOCOL_VERSION,
            arm_name=self.cfg.arm,
            sequence=self.state_sequence,
            sample_unix_ns=o.sample_unix_ns,
            q_rad=o.q_rad.tolist(),
            dq_rad_per_s=o.dq_rad_per_s.tolist(),
            tau_nm=o.tau_nm.tolist(),
            gripper_position=o.gripper_position,
            gripper_velocity_per_s=o.gripper_velocity_per_s,
            gripper_effort=o.gripper_effort,
            mode=self.mode,
            last_command_sequence=self.last_command_sequence,
            fault_message=self.fault_message,
            motor_temperature_c=o.motor_temperature_c,
        )
        self.links.publish(state)
        self.stats.states += 1

    # --- control requests -------------------------------------------------------------------

    def serve_control(self, now: float) -> None:
        if self.reinit is not None:
            if self.reinit.done():
                self.links.reply(self.finish_reinit(now))
            return  # REP: no new request before this one is answered
        for _ in range(REQUESTS_PER_TICK):
            frames = self.links.next_request()
            if frames is None:
                return
            reply = self.handle_request(frames, now)
            if reply is None:
                return  # answered when the deferred work finishes
            self.links.reply(reply)

    def handle_request(self, frames: List[bytes], now: float) -> Optional[pld_arm_pb2.ArmReply]:
        request_id = 0
        try:
            req = decode_request(frames)
            request_id = req.request_id
            kind = check_request(req, self.has_gripper, self.ranges)
            if kind == "hello":
                return self.reply(request_id, hello=hello_reply(self.cfg, self.ranges, self.has_gripper, self.gripper_max_effort, self.driver_name))
            if kind == "ping":
                pong = pld_arm_pb2.Pong(client_unix_ns=req.ping.client_unix_ns, driver_unix_ns=time.time_ns())
                return self.reply(request_id, pong=pong)
            if kind == "move_to_joints":
                self.start_motion(req.move_to_joints, now)
            elif kind == "gripper":
                self.start_gripper(req.gripper, now)
            elif kind == "set_gains":
                self.apply_gains(np.array(req.set_gains.kp, dtype=float), np.array(req.set_gains.kd, dtype=float))
            elif kind == "clear_errors":
                return self.clear_errors(request_id, now)
            return self.reply(request_id)
        except RequestRefused as exc:
            return self.reply(request_id, error=str(exc))
        except MotorFault as exc:
            self.enter_error(str(exc))
            return self.reply(request_id, error=str(exc))
        except Exception as exc:  # the REP must answer whatever happens
            log.exception("internal error handling a request")
            return self.reply(request_id, error=f"internal error: {type(exc).__name__}: {exc}".replace("\n", " "))

    @staticmethod
    def reply(request_id: int, error: Optional[str] = None, **payload) -> pld_arm_pb2.ArmReply:
        return pld_arm_pb2.ArmReply(
            protocol_version=PROTOCOL_VERSION, request_id=request_id, ok=error is None, error=error or "", **payload
        )

    def refuse_unless_driving(self, what: str) -> None:
        if self.mode in (ERROR, DAMPING):
            raise RequestRefused(f"{what}: driver is in {mode_name(self.mode)} ({self.fault_message}); send ClearErrors first")

    def start_motion(self, m: pld_arm_pb2.MoveToJoints, now: float) -> None:
        self.refuse_unless_driving("move_to_joints")
        start_q = self.obs.q_rad.copy()
        end_q = np.array(m.q_target_rad, dtype=float)
        speed = float(np.max(np.abs(end_q - start_q))) / m.duration_s
        if speed > self.cfg.max_move_speed_rad_per_s:
            needed = float(np.max(np.abs(end_q - start_q))) / self.cfg.max_move_speed_rad_per_s
            raise RequestRefused(
                f"move_to_joints: {speed:.2f} rad/s exceeds max_move_speed_rad_per_s "
                f"{self.cfg.max_move_speed_rad_per_s:g}; use duration_s >= {needed:.2f}"
            )
        end_g = m.gripper_target if m.has_gripper_target else self.target_g
        self.motion = Motion(start_q, end_q, self.target_g, end_g, now, m.duration_s)
        self.hold_latched = False
        self.gripper_goal = None
        self.last_activity = now
        self.set_mode(MOVING, f"move_to_joints to {np.round(end_q, 4).tolist()} in {m.duration_s:g} s")

    def start_gripper(self, g: pld_arm_pb2.GripperCommand, now: float) -> None:
        self.refuse_unless_driving("gripper")
        if self.mode == MOVING:
            raise RequestRefused("gripper: a move_to_joints is in progress")
        goal = {g.ACTION_OPEN: 0.0, g.ACTION_CLOSE: 1.0}.get(g.action, g.position)
        speed = g.speed_per_s if g.speed_per_s > 0 else self.cfg.gripper_speed_per_s
        self.gripper_goal = (goal, min(speed, self.cfg.gripper_max_speed_per_s))
        self.last_activity = now

    def apply_gains(self, kp: np.ndarray, kd: np.ndarray) -> None:
        if self.has_gripper and kp.size == len(JOINT_NAMES):
            current_kp, current_kd = self.gains if self.gains is not None else (self.default_gains())
            kp = np.append(kp, current_kp[-1])
            kd = np.append(kd, current_kd[-1])
        self.gains = (kp, kd)
        if self.arm is not None:  # in ERROR they are applied when ClearErrors re-creates the robot
            self.arm.set_gains(kp, kd)
        log.info("gains kp %s kd %s", kp.tolist(), kd.tolist())

    def default_gains(self) -> Tuple[np.ndarray, np.ndarray]:
        if self.arm is not None:
            return self.arm.default_kp, self.arm.default_kd
        raise RequestRefused("set_gains: give the gripper gains too (7 values) while the driver is in ERROR")

    def clear_errors(self, request_id: int, now: float) -> Optional[pld_arm_pb2.ArmReply]:
        if self.mode == DAMPING:
            assert self.arm is not None
            self.arm.exit_damping()
            self.target_q = self.obs.q_rad.copy()
            self.last_activity = now
            self.set_mode(HOLDING, "ClearErrors")
            return self.reply(request_id)
        if self.mode != ERROR:
            return self.reply(request_id)
        failed, self.failed_arm = self.failed_arm, None
        log.info("ClearErrors: closing the failed i2rt robot and re-creating it on %s", self.cfg.can)

        def recreate() -> I2rtArm:
            if failed is not None:
                close_within(failed, CLOSE_WAIT_S)
            arm, warnings = self.create_arm()
            for w in warnings:
                log.warning("%s", w)
            return arm

        self.reinit = run_in_background(recreate, "yam_driver_reinit")
        self.reinit_request_id = request_id
        return None

    def finish_reinit(self, now: float) -> pld_arm_pb2.ArmReply:
        future, self.reinit = self.reinit, None
        request_id = self.reinit_request_id
        try:
            arm = future.result()
        except Exception as exc:
            text = str(exc).replace("\n", " ")
            self.fault_message = f"ClearErrors failed: {text}"
            log.error("%s", self.fault_message)
            return self.reply(request_id, error=self.fault_message)
        try:
            if self.gains is not None:
                arm.set_gains(*self.gains)
            self.obs = arm.observe()
        except MotorFault as exc:
            self.fault_message = f"ClearErrors failed: {exc}"
            log.error("%s", self.fault_message)
            try:
                close_within(arm, CLOSE_WAIT_S)
            except RuntimeError as close_exc:
                log.error("%s", close_exc)
            return self.reply(request_id, error=self.fault_message)
        self.arm = arm
        self.ranges = arm.ranges
        self.target_q = self.obs.q_rad.copy()
        self.target_g = self.obs.gripper_position
        self.last_command_rx = None
        self.last_activity = now
        self.set_mode(HOLDING, "ClearErrors: robot re-created")
        return self.reply(request_id)

    # --- shutdown and statistics ------------------------------------------------------------

    def shutdown(self) -> None:
        """Hold the measured position for shutdown_hold_s, then close i2rt."""
        if self.reinit is not None:
            try:
                self.arm = self.reinit.result(timeout=CLOSE_WAIT_S + 30.0)
            except Exception:
                self.arm = None
            self.reinit = None
        if self.arm is not None:
            if self.mode in FEEDING_MODES:
                self.sense()
            if self.arm is not None and self.mode in FEEDING_MODES:
                self.motion = None
                self.gripper_goal = None
                self.target_q = self.obs.q_rad.copy()
                self.set_mode(HOLDING, "shutting down")
                end = time.monotonic() + self.cfg.shutdown_hold_s
                while time.monotonic() < end and self.mode == HOLDING:
                    self.feed()
                    time.sleep(1.0 / self.cfg.loop_rate_hz)
                self.publish_state()
            if self.arm is not None:
                log.info("closing i2rt")
                self.arm.close()
                self.arm = None
        if self.failed_arm is not None:
            log.info("closing the failed i2rt robot")
            try:
                close_within(self.failed_arm, CLOSE_WAIT_S)
            except RuntimeError as exc:
                log.error("%s", exc)
            self.failed_arm = None

    def log_stats(self, now: float) -> None:
        s = self.stats
        span = now - s.since
        log.info(
            "loop %.1f Hz (overruns %d, max tick %.2f ms), feeds %.1f/s, states %.1f/s, commands applied %d refused %d ignored %d, mode %s",
            s.ticks / span, s.overruns, s.max_tick_s * 1e3, s.feeds / span, s.states / span, s.applied, s.refused, s.ignored, mode_name(self.mode),
        )
        s.reset(now)
