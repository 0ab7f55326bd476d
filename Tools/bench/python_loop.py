#!/usr/bin/env python3
"""The reference a user would otherwise write: the PLD tick in Python (pyzmq + numpy + protobuf),
against the same `pld sim` as `pld bench loop`, for comparison. Prints one JSON object.

Per tick: drain the Franka state (protobuf decode), take the base action from the newest chunk
(fetched asynchronously from the openpi server by a background thread with openpi-client),
run the residual MLP (numpy, 3x256 LayerNorm tanh, the same safetensors weights), compose,
clip / step-cap / workspace-clamp, encode the OSC_POSE FrankaControlMessage with its Any
payloads, and send. Images are not sent (lighter than the Swift pipeline).
"""
import argparse
import json
import os
import struct
import sys
import threading
import time

import numpy as np
import yaml
import zmq

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pldproto import franka_controller_pb2 as fc  # noqa: E402
from pldproto import franka_robot_state_pb2 as fs  # noqa: E402


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64}[info["dtype"]]
        tensors[name] = np.frombuffer(data[base + start:base + end], dtype=dtype).reshape(info["shape"]).astype(np.float32)
    return tensors, header.get("__metadata__", {})


class Residual:
    def __init__(self, path, xi):
        t, _ = load_safetensors(path)
        self.layers = []
        i = 0
        while f"layers.{i}.weight" in t:
            self.layers.append((t[f"layers.{i}.weight"], t[f"layers.{i}.bias"], t.get(f"layers.{i}.ln.weight"), t.get(f"layers.{i}.ln.bias")))
            i += 1
        self.mu = (t["mu.weight"], t["mu.bias"])
        self.mean = t.get("obs_mean")
        self.std = t.get("obs_std")
        self.xi = xi

    def act(self, x):
        if self.mean is not None:
            x = (x - self.mean) / self.std
        for w, b, g, beta in self.layers:
            x = w @ x + b
            m = x.mean()
            v = x.var()
            x = (x - m) / np.sqrt(v + 1e-5)
            if g is not None:
                x = x * g + beta
            x = np.tanh(x)
        return self.xi * np.tanh(self.mu[0] @ x + self.mu[1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--rate-hz", type=float, default=1000)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--weights", required=True)
    a = p.parse_args()
    cfg = yaml.safe_load(open(a.config))
    arm = cfg["arms"][0]
    ports = arm["franka"]["ports"]
    host = arm["franka"]["nuc_host"]
    ctx = zmq.Context()
    cmd = ctx.socket(zmq.PUB)
    cmd.bind(f"tcp://127.0.0.1:{ports['arm_command']}")
    state = ctx.socket(zmq.SUB)
    state.setsockopt(zmq.SUBSCRIBE, b"")
    state.setsockopt(zmq.CONFLATE, 1)
    state.connect(f"tcp://{host}:{ports['arm_state']}")
    cube = ctx.socket(zmq.SUB)
    cube.setsockopt(zmq.SUBSCRIBE, b"")
    cube.setsockopt(zmq.CONFLATE, 1)
    feature = next(f for f in cfg["features"] if f["name"] == "cube_pose")
    cube.connect(feature["endpoint"])
    residual = Residual(a.weights, cfg["residual"].get("xi", 0.5))

    chunk = {"actions": np.zeros((1, 7), np.float32), "t0": 0}
    lock = threading.Lock()
    tick_now = [0]
    stop = [False]

    def fetch():
        from openpi_client import websocket_client_policy as w
        url = cfg["policy"]["url"].replace("ws://", "")
        h, port = url.split(":")
        policy = w.WebsocketClientPolicy(host=h, port=int(port))
        while not stop[0]:
            t0 = tick_now[0]
            r = policy.infer({"prompt": cfg["task"]})
            with lock:
                chunk["actions"], chunk["t0"] = np.asarray(r["actions"]), t0

    threading.Thread(target=fetch, daemon=True).start()
    ws = next(b for b in cfg["safety"]["workspaces"] if b["arm"] == arm["name"])
    lo, hi = np.array(ws["min_m"]), np.array(ws["max_m"])
    cap = cfg["safety"].get("max_step", {}).get("translation_m", 0.01)
    scale = 0.05
    osc = fc.FrankaOSCPoseControllerMessage(translational_stiffness=[600] * 3, rotational_stiffness=[250] * 3)
    osc.config.residual_mass_vec.extend([0, 0, 0, 0, 0.1, 0.5, 0.5])

    period = 1.0 / a.rate_hz
    jitter, compute, residual_times = [], [], []
    misses = 0
    ee = np.array([0.3, 0.0, 0.5])
    cube_pose = np.zeros(7)
    q = np.zeros(7)
    grip = 0.0
    deadline = time.perf_counter() + period
    end = time.perf_counter() + a.seconds
    tick = 0
    while time.perf_counter() < end:
        remaining = deadline - time.perf_counter()
        if remaining > 0:
            time.sleep(remaining)
        wake = time.perf_counter()
        jitter.append(wake - deadline)
        # read
        try:
            while True:
                m = fs.FrankaRobotStateMessage()
                m.ParseFromString(state.recv(zmq.NOBLOCK))
                ee = np.array(m.O_T_EE[12:15])
                q = np.array(m.q)
        except zmq.Again:
            pass
        try:
            from pldproto import pld_sensors_pb2 as ps
            v = ps.FeatureVector()
            v.ParseFromString(cube.recv(zmq.NOBLOCK))
            cube_pose = np.array(v.values)
        except zmq.Again:
            pass
        # base action
        tick_now[0] = tick
        with lock:
            actions, t0 = chunk["actions"], chunk["t0"]
        i = min(max(tick - t0, 0), len(actions) - 1)
        base = actions[i].astype(np.float32)
        # residual
        r0 = time.perf_counter()
        x = np.concatenate([q, [grip], ee, cube_pose]).astype(np.float32)
        delta = residual.act(np.concatenate([x, base]))
        residual_times.append(time.perf_counter() - r0)
        a_ = np.clip(base + delta, -1, 1)
        # safety
        t = a_[:3] * scale
        n = np.linalg.norm(t)
        if n > cap:
            t *= cap / n
        t = np.clip(ee + t, lo, hi) - ee
        # egress
        m = fc.FrankaControlMessage(controller_type=1, traj_interpolator_type=2, traj_interpolator_time_fraction=0.3, timeout=0.2)
        osc.goal.CopyFrom(fc.Goal(is_delta=True, x=t[0], y=t[1], z=t[2]))
        m.control_msg.Pack(osc)
        m.state_estimator_msg.estimator_type = 1
        cmd.send(m.SerializeToString(), zmq.NOBLOCK)
        done = time.perf_counter()
        compute.append(done - wake)
        if done > deadline + period:
            misses += 1
            deadline += period * (int((done - deadline) / period) + 1)
        else:
            deadline += period
        tick += 1
    stop[0] = True

    def pct(xs, q_):
        return float(np.percentile(np.array(xs) * 1e6, q_))

    print(json.dumps({
        "rateHz": a.rate_hz, "ticks": tick, "deadlineMisses": misses,
        "jitterP50Micros": pct(jitter, 50), "jitterP99Micros": pct(jitter, 99),
        "computeP50Micros": pct(compute, 50), "computeP99Micros": pct(compute, 99), "computeP999Micros": pct(compute, 99.9),
        "residualP50Micros": pct(residual_times, 50), "residualP99Micros": pct(residual_times, 99),
    }))
    os._exit(0)


if __name__ == "__main__":
    main()
