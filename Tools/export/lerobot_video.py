"""Video for the exporter: encode RGB frames with the ffmpeg CLI, join mp4 files, probe and
decode mp4 files with PyAV.

Contracts:
- `encode_frames(frames, ...)` pipes (H, W, 3) uint8 RGB frames to ffmpeg (rawvideo rgb24 in,
  yuv420p out) and writes an mp4 holding exactly those frames at `fps`, frame i at i / fps,
  encoded as `settings` say (GOP `settings.gop`). It checks the written file's frame count.
- `concat_mp4(segments, out, fps)` joins mp4 files that were encoded with the same settings by
  stream copy (no re-encode): frame i of segment k lands at (frames of segments < k + i) / fps.
- `probe(path)` reads an mp4's codec, pix_fmt, size, frame count and frame rate (header only).
- `decode_frames(path, numbers, ...)` yields the frames with the given frame numbers (a
  non-decreasing sequence) as (H, W, 3) uint8 RGB, decoding the file once, front to back.
Every failure raises ExportError naming the file (and ffmpeg's own reason, when it failed)."""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

import av
import numpy as np

from export_errors import ExportError

PIX_FMT = "yuv420p"
GOP = 2  # LeRobot's `g`: a keyframe every 2 frames, so any frame decodes after at most one other

# Encoders the exporter drives. libx264 is the default: on this 2-core machine it encodes VGA
# about 3x faster than SVT-AV1 at preset 12 (~150 vs ~47 frames/s measured), and every decoder
# reads H.264. LeRobot's own default is libsvtav1 (AV1, crf 30; preset 12 in v3.0); pass
# `--vcodec libsvtav1` for that. Note SVT-AV1 refuses frames smaller than 64 px on a side.
ENCODERS = {
    "libx264": {"codec": "h264", "crf": 23, "preset": "veryfast", "min_side": 2},  # crf 23: x264's own default
    "libsvtav1": {"codec": "av1", "crf": 30, "preset": 12, "min_side": 64},
}


@dataclass(frozen=True)
class VideoSettings:
    """How the exporter encodes: encoder name (`libx264`/`libsvtav1`), crf, preset, GOP."""

    vcodec: str = "libx264"
    crf: Optional[int] = None  # None: the encoder's default in ENCODERS

    @property
    def codec(self) -> str:
        """The codec family written into info.json (`h264`, `av1`)."""
        return ENCODERS[self.vcodec]["codec"]

    @property
    def effective_crf(self) -> int:
        return self.crf if self.crf is not None else ENCODERS[self.vcodec]["crf"]

    @property
    def preset(self):
        return ENCODERS[self.vcodec]["preset"]

    def ffmpeg_output_args(self) -> list:
        return ["-an", "-c:v", self.vcodec, "-pix_fmt", PIX_FMT, "-g", str(GOP),
                "-crf", str(self.effective_crf), "-preset", str(self.preset)]


@dataclass(frozen=True)
class ProbeResult:
    codec: str  # codec family, see codec_family
    pix_fmt: Optional[str]
    width: int
    height: int
    frames: int
    fps: Optional[Fraction]


def codec_family(name: Optional[str]) -> str:
    """Maps encoder/decoder/codec names (`libx264`, `h264`, `avc1`, `libdav1d`, `libsvtav1`,
    `av1`, ...) to a family name: `h264`, `av1`, `hevc`, or the lower-cased name itself."""
    n = (name or "").lower()
    if "264" in n or "avc" in n:
        return "h264"
    if "av1" in n or "dav1d" in n:
        return "av1"
    if "265" in n or "hevc" in n:
        return "hevc"
    return n


def require_ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise ExportError("ffmpeg not found on PATH (it encodes the videos; install it, e.g. `apt-get install ffmpeg`)")
    return path


def _ffmpeg_reason(stderr: bytes) -> str:
    lines = [l.strip() for l in stderr.decode("utf-8", "replace").splitlines()]
    lines = [l for l in lines if l and not l.startswith("Svt[info]")]
    reason = "; ".join(lines[:2]) if lines else "no message"
    return reason[:400]


