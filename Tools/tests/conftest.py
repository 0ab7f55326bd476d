"""Shared helpers: start the tools as real subprocesses and talk to them over real sockets,
the way the Swift runtime does, with pyzmq and the generated pldproto modules."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional

import pytest
import zmq

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS))

from pldproto import pld_arm_pb2  # noqa: E402

YAM_DRIVER = TOOLS / "yam_driver" / "yam_driver.py"
CAMERA_NODE = TOOLS / "camera_node" / "camera_node.py"
FAKE_I2RT = Path(__file__).resolve().parent / "fake_i2rt"
PROTOCOL_VERSION = pld_arm_pb2.ARM_PROTOCOL_VERSION_CURRENT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.01) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def stop_process(proc: subprocess.Popen, timeout_s: float = 5.0) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Bench:
    """Client of the i2rt stand-in's side channel (see fake_i2rt/i2rt/_standin_bench.py)."""

    def __init__(self, ctx: zmq.Context, endpoint: str) -> None:
        self.ctx, self.endpoint = ctx, endpoint
        self.sock = self._connect()

    def _connect(self) -> zmq.Socket:
        s = self.ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 2000)
        s.connect(self.endpoint)
        return s

    def call(self, **req) -> dict:
        self.sock.send(json.dumps(req).encode())
        try:
            reply = json.loads(self.sock.recv())
        except zmq.Again:
            self.sock.close()
            self.sock = self._connect()
            raise AssertionError(f"stand-in side channel did not answer {req}")
        assert "error" not in reply, reply
        return reply

    def stats(self) -> dict:
        return self.call(op="stats")


class Runtime:
    """The runtime's side of the three links: REQ to control, SUB to state, PUB of commands.

    Commands are streamed by a background thread at `rate_hz`, as the runtime's tick does;
    `send(...)` changes what is streamed, `pause()` stops the stream."""

    def __init__(self, ctx: zmq.Context, state_ep: str, control_ep: str, command_port: int) -> None:
        self.ctx, self.control_ep = ctx, control_ep
        self.req = self._connect_req()
        self.state = ctx.socket(zmq.SUB)
        self.state.setsockopt(zmq.LINGER, 0)
        self.state.setsockopt(zmq.CONFLATE, 1)
        self.state.setsockopt(zmq.SUBSCRIBE, b"")
        self.state.connect(state_ep)
        self.command_port = command_port
        self.request_id = 0
        self.sequence = 0
        self._lock = threading.Lock()
        self._frame: Optional[bytes] = None  # what the streamer sends
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._stream, daemon=True)
        self._thread.start()

    def _connect_req(self) -> zmq.Socket:
        s = self.ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 3000)
        s.connect(self.control_ep)
        return s

    # --- command stream ---------------------------------------------------------------------

    def _stream(self, rate_hz: float = 100.0) -> None:
        pub = self.ctx.socket(zmq.PUB)
        pub.setsockopt(zmq.LINGER, 0)
        pub.bind(f"tcp://127.0.0.1:{self.command_port}")
        while not self._stop.is_set():
            with self._lock:
                frame = self._frame
            if frame is not None:
                pub.send(frame)
            time.sleep(1.0 / rate_hz)
        pub.close()

    def command(self, q=None, gripper: float = 0.0, hold: bool = False, version: int = PROTOCOL_VERSION) -> pld_arm_pb2.ArmCommand:
        self.sequence += 1
        return pld_arm_pb2.ArmCommand(
            protocol_version=version, sequence=self.sequence, sent_unix_ns=time.time_ns(),
            q_target_rad=list(q) if q is not None else [], gripper_target=gripper, hold=hold,
        )

    def stream(self, cmd: pld_arm_pb2.ArmCommand) -> int:
        """Stream `cmd` (the same frame, repeatedly) until changed; returns its sequence."""
        with self._lock:
            self._frame = cmd.SerializeToString()
        return cmd.sequence

    def stream_raw(self, frame: bytes) -> None:
        with self._lock:
            self._frame = frame

    def pause(self) -> None:
        with self._lock:
            self._frame = None

    # --- control ----------------------------------------------------------------------------

    def request(self, version: int = PROTOCOL_VERSION, **oneof) -> pld_arm_pb2.ArmReply:
        self.request_id += 1
        req = pld_arm_pb2.ArmRequest(protocol_version=version, request_id=self.request_id, **oneof)
        reply = self.request_raw([req.SerializeToString()])
        assert reply.request_id == self.request_id, (reply.request_id, self.request_id)
        return reply

    def request_raw(self, frames: List[bytes], timeout_s: float = 3.0) -> pld_arm_pb2.ArmReply:
        self.req.setsockopt(zmq.RCVTIMEO, int(timeout_s * 1000))
        self.req.send_multipart(frames)
        try:
            raw = self.req.recv()
        except zmq.Again:
            self.req.close()
            self.req = self._connect_req()
            raise AssertionError("the driver's control REP did not answer")
        reply = pld_arm_pb2.ArmReply()
        reply.ParseFromString(raw)
        assert reply.protocol_version == PROTOCOL_VERSION
        return reply

    def hello(self) -> pld_arm_pb2.HelloReply:
        reply = self.request(hello=pld_arm_pb2.Hello(protocol_version=PROTOCOL_VERSION, client_name="pytest"))
        assert reply.ok, reply.error
        return reply.hello

    # --- state ------------------------------------------------------------------------------

    def latest_state(self, timeout_s: float = 1.0) -> pld_arm_pb2.ArmState:
        if not self.state.poll(int(timeout_s * 1000)):
            raise AssertionError("no ArmState received")
        s = pld_arm_pb2.ArmState()
        s.ParseFromString(self.state.recv())
        return s

    def wait_state(self, predicate: Callable[[pld_arm_pb2.ArmState], bool], timeout_s: float, what: str) -> pld_arm_pb2.ArmState:
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            last = self.latest_state()
            if predicate(last):
                return last
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last state: {last}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.req.close()
        self.state.close()


