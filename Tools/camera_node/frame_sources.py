"""Where frames come from. A source delivers RGB frames (H, W, 3, uint8) with their capture
time (CLOCK_REALTIME ns); the node resizes them to the requested size.

  synthetic[:WxH]          the deterministic test pattern (test_pattern.py), drawn at W×H
                           (default: the requested size); paced by the node
  v4l2:/dev/videoN | v4l2:N  a V4L2 camera through OpenCV (opencv-python-headless); the
                           device is asked for the requested size and fps; paced by the device
  realsense[:SERIAL]       the colour stream of an Intel RealSense through pyrealsense2, 640×480
                           at the requested fps (D4xx colour modes); paced by the device

Libraries are imported only when their source is asked for; a missing one is a SourceError
naming the package to install.
"""

import os
import re
import time
from typing import Optional, Tuple

import numpy as np

from test_pattern import render


class SourceError(Exception):
    """One line: why the source cannot be opened or stopped delivering."""


class SourceSpecError(SourceError):
    """The --source value itself is malformed (a usage error)."""


class SyntheticSource:
    paced_by_device = False

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.index = 0
        self.description = f"synthetic test pattern {width}x{height}"

    def read(self) -> Tuple[np.ndarray, int]:
        stamp = time.time_ns()
        frame = render(self.index, self.width, self.height)
        self.index += 1
        return frame, stamp

    def close(self) -> None:
        pass


class V4l2Source:
    paced_by_device = True

    def __init__(self, device: str, width: int, height: int, fps: float) -> None:
        path = f"/dev/video{device}" if device.isdigit() else device
        if not os.path.exists(path):
            raise SourceError(f"V4L2 device {path} does not exist")
        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
        try:
            import cv2
        except ImportError:
            raise SourceError("source v4l2 needs OpenCV: pip install opencv-python-headless (see Tools/requirements.txt)") from None
        self._cv2 = cv2
        self.cap = cv2.VideoCapture(path, cv2.CAP_V4L2)
        if not self.cap.isOpened():
            raise SourceError(f"cannot open V4L2 device {path} (busy, not a capture device, or no permission)")
        self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.cap.set(cv2.CAP_PROP_FPS, fps)
        self.cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a queue of old ones
        got = (int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), self.cap.get(cv2.CAP_PROP_FPS))
        self.description = f"V4L2 {path} at {got[0]}x{got[1]} {got[2]:g} fps"

    def read(self) -> Tuple[np.ndarray, int]:
        ok, bgr = self.cap.read()
        stamp = time.time_ns()  # when the frame was dequeued; V4L2 buffer stamps are monotonic
        if not ok or bgr is None:
            raise SourceError(f"{self.description}: the device stopped delivering frames")
        return self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB), stamp

    def close(self) -> None:
        self.cap.release()


class RealSenseSource:
    paced_by_device = True
    NATIVE = (640, 480)

    def __init__(self, serial: Optional[str], fps: float) -> None:
        try:
            import pyrealsense2 as rs
        except ImportError:
            raise SourceError("source realsense needs pyrealsense2, which is not installed: pip install pyrealsense2") from None
        self._rs = rs
        self.pipeline = rs.pipeline()
        config = rs.config()
        if serial:
            config.enable_device(serial)
        w, h = self.NATIVE
        config.enable_stream(rs.stream.color, w, h, rs.format.rgb8, int(round(fps)))
        try:
            self.pipeline.start(config)
        except RuntimeError as exc:
            which = f"RealSense {serial}" if serial else "a RealSense camera"
            raise SourceError(f"cannot start {which} colour {w}x{h} at {fps:g} fps: {exc}") from None
        self.description = f"RealSense {serial or '(first found)'} colour {w}x{h} {fps:g} fps"

    def read(self) -> Tuple[np.ndarray, int]:
        rs = self._rs
        try:
            frames = self.pipeline.wait_for_frames(2000)
        except RuntimeError as exc:
            raise SourceError(f"{self.description}: no frame within 2 s: {exc}") from None
        color = frames.get_color_frame()
        domain = color.get_frame_timestamp_domain()
        if domain in (rs.timestamp_domain.global_time, rs.timestamp_domain.system_time):
            stamp = int(color.get_timestamp() * 1e6)  # ms since the epoch, host clock
        else:
            stamp = time.time_ns()
        return np.asanyarray(color.get_data()).copy(), stamp

    def close(self) -> None:
        try:
            self.pipeline.stop()
        except RuntimeError:
            pass


_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")


def open_source(spec: str, width: int, height: int, fps: float):
    kind, _, arg = spec.partition(":")
    if kind == "synthetic":
        if not arg:
            return SyntheticSource(width, height)
        m = _SIZE.match(arg)
        if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
            raise SourceSpecError(f"--source {spec}: expected synthetic or synthetic:WIDTHxHEIGHT")
        return SyntheticSource(int(m.group(1)), int(m.group(2)))
    if kind == "v4l2":
        if not arg:
            raise SourceSpecError(f"--source {spec}: expected v4l2:/dev/videoN or v4l2:N")
        return V4l2Source(arg, width, height, fps)
    if kind == "realsense":
        return RealSenseSource(arg or None, fps)
    raise SourceSpecError(f"--source {spec}: unknown source; use synthetic[:WxH], v4l2:/dev/videoN or realsense[:SERIAL]")
