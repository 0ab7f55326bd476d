#!/usr/bin/env python3
"""Camera node: publishes one camera as `pld.CameraFrame` messages (Sources/Wire/proto/
pld_sensors.proto) on a ZeroMQ PUB, one protobuf per frame, no topic.

  python3 Tools/camera_node/camera_node.py --camera wrist --source synthetic \\
      --width 320 --height 240 --fps 30 --encoding jpeg --bind tcp://*:5561

Contract: frames are published at --fps (paced by the node for the synthetic source, by the
device for cameras, decimated when the device is faster); `sequence` counts published frames
from 1 with no gaps; `capture_unix_ns` is CLOCK_REALTIME when the frame was captured; frames
are resized to --width × --height. Late and dropped frames are counted and logged every
--stats-interval-s. Exit status: 0 after SIGINT/SIGTERM, 2 for a usage error (including a
malformed --source), 1 when the source cannot be opened or stops, with one line on stderr.
See README.md in this directory.
"""

import argparse
import logging
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # Tools/: the generated pldproto package

import numpy as np  # noqa: E402
import zmq  # noqa: E402

from frame_encoding import ENCODINGS, FrameEncoder, cv2  # noqa: E402
from frame_sources import SourceError, SourceSpecError, open_source  # noqa: E402
from pldproto import pld_sensors_pb2  # noqa: E402

log = logging.getLogger("camera_node")


class UsageError(Exception):
    pass


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + error
        raise UsageError(message)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = OneLineParser(prog="camera_node.py", description="Publishes one camera as pld.CameraFrame on a ZeroMQ PUB.")
    p.add_argument("--camera", required=True, help="camera name in every frame, as in the robot config (e.g. wrist)")
    p.add_argument("--source", required=True, help="synthetic[:WxH] | v4l2:/dev/videoN | v4l2:N | realsense[:SERIAL]")
    p.add_argument("--width", type=int, default=640, help="published width, px (default 640)")
    p.add_argument("--height", type=int, default=480, help="published height, px (default 480)")
    p.add_argument("--fps", type=float, default=30.0, help="published frame rate (default 30)")
    p.add_argument("--encoding", choices=sorted(ENCODINGS), default="jpeg", help="jpeg or rgb8 (default jpeg)")
    p.add_argument("--jpeg-quality", type=int, default=90, help="1..100 (default 90)")
    p.add_argument("--jpeg-backend", choices=["auto", "opencv", "pillow"], default="auto", help="JPEG/resize library (default auto: OpenCV when installed)")
    p.add_argument("--bind", required=True, help="endpoint the PUB binds, e.g. tcp://*:5561")
    p.add_argument("--stats-interval-s", type=float, default=5.0, help="log frame statistics this often (default 5)")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default="info")
    a = p.parse_args(argv)
    if not re.fullmatch(r"[a-z0-9_]+", a.camera):
        raise UsageError(f"--camera {a.camera!r}: use lowercase letters, digits, underscores")
    if not (1 <= a.width <= 8192 and 1 <= a.height <= 8192):
        raise UsageError(f"--width/--height {a.width}x{a.height}: each must be in [1, 8192]")
    if not (0 < a.fps <= 240):
        raise UsageError(f"--fps {a.fps:g}: must be in (0, 240]")
    if not (1 <= a.jpeg_quality <= 100):
        raise UsageError(f"--jpeg-quality {a.jpeg_quality}: must be in [1, 100]")
    if not (a.stats_interval_s > 0):
        raise UsageError("--stats-interval-s must be > 0")
    if a.jpeg_backend == "opencv" and cv2 is None:
        raise UsageError("--jpeg-backend opencv: OpenCV is not installed (pip install opencv-python-headless)")
    return a


class FrameStats:
    """Published / late / dropped counts between two log lines."""

    def __init__(self, now: float) -> None:
        self.total_published = self.total_dropped = self.total_late = 0
        self.reset(now)

    def reset(self, now: float) -> None:
        self.since = now
        self.published = self.late = self.dropped = self.skipped = 0
        self.encode_s = 0.0
        self.bytes = 0


