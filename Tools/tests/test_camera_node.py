"""camera_node with the synthetic source, as a real subprocess publishing on a real ZeroMQ PUB,
read back with pyzmq and the generated pldproto modules."""

import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import zmq
from PIL import Image

from conftest import CAMERA_NODE, TOOLS, free_port, stop_process
from pldproto import pld_sensors_pb2

sys.path.insert(0, str(TOOLS / "camera_node"))
from test_pattern import read_counter, render  # noqa: E402

JPEG = pld_sensors_pb2.CameraFrame.ENCODING_JPEG
RGB8 = pld_sensors_pb2.CameraFrame.ENCODING_RGB8


class CameraUnderTest:
    def __init__(self, *args: str) -> None:
        self.endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen(
            [sys.executable, str(CAMERA_NODE), "--camera", "wrist", "--bind", self.endpoint, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.ctx = zmq.Context()
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.sub.connect(self.endpoint)

    def frames(self, n: int, timeout_s: float = 10.0):
        """The next n frames, in order, with their receive times."""
        out = []
        deadline = time.monotonic() + timeout_s
        while len(out) < n:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"got {len(out)} of {n} frames; node stderr: {self.proc.stderr.read() if self.proc.poll() is not None else ''}"
            if self.sub.poll(int(remaining * 1000)):
                f = pld_sensors_pb2.CameraFrame()
                f.ParseFromString(self.sub.recv())
                out.append((f, time.monotonic()))
        return out

    def stop(self):
        rc = stop_process(self.proc)
        self.sub.close()
        self.ctx.term()
        return rc


@pytest.fixture
def camera_factory():
    started = []

    def start(*args: str) -> CameraUnderTest:
        c = CameraUnderTest(*args)
        started.append(c)
        return c

    yield start
    for c in started:
        c.stop()


def assert_consecutive(frames):
    seqs = [f.sequence for f, _ in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs


def test_jpeg_frames_are_consecutive_and_decode_to_the_requested_size(camera_factory):
    cam = camera_factory("--source", "synthetic", "--width", "320", "--height", "240", "--fps", "30", "--encoding", "jpeg")
    frames = cam.frames(20)
    assert_consecutive(frames)
    for f, _ in frames:
        assert f.camera == "wrist" and f.encoding == JPEG and (f.width, f.height) == (320, 240)
        assert abs(f.capture_unix_ns - time.time_ns()) < 5e9
        img = Image.open(io.BytesIO(f.data))
        assert img.format == "JPEG" and img.size == (320, 240) and img.mode == "RGB"
    stamps = [f.capture_unix_ns for f, _ in frames]
    assert stamps == sorted(stamps)


def test_rgb8_frames_are_the_deterministic_pattern_with_its_counter(camera_factory):
    cam = camera_factory("--source", "synthetic", "--width", "160", "--height", "120", "--fps", "30", "--encoding", "rgb8")
    frames = cam.frames(10)
    assert_consecutive(frames)
    for f, _ in frames:
        assert f.encoding == RGB8 and len(f.data) == 160 * 120 * 3
        img = np.frombuffer(f.data, dtype=np.uint8).reshape(120, 160, 3)
        index = read_counter(img)
        assert index == f.sequence - 1  # the source draws frame 0 first; sequences start at 1
        assert np.array_equal(img, render(index, 160, 120))


def test_native_size_is_resized_to_the_requested_size(camera_factory):
    cam = camera_factory("--source", "synthetic:640x480", "--width", "320", "--height", "240", "--encoding", "rgb8", "--jpeg-backend", "pillow")
    (f, _), = cam.frames(1)
    assert (f.width, f.height) == (320, 240) and len(f.data) == 320 * 240 * 3
    cam2 = camera_factory("--source", "synthetic:640x480", "--width", "200", "--height", "100", "--encoding", "jpeg")
    (f, _), = cam2.frames(1)
    assert Image.open(io.BytesIO(f.data)).size == (200, 100)


@pytest.mark.parametrize("fps", [15.0, 30.0])
def test_frame_rate_is_within_20_percent_of_requested(camera_factory, fps):
    cam = camera_factory("--source", "synthetic", "--width", "320", "--height", "240", "--fps", str(fps))
    cam.frames(3)  # connected and running
    frames = cam.frames(int(fps * 2) + 1)
    assert_consecutive(frames)
    capture_fps = (len(frames) - 1) / ((frames[-1][0].capture_unix_ns - frames[0][0].capture_unix_ns) / 1e9)
    receive_fps = (len(frames) - 1) / (frames[-1][1] - frames[0][1])
    print(f"requested {fps:g} fps: capture {capture_fps:.2f} fps, received {receive_fps:.2f} fps")
    assert abs(capture_fps - fps) <= 0.2 * fps
    assert abs(receive_fps - fps) <= 0.2 * fps


def test_sigterm_stops_cleanly_and_reports_counts(camera_factory):
    cam = camera_factory("--source", "synthetic", "--width", "64", "--height", "48", "--fps", "60")
    cam.frames(5)
    cam.proc.send_signal(signal.SIGTERM)
    assert cam.proc.wait(5) == 0
    assert "stopped after" in cam.proc.stderr.read()


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--source", "bogus"], 2, "unknown source"),
        (["--source", "synthetic:12by4"], 2, "synthetic:WIDTHxHEIGHT"),
        (["--source", "v4l2:"], 2, "v4l2:/dev/videoN"),
        (["--source", "v4l2:/dev/video-does-not-exist"], 1, "does not exist"),
        (["--source", "synthetic", "--fps", "0"], 2, "--fps"),
        (["--source", "synthetic", "--width", "0"], 2, "--width"),
        (["--source", "synthetic", "--encoding", "png"], 2, "--encoding"),
        (["--camera", "Wrist Cam", "--source", "synthetic"], 2, "--camera"),
    ],
)
def test_bad_arguments_exit_nonzero_with_one_line(args, code, message):
    out = subprocess.run(
        [sys.executable, str(CAMERA_NODE), "--camera", "wrist", "--bind", f"tcp://127.0.0.1:{free_port()}", *args],
        capture_output=True, text=True, timeout=10,
    )
    assert out.returncode == code, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("camera_node: error:") and message in lines[0], out.stderr


def test_source_whose_library_is_missing_is_named():
    try:
        import pyrealsense2  # noqa: F401

        pytest.skip("pyrealsense2 is installed here")
    except ImportError:
        pass
    out = subprocess.run(
        [sys.executable, str(CAMERA_NODE), "--camera", "wrist", "--source", "realsense:012345678901", "--bind", f"tcp://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=10,
    )
    assert out.returncode == 1
    assert out.stderr.strip() == "camera_node: error: source realsense needs pyrealsense2, which is not installed: pip install pyrealsense2"


def test_v4l2_without_opencv_is_named(tmp_path):
    """A python that cannot import cv2 (a shadowing module raises ImportError)."""
    (tmp_path / "cv2.py").write_text("raise ImportError('hidden for this test')\n")
    fake_dev = tmp_path / "video7"
    fake_dev.write_text("")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    out = subprocess.run(
        [sys.executable, str(CAMERA_NODE), "--camera", "wrist", "--source", f"v4l2:{fake_dev}", "--bind", f"tcp://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=10, env=env,
    )
    assert out.returncode == 1
    assert out.stderr.strip().startswith("camera_node: error: source v4l2 needs OpenCV")


def test_pattern_is_deterministic_and_moves():
    a, b = render(41, 320, 240), render(41, 320, 240)
    assert np.array_equal(a, b)
    assert not np.array_equal(render(41, 320, 240), render(42, 320, 240))
    for i in (0, 9, 123456):
        assert read_counter(render(i, 320, 240)) == i