def encode_frames(frames: Iterable[np.ndarray], width: int, height: int, fps: int, out: Path,
                  settings: VideoSettings, what: str) -> int:
    """Encodes `frames` to `out`; returns the number of frames. `what` names the source in errors."""
    if width % 2 or height % 2:
        raise ExportError(f"{what}: frames are {width}x{height}; {PIX_FMT} video needs an even width and height")
    min_side = ENCODERS[settings.vcodec]["min_side"]
    if min(width, height) < min_side:
        raise ExportError(f"{what}: frames are {width}x{height}; {settings.vcodec} needs at least {min_side} pixels "
                          f"on each side (--vcodec libx264 takes them)")
    ffmpeg = require_ffmpeg()
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "-",
           *settings.ffmpeg_output_args(), "-f", "mp4", str(out)]
    count = 0
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        except OSError as e:
            raise ExportError(f"cannot start ffmpeg ({ffmpeg}): {e}")
        broken = False
        try:
            for frame in frames:
                if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                    raise ExportError(f"{what}: frame {count} is {frame.shape} {frame.dtype}, expected ({height}, {width}, 3) uint8")
                if not broken:
                    try:
                        proc.stdin.write(np.ascontiguousarray(frame).data)
                    except BrokenPipeError:
                        broken = True  # ffmpeg died; its exit status and stderr say why
                count += 1
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
        rc = proc.wait()
        if rc != 0 or broken:
            err.seek(0)
            raise ExportError(f"ffmpeg ({settings.vcodec}) failed with exit status {rc} writing {out} from {what}: {_ffmpeg_reason(err.read())}")
    written = probe(out).frames
    if written != count:
        raise ExportError(f"{out}: ffmpeg wrote {written} frames, expected {count} (from {what})")
    return count


def concat_mp4(segments: Sequence[Path], out: Path) -> None:
    """Joins `segments` (same codec, size and settings) into `out` by stream copy."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if len(segments) == 1:
        shutil.move(str(segments[0]), str(out))
        return
    ffmpeg = require_ffmpeg()
    expected = sum(probe(s).frames for s in segments)
    list_dir = segments[0].parent
    with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=list_dir, delete=False) as lst:
        for s in segments:  # concat-demuxer quoting: ' is written as '\''
            lst.write("file '" + os.path.relpath(s, list_dir).replace("'", "'\\''") + "'\n")
        list_path = lst.name
    try:
        proc = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                               "-i", list_path, "-c", "copy", "-an", "-f", "mp4", str(out)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finally:
        os.unlink(list_path)
    if proc.returncode != 0:
        raise ExportError(f"ffmpeg failed with exit status {proc.returncode} joining {len(segments)} episodes into {out}: {_ffmpeg_reason(proc.stderr)}")
    written = probe(out).frames
    if written != expected:
        raise ExportError(f"{out}: joined video has {written} frames, expected {expected}")
    for s in segments:
        s.unlink()


def probe(path: Path) -> ProbeResult:
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ExportError(f"{path}: has no video stream")
            stream = container.streams.video[0]
            frames = int(stream.frames or 0)
            if frames == 0:  # container without a frame count: count the packets
                frames = sum(1 for p in container.demux(stream) if p.size)
            ctx = stream.codec_context
            return ProbeResult(codec=codec_family(ctx.name), pix_fmt=ctx.pix_fmt, width=int(ctx.width),
                               height=int(ctx.height), frames=frames,
                               fps=Fraction(stream.average_rate) if stream.average_rate else None)
    except ExportError:
        raise
    except (av.FFmpegError, OSError, ValueError) as e:
        raise ExportError(f"{path}: not a readable video ({e})")


def decode_frames(path: Path, numbers: np.ndarray, width: int, height: int, what: str) -> Iterator[np.ndarray]:
    """Yields frame `numbers[k]` of `path` for k = 0, 1, ... (`numbers` non-decreasing, >= 0)."""
    numbers = np.asarray(numbers)
    if len(numbers) == 0:
        return
    if np.any(numbers < 0) or np.any(np.diff(numbers) < 0):
        raise ExportError(f"{what}: frame numbers must be non-negative and non-decreasing")
    k, n = 0, len(numbers)
    frame_no = -1
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                frame_no += 1
                if numbers[k] != frame_no:
                    continue
                rgb = frame.to_ndarray(format="rgb24")
                if rgb.shape != (height, width, 3):
                    raise ExportError(f"{path}: frames are {rgb.shape[1]}x{rgb.shape[0]}, {what} says {width}x{height}")
                while k < n and numbers[k] == frame_no:
                    yield rgb
                    k += 1
                if k == n:
                    return
    except ExportError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError) as e:
        raise ExportError(f"{path}: cannot decode video ({e})")
    raise ExportError(f"{path}: has {frame_no + 1} frames but {what} needs frame {int(numbers[k])}")