class DriverUnderTest:
    """yam_driver.py as a real subprocess on the i2rt stand-in, plus the runtime side."""

    def __init__(self, tmp_path: Path, extra_args: List[str] = (), env: Optional[dict] = None) -> None:
        self.ctx = zmq.Context()
        ports = [free_port() for _ in range(4)]
        self.state_ep = f"tcp://127.0.0.1:{ports[0]}"
        self.control_ep = f"tcp://127.0.0.1:{ports[1]}"
        self.command_port = ports[2]
        self.backdoor_ep = f"tcp://127.0.0.1:{ports[3]}"
        self.events = tmp_path / "i2rt_events.txt"
        self.log_path = tmp_path / "driver.log"
        full_env = dict(os.environ)
        full_env.update({
            "PYTHONPATH": str(FAKE_I2RT),
            "FAKE_I2RT_BACKDOOR": self.backdoor_ep,
            "FAKE_I2RT_EVENTS": str(self.events),
            "PYTHONUNBUFFERED": "1",
        })
        full_env.update(env or {})
        self.args = [
            sys.executable, str(YAM_DRIVER), "--arm", "left", "--can", "can_left",
            "--state", self.state_ep, "--control", self.control_ep,
            "--command", f"tcp://127.0.0.1:{self.command_port}", *extra_args,
        ]
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, env=full_env, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.runtime = Runtime(self.ctx, self.state_ep, self.control_ep, self.command_port)
        self.bench = Bench(self.ctx, self.backdoor_ep)

    def wait_ready(self) -> pld_arm_pb2.HelloReply:
        hello = self.runtime.hello()
        self.runtime.latest_state(timeout_s=3.0)
        return hello

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text()

    def stop(self) -> int:
        rc = stop_process(self.proc)
        self.runtime.close()
        self.bench.sock.close()
        self.ctx.term()
        self.log_file.close()
        return rc


@pytest.fixture
def driver_factory(tmp_path):
    started: List[DriverUnderTest] = []

    def start(*extra_args: str, env: Optional[dict] = None, ready: bool = True) -> DriverUnderTest:
        d = DriverUnderTest(tmp_path, list(extra_args), env)
        started.append(d)
        if ready:
            d.wait_ready()
        return d

    yield start
    for d in started:
        d.stop()


@pytest.fixture
def driver(driver_factory) -> DriverUnderTest:
    return driver_factory()
