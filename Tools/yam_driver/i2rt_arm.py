"""The boundary to the i2rt SDK: one `I2rtArm` owns one i2rt robot object.

Everything i2rt-specific lives here, including the gripper convention: the PLD arm protocol
says 0 = open … 1 = closed, i2rt's normalised command space says 0 = closed … 1 = open
(yam.md §6), so `wire = 1 - i2rt` in both directions and nowhere else.

Threads: the driver loop thread calls every method, except that `close` may run on the
loop's closer thread while the loop no longer touches the arm (ERROR mode).

Failure detection (yam.md §7.2): when a motor reports an error, i2rt's CAN thread stops
(`motor_chain.running = False`) and its robot thread raises "motor chain is not running";
neither reaches the caller of `command_joint_pos`, which keeps returning normally. So `fault()`
looks at three things: an uncaught exception in any non-driver thread since this arm was
created (captured with `threading.excepthook`), the motor chain's `running` flag, and whether
the robot thread is still alive. Exceptions raised by robot calls are faults as well.
"""

import importlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import numpy as np

from arm_model import JOINT_NAMES, NO_GRIPPER, STARTUP_TOLERANCE_RAD, JointRanges, model_ranges

log = logging.getLogger("yam_driver")

N_ARM = len(JOINT_NAMES)


class MotorFault(Exception):
    """i2rt or the motors failed; the message is the fault reported to the runtime."""


class StartupError(Exception):
    """The robot could not be created or is not in a state to be driven; one line."""


@dataclass(frozen=True)
class Observation:
    """One sample of the arm in wire conventions (gripper 0 open … 1 closed)."""

    q_rad: np.ndarray
    dq_rad_per_s: np.ndarray
    tau_nm: np.ndarray
    gripper_position: float
    gripper_velocity_per_s: float
    gripper_effort: float
    motor_temperature_c: List[float]
    sample_unix_ns: int


