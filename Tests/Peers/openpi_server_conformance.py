#!/usr/bin/env python3
"""openpi's own client against a policy server (Tests/PoliciesNetworkTests): checks that the
Swift simulator's openpi-protocol server is usable from openpi_client.WebsocketClientPolicy.

Usage: openpi_server_conformance.py URL CHECK

CHECK:
  infer N    construct the client (reads the metadata frame), send N LIBERO-style observations,
             print one JSON line: {"metadata": ..., "replies": [{"shape", "dtype", "first",
             "keys", "server_timing"}...]}
  error      send one observation; the server is expected to fail it. Print one JSON line
             {"error_type": ..., "message_first_line": ..., "message_last_line": ...}
  health     GET /healthz; print {"status": ..., "body": ...}
Exit status 0 when the check ran (the test judges the JSON), 1 with a message otherwise.
"""

import json
import sys
import urllib.request

import numpy as np
from openpi_client import websocket_client_policy


def observation(k: int) -> dict:
    return {
        "observation/image": np.full((224, 224, 3), k % 256, dtype=np.uint8),
        "observation/wrist_image": np.zeros((224, 224, 3), dtype=np.uint8),
        "observation/state": (np.arange(8, dtype=np.float32) + k).astype(np.float32),
        "prompt": "pick up the cube",
    }


def main() -> None:
    url, check = sys.argv[1], sys.argv[2]
    if check == "health":
        http_url = url.replace("ws://", "http://") + "/healthz"
        with urllib.request.urlopen(http_url, timeout=5) as response:
            print(json.dumps({"status": response.status, "body": response.read().decode()}))
        return
    client = websocket_client_policy.WebsocketClientPolicy(host=url)
    metadata = client.get_server_metadata()
    if check == "infer":
        replies = []
        for k in range(int(sys.argv[3])):
            reply = client.infer(observation(k))
            actions = reply["actions"]
            if not isinstance(actions, np.ndarray):
                print(f"actions is {type(actions).__name__}, not an ndarray", file=sys.stderr)
                sys.exit(1)
            replies.append({
                "shape": list(actions.shape),
                "dtype": actions.dtype.str,
                "first": [float(x) for x in actions[0]],
                "keys": sorted(reply.keys()),
                "server_timing": {k: float(v) for k, v in reply["server_timing"].items()},
            })
        print(json.dumps({"metadata": metadata, "replies": replies}, default=lambda o: o.tolist()))
    elif check == "error":
        try:
            client.infer(observation(0))
        except Exception as error:  # the documented failure is RuntimeError("Error in inference server: ...")
            lines = [line for line in str(error).splitlines() if line.strip()]
            print(json.dumps({
                "error_type": type(error).__name__,
                "message_first_line": lines[0] if lines else "",
                "message_last_line": lines[-1] if lines else "",
            }))
            return
        print("infer did not raise", file=sys.stderr)
        sys.exit(1)
    else:
        print(f"unknown check {check}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
