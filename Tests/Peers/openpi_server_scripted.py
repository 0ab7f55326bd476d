#!/usr/bin/env python3
"""A minimal openpi policy server for Tests/PoliciesNetworkTests, written like openpi's
src/openpi/serving/websocket_policy_server.py: the `websockets` asyncio server with
compression=None and max_size=None, msgpack_numpy from openpi-client, a binary metadata frame
on connect, one binary reply per binary request, the traceback as a text frame then close 1011
on error, and GET /healthz -> 200 "OK\\n".

Usage: openpi_server_scripted.py [--metadata JSON] [--horizon H] [--dims D] [--dtype f4|f8]
                                 [--plan STEP,STEP,...]

Each request consumes the next plan step (counted across connections); after the plan, "ok".
Steps:
  ok          reply {"actions": (H, D) array, "policy_timing": {...}, "server_timing": {...},
              "echo": {key: "shape dtype" for every observation leaf, "prompt": str}}
              actions[i, j] = base + 0.5 * i + 0.01 * j, base = first element of the first
              float array in the observation (0 if none)
  error       raise -> traceback text frame, close 1011 (as openpi does)
  drop        close the TCP connection without a close frame
  sleepN      sleep N seconds (float) before replying "ok"
  notmsgpack  reply with a binary frame that is not msgpack
  wrongdims   reply actions of shape (H, D + 3)
  nan         reply actions with a NaN in row 1
  huge        reply with one 100 MB binary frame
  text        reply with a plain text frame "not a traceback"

Prints "READY ws://127.0.0.1:<port>" once listening, "CONNECT <connection> auth=<Authorization
header> extensions=<Sec-WebSocket-Extensions header>" per connection and
"REQUEST <n> <connection> <step>" per request.
Exits when stdin closes.
"""

import argparse
import asyncio
import http
import json
import sys
import traceback

import numpy as np
import websockets.asyncio.server as ws_server
import websockets.frames
from openpi_client import msgpack_numpy


def describe(obs, prefix=""):
    out = {}
    for key, value in obs.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(describe(value, name + "."))
        elif isinstance(value, np.ndarray):
            out[name] = f"{tuple(value.shape)} {value.dtype.str}"
        else:
            out[name] = repr(value) if not isinstance(value, str) else value
    return out


def first_float(obs):
    for value in obs.values():
        if isinstance(value, dict):
            found = first_float(value)
            if found is not None:
                return found
        elif isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 0:
            return float(value.reshape(-1)[0])
    return None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metadata", default="{}")
    parser.add_argument("--horizon", type=int, default=10)
    parser.add_argument("--dims", type=int, default=7)
    parser.add_argument("--dtype", default="f4")
    parser.add_argument("--plan", default="")
    args = parser.parse_args()
    metadata = json.loads(args.metadata)
    plan = [step for step in args.plan.split(",") if step]
    dtype = np.float32 if args.dtype == "f4" else np.float64
    state = {"requests": 0, "connections": 0}
    packer = msgpack_numpy.Packer()

    def actions(base, dims):
        i = np.arange(args.horizon, dtype=np.float64)[:, None]
        j = np.arange(dims, dtype=np.float64)[None, :]
        return (base + 0.5 * i + 0.01 * j).astype(dtype)

    async def handler(websocket):
        state["connections"] += 1
        connection = state["connections"]
        auth = websocket.request.headers.get("Authorization", "-")
        extensions = websocket.request.headers.get("Sec-WebSocket-Extensions", "-")
        print(f"CONNECT {connection} auth={auth} extensions={extensions}", flush=True)
        await websocket.send(packer.pack(metadata))
        prev_total_ms = None
        while True:
            try:
                message = await websocket.recv()
            except websockets.ConnectionClosed:
                return
            step = plan[state["requests"]] if state["requests"] < len(plan) else "ok"
            state["requests"] += 1
            print(f"REQUEST {state['requests']} {connection} {step}", flush=True)
            try:
                obs = msgpack_numpy.unpackb(message)
                base = first_float(obs) or 0.0
                if step.startswith("sleep"):
                    await asyncio.sleep(float(step[len("sleep"):]))
                if step == "error":
                    raise ValueError("scripted failure in policy.infer")
                if step == "drop":
                    websocket.transport.abort()
                    return
                if step == "notmsgpack":
                    await websocket.send(b"\xc1\xc1\xc1 definitely not msgpack")
                    continue
                if step == "huge":
                    await websocket.send(bytes(100_000_000))
                    continue
                if step == "text":
                    await websocket.send("not a traceback")
                    continue
                dims = args.dims + 3 if step == "wrongdims" else args.dims
                chunk = actions(base, dims)
                if step == "nan":
                    chunk[1, 0] = np.nan
                reply = {
                    "actions": chunk,
                    "policy_timing": {"infer_ms": 1.5},
                    "server_timing": {"infer_ms": 2.5},
                    "echo": describe(obs),
                }
                if prev_total_ms is not None:
                    reply["server_timing"]["prev_total_ms"] = prev_total_ms
                prev_total_ms = 3.0
                await websocket.send(packer.pack(reply))
            except websockets.ConnectionClosed:
                return
            except Exception:
                await websocket.send(traceback.format_exc())
                await websocket.close(
                    code=websockets.frames.CloseCode.INTERNAL_ERROR,
                    reason="Internal server error. Traceback included in previous frame.",
                )
                return

    def health(connection, request):
        if request.path == "/healthz":
            return connection.respond(http.HTTPStatus.OK, "OK\n")
        return None

    async with ws_server.serve(
        handler, "127.0.0.1", 0, compression=None, max_size=None, process_request=health
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"READY ws://127.0.0.1:{port}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
