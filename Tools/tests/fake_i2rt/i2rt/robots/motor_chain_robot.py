"""Stand-in for `i2rt.robots.motor_chain_robot.MotorChainRobot` (tests only; see `i2rt/__init__.py`).

Keeps the method surface and the failure behaviour of the real class (reference/yam.md §3.2,
§7.2): commands are stored and streamed by a background "robot_server" thread; arm joints are
clipped to the widened limits, the gripper (normalised, 0 closed … 1 open) is not clipped by
`command_joint_pos`; when the motor chain stops running, the robot thread raises
"motor chain is not running" and nothing reaches the motors any more. The joints follow the
PD target with a first-order response (time constant TAU_S) instead of real dynamics.
"""

import math
import threading
import time
from typing import Any, Dict

import numpy as np

from i2rt._standin_bench import bench

TAU_S = 0.04


class _StandinMotorChain:
    """Only the parts of DMChainCanInterface the driver may look at: `running`, `len`, `close`."""

    def __init__(self, n: int) -> None:
        self.running = True
        self._n = n

    def __len__(self) -> int:
        return self._n

    def close(self) -> None:
        self.running = False


class MotorChainRobot:
    def __init__(self, joint_limits, kp, kd, gripper_index, gripper_limits, zero_gravity_mode: bool) -> None:
        self._bench = bench()
        n = len(kp)
        self.motor_chain = _StandinMotorChain(n)
        self._joint_limits = np.array(joint_limits, dtype=float)  # widened, as get_yam_robot passes them
        self._kp = np.array(kp, dtype=float)
        self._kd = np.array(kd, dtype=float)
        self._grav_comp_kd = np.full(n, 0.1)
        self._gripper_index = gripper_index
        self._gripper_limits = gripper_limits
        self._idle = False
        if gripper_index is not None:  # as in i2rt: only set when a gripper is attached
            self._limit_gripper_force = 50.0
        self._command_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._commands = {"pos": np.zeros(n), "kp": np.zeros(n), "kd": np.zeros(n)}
        with self._bench.lock:
            self._q = self._bench.q[:n].copy()
        self._dq = np.zeros(n)
        self._eff = np.zeros(n)
        self._check_current_qpos_in_joint_limits()
        self._stop_event = threading.Event()
        self._server_thread = threading.Thread(target=self.start_server, name="robot_server")
        self._server_thread.start()
        if not zero_gravity_mode:
            self.command_joint_pos(self._q.copy())

    def __repr__(self) -> str:
        return "MotorChainRobot(motor_chain=standin)"

    def _check_current_qpos_in_joint_limits(self, buffer_rad: float = 0.1) -> None:
        arm = self._q[: self._gripper_index] if self._gripper_index is not None else self._q
        lower = self._joint_limits[:, 0] - buffer_rad
        upper = self._joint_limits[:, 1] + buffer_rad
        bad = [f"Joint {i}: {p:.4f} outside [{lo:.4f}, {hi:.4f}]" for i, (p, lo, hi) in enumerate(zip(arm, lower, upper)) if p < lo or p > hi]
        if bad:
            self.motor_chain.running = False
            raise RuntimeError(f"{self}: Joint limit violation detected: {'; '.join(bad)}, the root reason should be zero position offset.")

    # --- robot thread -------------------------------------------------------------------------

    def start_server(self) -> None:
        last = time.monotonic()
        while not self._stop_event.is_set():
            now = time.monotonic()
            self.update(now - last)
            last = now
            if not self.motor_chain.running:
                raise RuntimeError(f"{self}: motor_chain_robot's motor chain is not running, exiting the robot server")
            time.sleep(0.004)

    def update(self, dt: float) -> None:
        with self._command_lock:
            pos = self._commands["pos"].copy()
            kp = self._commands["kp"].copy()
        if self._gripper_index is not None:
            pos[self._gripper_index] = min(max(pos[self._gripper_index], 0.0), 1.0)
        with self._bench.lock:
            q = self._bench.q[: len(pos)].copy()  # the arm may have been moved by hand
            alpha = 1.0 - math.exp(-max(dt, 0.0) / TAU_S)
            following = kp > 0
            new_q = np.where(following, q + (pos - q) * alpha, q)
            self._bench.q[: len(pos)] = new_q
        with self._state_lock:
            self._dq = (new_q - q) / dt if dt > 0 else np.zeros_like(q)
            self._eff = np.where(following, kp * (pos - new_q) * 0.01, 0.0)
            self._q = new_q

    # --- API surface (yam.md §3.2) -------------------------------------------------------------

    def num_dofs(self) -> int:
        return len(self.motor_chain)

    def get_joint_pos(self) -> np.ndarray:
        with self._state_lock:
            return self._q.copy()

    def _clip_robot_joint_pos_command(self, pos: np.ndarray) -> np.ndarray:
        gi = self._gripper_index
        if gi is not None:
            pos[:gi] = np.clip(pos[:gi], self._joint_limits[:, 0], self._joint_limits[:, 1])
        else:
            pos = np.clip(pos, self._joint_limits[:, 0], self._joint_limits[:, 1])
        return pos

    def command_joint_pos(self, joint_pos: np.ndarray) -> None:
        pos = self._clip_robot_joint_pos_command(joint_pos)
        with self._command_lock:
            self._commands = {"pos": np.array(pos, dtype=float), "kp": self._kp, "kd": self._kd}
            self._idle = False
        with self._bench.lock:
            self._bench.command_count += 1
            self._bench.last_command = [float(x) for x in pos]

    def command_joint_state(self, joint_state: Dict[str, np.ndarray]) -> None:
        self.command_joint_pos(np.array(joint_state["pos"], dtype=float))

    def get_observations(self) -> Dict[str, np.ndarray]:
        with self._state_lock:
            gi = self._gripper_index
            if gi is None:
                return {"joint_pos": self._q.copy(), "joint_vel": self._dq.copy(), "joint_eff": self._eff.copy()}
            return {
                "joint_pos": self._q[:gi].copy(),
                "joint_vel": self._dq[:gi].copy(),
                "joint_eff": self._eff[:gi].copy(),
                "gripper_pos": np.array([self._q[gi]]),
                "gripper_vel": np.array([self._dq[gi]]),
                "gripper_eff": np.array([self._eff[gi]]),
            }

    def move_joints(self, target_joint_positions: np.ndarray, time_interval_s: float = 2.0) -> None:
        start = self.get_joint_pos()
        for i in range(51):
            a = i / 50
            self.command_joint_pos((1 - a) * start + a * np.asarray(target_joint_positions))
            time.sleep(time_interval_s / 50)

    def update_kp_kd(self, kp: np.ndarray, kd: np.ndarray) -> None:
        assert kp.shape == self._kp.shape == kd.shape
        self._kp = kp
        self._kd = kd
        self._bench.event("update_kp_kd " + " ".join(f"{x:g}" for x in kp))

    def zero_torque_mode(self) -> None:
        with self._command_lock:
            n = len(self.motor_chain)
            self._commands = {"pos": np.zeros(n), "kp": np.zeros(n), "kd": np.zeros(n)}
            self._kp = np.zeros(n)
            self._kd = np.zeros(n)
            self._idle = True
        self._bench.event("zero_torque_mode")

    def enter_gravity_comp_idle(self) -> None:
        with self._command_lock:
            n = len(self.motor_chain)
            self._commands = {"pos": np.zeros(n), "kp": np.zeros(n), "kd": self._grav_comp_kd.copy()}
            self._idle = True
        self._bench.event("enter_gravity_comp_idle")

    def get_robot_info(self) -> Dict[str, Any]:
        return {
            "kp": self._kp,
            "kd": self._kd,
            "joint_limits": self._joint_limits,
            "gripper_limits": self._gripper_limits,
            "gripper_index": self._gripper_index,
            # i2rt reads self._limit_gripper_force here, which only exists with a gripper, so on
            # a gripper-less robot this raises AttributeError, as i2rt does.
            "limit_gripper_effort": self._limit_gripper_force,
        }

    def close(self) -> None:
        self._stop_event.set()
        self._server_thread.join()
        self.motor_chain.close()
        with self._bench.lock:
            self._bench.robots_closed += 1
        self._bench.event("close")
        print("Robot closed with all torques set to zero.", flush=True)