class FramePublisher:
    def __init__(self, args: argparse.Namespace, source, pub: zmq.Socket) -> None:
        self.args = args
        self.source = source
        self.pub = pub
        backend = None if args.jpeg_backend == "auto" else args.jpeg_backend
        self.encoder = FrameEncoder(args.width, args.height, args.encoding, args.jpeg_quality, backend)
        self.encoder.encode(np.zeros((args.height, args.width, 3), dtype=np.uint8))  # codec set-up before the first due time
        self.period_s = 1.0 / args.fps
        self.sequence = 0
        self.last_publish: Optional[float] = None
        self.stats = FrameStats(time.monotonic())

    def run(self, stop: threading.Event) -> None:
        period = self.period_s
        due = time.monotonic()
        while not stop.is_set():
            if not self.source.paced_by_device:
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                    if stop.is_set():
                        break
                elif -delay > period:  # whole periods missed: skip them rather than burst
                    due += int(-delay // period) * period
            frame, stamp_ns = self.source.read()
            now = time.monotonic()
            if self.source.paced_by_device:
                if now + 0.25 * period < due:  # the device is faster than --fps: decimate
                    self.stats.skipped += 1
                    continue
                if due < now - period:
                    due = now
            due += period
            self.publish(frame, stamp_ns, now)
            if now - self.stats.since >= self.args.stats_interval_s:
                self.log_stats(now)

    def publish(self, frame, stamp_ns: int, now: float) -> None:
        t0 = time.perf_counter()
        data = self.encoder.encode(frame)
        self.stats.encode_s += time.perf_counter() - t0
        self.sequence += 1
        msg = pld_sensors_pb2.CameraFrame(
            camera=self.args.camera,
            sequence=self.sequence,
            capture_unix_ns=stamp_ns,
            width=self.args.width,
            height=self.args.height,
            encoding=self.encoder.encoding,
            data=data,
        )
        self.pub.send(msg.SerializeToString())
        if self.last_publish is not None:
            gap = (now - self.last_publish) / self.period_s
            if gap > 1.5:
                self.stats.late += 1
                self.stats.dropped += int(round(gap)) - 1
        self.last_publish = now
        self.stats.published += 1
        self.stats.bytes += len(data)

    def log_stats(self, now: float) -> None:
        s = self.stats
        span = now - s.since
        n = max(s.published, 1)
        level = logging.WARNING if s.late or s.dropped else logging.INFO
        log.log(
            level,
            "%d frames in %.1f s (%.1f fps of %g), late %d, dropped %d, decimated %d, encode %.2f ms, %.1f KiB per frame",
            s.published, span, s.published / span, self.args.fps, s.late, s.dropped, s.skipped, s.encode_s / n * 1e3, s.bytes / n / 1024,
        )
        s.total_published += s.published
        s.total_late += s.late
        s.total_dropped += s.dropped
        s.reset(now)


def main(argv: Optional[List[str]] = None) -> int:
    try:
        args = parse_args(argv)
    except UsageError as exc:
        print(f"camera_node: error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format=f"%(asctime)s camera_node[{args.camera}] %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    stop = threading.Event()

    def request_stop(signum: int, _frame) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.setsockopt(zmq.SNDHWM, 4)  # a slow subscriber gets fresh frames, not a backlog
    source = None
    try:
        try:
            pub.bind(args.bind)
        except zmq.ZMQError as exc:
            raise SourceError(f"cannot bind the PUB on {args.bind}: {exc}") from None
        source = open_source(args.source, args.width, args.height, args.fps)
        publisher = FramePublisher(args, source, pub)
        log.info(
            "publishing %s as %s %dx%d at %g fps (%s) on %s",
            source.description, args.encoding, args.width, args.height, args.fps, publisher.encoder.backend, args.bind,
        )
        publisher.run(stop)
        publisher.log_stats(time.monotonic())
        s = publisher.stats
        log.info("stopped after %d frames (late %d, dropped %d)", s.total_published, s.total_late, s.total_dropped)
        return 0
    except SourceSpecError as exc:
        print(f"camera_node: error: {exc}", file=sys.stderr)
        return 2
    except SourceError as exc:
        print(f"camera_node: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if source is not None:
            source.close()
        pub.close(linger=0)
        ctx.term()


if __name__ == "__main__":
    sys.exit(main())
