#!/usr/bin/env python3
"""A tiny OpenVLA / OpenVLA-OFT style REST server for Tests/PoliciesNetworkTests, standard
library only (json-numpy is not installed, so its encoding is written out here).

Like vla-scripts/deploy.py: POST /act with a JSON body whose arrays are
{"__numpy__": base64, "dtype": "<f4", "shape": [...]}; exceptions answer HTTP 200 with the JSON
string "error".

Usage: openvla_server.py --plan STEP,STEP,...
Each POST consumes the next plan step (then "single"):
  single   one (7,) float32 action (OpenVLA): action[j] = base + 0.01 * j
  chunk    a list of 8 (7,) float32 arrays (OFT): action[i][j] = base + 0.5 * i + 0.01 * j
  error    raise inside the handler -> 200 "error"
  garbage  200 with a body that is not JSON
base = the first element of "state" if sent, else 0.

Prints "READY http://127.0.0.1:<port>/act" once listening and per request
"REQUEST <n> <step> <json of {key: 'shape dtype' | value}>". Exits when stdin closes.
"""

import argparse
import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


def encode(obj):
    if isinstance(obj, (np.ndarray, np.generic)):
        arr = np.ascontiguousarray(obj)
        return {"__numpy__": base64.b64encode(arr.tobytes()).decode(), "dtype": arr.dtype.str, "shape": list(arr.shape)}
    raise TypeError(f"cannot encode {type(obj).__name__}")


def decode_hook(dct):
    if "__numpy__" in dct:
        arr = np.frombuffer(base64.b64decode(dct["__numpy__"]), np.dtype(dct["dtype"]))
        return arr.reshape(dct["shape"]) if dct["shape"] else arr[0]
    return dct


def describe(obs):
    out = {}
    for key, value in obs.items():
        if isinstance(value, np.ndarray):
            out[key] = f"{tuple(value.shape)} {value.dtype.str}"
        else:
            out[key] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", default="")
    args = parser.parse_args()
    plan = [step for step in args.plan.split(",") if step]
    counter = {"n": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.reply(404, b'{"detail":"Not Found"}')

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            with lock:
                step = plan[counter["n"]] if counter["n"] < len(plan) else "single"
                counter["n"] += 1
                n = counter["n"]
            if self.path != "/act":
                self.reply(404, b'{"detail":"Not Found"}')
                return
            try:
                obs = json.loads(raw, object_hook=decode_hook)
                print(f"REQUEST {n} {step} {json.dumps(describe(obs))}", flush=True)
                state = obs.get("state")
                base = float(np.asarray(state).reshape(-1)[0]) if state is not None else 0.0
                if step == "error":
                    raise RuntimeError("scripted failure in predict_action")
                if step == "garbage":
                    self.reply(200, b"<html>not json</html>")
                    return
                j = np.arange(7, dtype=np.float32)
                if step == "chunk":
                    result = [(base + 0.5 * i + 0.01 * j).astype(np.float32) for i in range(8)]
                else:
                    result = (base + 0.01 * j).astype(np.float32)
                self.reply(200, json.dumps(result, default=encode).encode())
            except Exception:
                self.reply(200, json.dumps("error").encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_address[1]}/act", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