class _ThreadFaults:
    """Uncaught exceptions of background threads, numbered so an arm ignores older ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: List[Tuple[int, str]] = []
        self._counter = 0
        self._installed = False

    def install(self) -> None:
        with self._lock:
            if self._installed:
                return
            self._installed = True
            previous = threading.excepthook

            def hook(args: Any) -> None:
                name = args.thread.name if args.thread is not None else "thread"
                self.record(f"i2rt {name} thread died: {args.exc_type.__name__}: {args.exc_value}")
                previous(args)

            threading.excepthook = hook

    def record(self, message: str) -> None:
        with self._lock:
            self._counter += 1
            self._records.append((self._counter, message))

    def mark(self) -> int:
        with self._lock:
            return self._counter

    def since(self, mark: int) -> Optional[str]:
        with self._lock:
            for number, message in self._records:
                if number > mark:
                    return message
        return None


THREAD_FAULTS = _ThreadFaults()


def i2rt_version() -> str:
    """Version of the installed i2rt ("standin" for the test stand-in)."""
    try:
        from importlib import metadata

        return metadata.version("i2rt")
    except Exception:
        pass
    try:
        return str(getattr(importlib.import_module("i2rt"), "__version__", "unknown"))
    except ImportError:
        return "not installed"


def i2rt_is_standin() -> bool:
    try:
        return bool(getattr(importlib.import_module("i2rt"), "IS_STANDIN", False))
    except ImportError:
        return False


class I2rtArm:
    def __init__(self, robot: Any, gripper_type: str, ranges: JointRanges, fault_mark: int) -> None:
        self.robot = robot
        self.has_gripper = gripper_type != NO_GRIPPER
        self.ranges = ranges
        self._fault_mark = fault_mark
        self._gains_before_damping: Optional[Tuple[np.ndarray, np.ndarray]] = None
        info = robot_info(robot)
        self.default_kp = np.array(info["kp"], dtype=float).copy()
        self.default_kd = np.array(info["kd"], dtype=float).copy()
        effort = info.get("limit_gripper_effort")
        self.gripper_max_effort = float(effort) if effort is not None and float(effort) > 0 else 0.0

    # --- creation -------------------------------------------------------------------------

    @classmethod
    def create(cls, channel: str, arm_type: str, gripper_type: str) -> Tuple["I2rtArm", List[str]]:
        """Create the robot holding its current pose with PD and check it is inside the model
        ranges (± 0.1 rad). Returns the arm and warnings. Raises StartupError (one line)."""
        try:
            from i2rt.robots.get_robot import get_yam_robot
            from i2rt.robots.utils import ArmType, GripperType
        except ImportError as exc:
            raise StartupError(f"cannot import i2rt ({exc}); install i2rt v1.2.4 on this host (yam.md §3)") from None
        THREAD_FAULTS.install()
        mark = THREAD_FAULTS.mark()
        try:
            gripper_enum = _enum_from_name(GripperType, gripper_type)
            arm_enum = _enum_from_name(ArmType, arm_type)
            # zero_gravity_mode=False: the arm starts holding its pose with PD, never floating.
            robot = get_yam_robot(channel=channel, arm_type=arm_enum, gripper_type=gripper_enum, zero_gravity_mode=False)
        except Exception as exc:
            raise StartupError(f"i2rt could not create the robot on {channel}: {_one_line(exc)}") from None
        try:
            ranges, warnings = model_ranges(arm_type, robot_info(robot).get("joint_limits"))
            arm = cls(robot, gripper_type, ranges, mark)
            expected = N_ARM + (1 if arm.has_gripper else 0)
            if robot.num_dofs() != expected:
                raise StartupError(f"i2rt reports {robot.num_dofs()} motors, expected {expected} for gripper {gripper_type}")
            q = arm.observe().q_rad
            bad = ranges.violations(q, STARTUP_TOLERANCE_RAD)
            if bad:
                raise StartupError(
                    "startup position outside the model limits: " + "; ".join(bad)
                    + " — probably a zero-position offset: move the arm to zero and power-cycle, "
                    "or recalibrate (i2rt motor_config_tool/set_zero.py)"
                )
            return arm, warnings
        except Exception as exc:
            _close_quietly(robot)
            if isinstance(exc, StartupError):
                raise
            raise StartupError(f"i2rt robot on {channel} is not usable: {_one_line(exc)}") from None

    # --- read -----------------------------------------------------------------------------

    def observe(self) -> Observation:
        try:
            obs = self.robot.get_observations()
            stamp = time.time_ns()
            q = np.asarray(obs["joint_pos"], dtype=float)[:N_ARM].copy()
            dq = np.asarray(obs["joint_vel"], dtype=float)[:N_ARM].copy()
            tau = np.asarray(obs["joint_eff"], dtype=float)[:N_ARM].copy()
            if self.has_gripper:
                g = 1.0 - float(np.asarray(obs["gripper_pos"]).ravel()[0])
                gv = -float(np.asarray(obs["gripper_vel"]).ravel()[0])
                ge = float(np.asarray(obs["gripper_eff"]).ravel()[0])
            else:
                g = gv = ge = 0.0
            temps = obs.get("temp_rotor", obs.get("temp_mos"))
            temps_c = [float(t) for t in np.asarray(temps).ravel()] if temps is not None else []
        except Exception as exc:
            raise MotorFault(f"i2rt get_observations failed: {_one_line(exc)}") from None
        return Observation(q, dq, tau, g, gv, ge, temps_c, stamp)

    def fault(self) -> Optional[str]:
        """The fault message when i2rt or the motors have failed, else None."""
        message = THREAD_FAULTS.since(self._fault_mark)
        if message:
            return message
        chain = getattr(self.robot, "motor_chain", None)
        if chain is not None and getattr(chain, "running", True) is False:
            return "i2rt motor chain is not running (a motor reported an error or lost communication)"
        thread = getattr(self.robot, "_server_thread", None)
        if thread is not None and hasattr(thread, "is_alive") and not thread.is_alive():
            return "i2rt robot thread stopped"
        return None

    # --- write ----------------------------------------------------------------------------

    def command(self, q_rad: np.ndarray, gripper_wire: float) -> None:
        """Set the PD target: arm joints (already clipped) and gripper in wire convention."""
        if self.has_gripper:
            target = np.concatenate([np.asarray(q_rad, dtype=float), [1.0 - gripper_wire]])
        else:
            target = np.array(q_rad, dtype=float)
        try:
            self.robot.command_joint_pos(target)
        except Exception as exc:
            raise MotorFault(f"i2rt command_joint_pos failed: {_one_line(exc)}") from None

    def set_gains(self, kp: np.ndarray, kd: np.ndarray) -> None:
        """kp, kd: one per motor (arm joints, then the gripper when present)."""
        if self._gains_before_damping is not None:  # zero_torque_mode damping: apply on exit
            self._gains_before_damping = (np.array(kp, dtype=float), np.array(kd, dtype=float))
            return
        try:
            self.robot.update_kp_kd(np.array(kp, dtype=float), np.array(kd, dtype=float))
        except Exception as exc:
            raise MotorFault(f"i2rt update_kp_kd failed: {_one_line(exc)}") from None

    def current_gains(self) -> Tuple[np.ndarray, np.ndarray]:
        info = robot_info(self.robot)
        return np.array(info["kp"], dtype=float).copy(), np.array(info["kd"], dtype=float).copy()

    def enter_damping(self) -> None:
        """Gravity compensation with damping only: the arm floats and can be moved by hand; the
        robot thread keeps streaming, so the motors' watchdog stays fed."""
        try:
            if hasattr(self.robot, "enter_gravity_comp_idle"):
                self.robot.enter_gravity_comp_idle()
            else:  # zero_torque_mode zeroes the stored gains: remember them for exit_damping
                self._gains_before_damping = self.current_gains()
                self.robot.zero_torque_mode()
        except Exception as exc:
            raise MotorFault(f"i2rt could not enter damping: {_one_line(exc)}") from None

    def exit_damping(self) -> None:
        if self._gains_before_damping is not None:
            kp, kd = self._gains_before_damping
            self._gains_before_damping = None
            self.set_gains(kp, kd)
        # enter_gravity_comp_idle keeps the stored gains: the next command_joint_pos holds again.

    def close(self) -> None:
        _close_quietly(self.robot)


def robot_info(robot: Any) -> dict:
    """`get_robot_info()`, or the same keys read from the robot when it fails: i2rt's
    MotorChainRobot raises AttributeError there on a robot without a gripper, because
    `_limit_gripper_force` is only set when a gripper is attached."""
    try:
        return dict(robot.get_robot_info())
    except Exception as exc:
        log.debug("get_robot_info failed (%s); reading kp, kd, joint limits from the robot", _one_line(exc))
        info = {}
        for key, attr in (("kp", "_kp"), ("kd", "_kd"), ("joint_limits", "_joint_limits"), ("gripper_limits", "_gripper_limits")):
            info[key] = getattr(robot, attr, None)
        if info["kp"] is None or info["kd"] is None:
            raise
        return info


def _enum_from_name(enum_type: Any, name: str) -> Any:
    if hasattr(enum_type, "from_string_name"):
        return enum_type.from_string_name(name)
    return enum_type(name)


def _close_quietly(robot: Any) -> None:
    try:
        robot.close()
    except Exception as exc:
        log.warning("i2rt close failed: %s", _one_line(exc))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ") or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
