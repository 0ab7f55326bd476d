"""The simulated hardware behind the i2rt stand-in (tests only; see `i2rt/__init__.py`).

One `Bench` per process plays the physical arm on the CAN bus: its joint positions persist
across robot objects (a re-created robot finds the arm where the old one left it), it counts
every `command_joint_pos` call, and it serves a side channel so a test in another process can
look at it and inject faults:

  FAKE_I2RT_BACKDOOR=tcp://127.0.0.1:PORT   a ZeroMQ REP bound there, JSON in, JSON out:
      {"op": "stats"}            -> command_count, monotonic time, last_command, joint_pos,
                                    robots_created, robots_closed, kp, kd, running, idle
      {"op": "fault"}            -> the CAN thread dies ("motor id 7 loss communication");
                                    the robot thread then raises "motor chain is not running"
      {"op": "fail_creates", "n": N} -> the next N get_yam_robot calls raise
      {"op": "set_q", "q": [...]}     -> someone moved the arm by hand (7 values)
  FAKE_I2RT_INITIAL_Q=q1,...,q6[,gripper]    joint positions at power-on (i2rt units; the
                                             gripper is 0 closed … 1 open); default home
  FAKE_I2RT_EVENTS=/path/file                one line appended per create/close/fault/...
"""

import json
import os
import threading
import time
from typing import List, Optional

import numpy as np

HOME_Q = [0.0, 1.047, 1.047, 0.0, 0.0, 0.0, 1.0]


class Bench:
    """Physical state shared by every stand-in robot in this process. Thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        initial = os.environ.get("FAKE_I2RT_INITIAL_Q")
        q = [float(x) for x in initial.split(",")] if initial else list(HOME_Q)
        if len(q) == 6:
            q.append(HOME_Q[6])
        self.q = np.array(q, dtype=float)
        self.command_count = 0
        self.last_command: Optional[List[float]] = None
        self.robots_created = 0
        self.robots_closed = 0
        self.fail_creates = 0
        self.current_robot = None
        self.events_path = os.environ.get("FAKE_I2RT_EVENTS")
        endpoint = os.environ.get("FAKE_I2RT_BACKDOOR")
        if endpoint:
            threading.Thread(target=self._serve, args=(endpoint,), name="standin_backdoor", daemon=True).start()

    def event(self, text: str) -> None:
        if self.events_path:
            with open(self.events_path, "a") as f:
                f.write(text + "\n")

    def _serve(self, endpoint: str) -> None:
        import zmq

        sock = zmq.Context.instance().socket(zmq.REP)
        sock.setsockopt(zmq.LINGER, 0)
        sock.bind(endpoint)
        while True:
            raw = sock.recv()
            try:
                reply = self._handle(json.loads(raw))
            except Exception as exc:  # the side channel must always answer
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            sock.send(json.dumps(reply).encode())

    def _handle(self, req: dict) -> dict:
        op = req.get("op")
        robot = self.current_robot
        if op == "stats":
            with self.lock:
                return {
                    "command_count": self.command_count,
                    "t": time.monotonic(),
                    "last_command": self.last_command,
                    "joint_pos": self.q.tolist(),
                    "robots_created": self.robots_created,
                    "robots_closed": self.robots_closed,
                    "kp": robot._kp.tolist() if robot is not None else None,
                    "kd": robot._kd.tolist() if robot is not None else None,
                    "running": bool(robot is not None and robot.motor_chain.running),
                    "idle": bool(robot is not None and robot._idle),
                }
        if op == "fault":
            if robot is None:
                return {"error": "no robot"}
            # What i2rt's DMChainCanInterface does on a motor error code != 0x1 (yam.md §7.2).
            print("stand-in CAN thread: motor id 7 loss communication", flush=True)
            self.event("fault")
            robot.motor_chain.running = False
            return {"ok": True}
        if op == "fail_creates":
            with self.lock:
                self.fail_creates = int(req["n"])
            return {"ok": True}
        if op == "set_q":
            with self.lock:
                self.q = np.array(req["q"], dtype=float)
            return {"ok": True}
        return {"error": f"unknown op {op!r}"}


_bench: Optional[Bench] = None
_bench_lock = threading.Lock()


def bench() -> Bench:
    global _bench
    with _bench_lock:
        if _bench is None:
            _bench = Bench()
        return _bench
