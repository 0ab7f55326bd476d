"""A remote reward classifier service for the tests (Sources/Tasks/RemoteClassifierProtocol.md),
written with pyzmq only: an independent peer for the runtime's REQ side.

    python3 classifier_service.py --bind tcp://127.0.0.1:PORT --input feature.cube_pose --index 2 --above 0.10
        [--stall-after N] [--stall-seconds S] [--garbage-every K]

Answers score 1 when inputs[--input][--index] > --above, else 0. After --stall-after requests it
sleeps --stall-seconds before every reply (a service that hangs). With --garbage-every K every
K-th reply is malformed. Prints READY, then one line per 50 requests: "requests N images M".
"""
import argparse
import json
import sys
import time

import zmq


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--above", type=float, required=True)
    p.add_argument("--stall-after", type=int, default=-1)
    p.add_argument("--stall-seconds", type=float, default=0)
    p.add_argument("--garbage-every", type=int, default=0)
    args = p.parse_args()
    context = zmq.Context()
    rep = context.socket(zmq.REP)
    rep.bind(args.bind)
    print("READY", flush=True)
    requests = images = 0
    while True:
        frames = rep.recv_multipart()
        requests += 1
        header = json.loads(frames[0])
        assert header["protocol"] == "pld-classifier/1", header
        images += len(frames) - 1
        for image, frame in zip(header["images"], frames[1:]):
            assert len(frame) == image["width"] * image["height"] * 3, (image, len(frame))
        values = header["inputs"].get(args.input) or []
        value = values[args.index] if args.index < len(values) else None
        score = 1.0 if value is not None and value > args.above else 0.0
        if 0 <= args.stall_after < requests:
            time.sleep(args.stall_seconds)
        if args.garbage_every and requests % args.garbage_every == 0:
            rep.send(b"not json")
        else:
            rep.send(json.dumps({"seq": header["seq"], "score": score}).encode())
        if requests % 50 == 0:
            print(f"requests {requests} images {images}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
