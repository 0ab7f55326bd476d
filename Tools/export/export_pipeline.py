"""The export itself: choose the run's episodes, read each one, and hand its frames, videos and
statistics to the layout writer of the requested format.

Contract of `export_run(options, root, log)`:
- Episodes are the closed ones listed in RUN/index.jsonl, in episode_index order, filtered by
  `successful_only` (index `success` true) and `hybrid_only` (frames from `handoff_step` on;
  episodes without a handoff, or whose handoff is at or past their end, are skipped), and
  numbered 0..N-1 in the export. Episodes left with fewer than 2 frames are skipped too (LeRobot
  tools reject single-frame episodes); each skip is logged with its reason.
- fps must be the same integer (within 1e-6) for every exported episode; robot_type and the
  features (arms, joints, feature streams, actions, cameras and their sizes) must agree. An
  episode whose /timestamp shows another tick rate, or gaps, is exported with a warning line.
- Everything is written under `root` (the caller makes it atomic). Returns the summary dict
  {"format", "episodes", "frames"}. `log` gets one progress line per exported episode.
Bad input raises ExportError before or while writing; the caller discards `root` then."""

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Set, Tuple

import numpy as np

from episode_reader import EpisodeFile, IndexEntry, read_index
from export_errors import ExportError
from export_record import DatasetInfo, EpisodeRecord
from layout_v21 import V21Writer
from layout_v30 import DATA_FILE_MB, VIDEO_FILE_MB, V30Writer
from lerobot_features import camera_features, camera_key, frame_columns, frame_features
from lerobot_parquet import frame_table
from lerobot_stats import ImageStats, numeric_stats, sample_indices
from lerobot_video import PIX_FMT, VideoSettings, probe, require_ffmpeg

FORMATS = {"lerobot-v2.1": "v2.1", "lerobot-v3.0": "v3.0"}
MIN_FRAMES = 2
RATE_TOLERANCE = 0.05  # warn when an episode's recorded tick rate is off the declared fps by more


@dataclass(frozen=True)
class ExportOptions:
    run_dir: Path
    format: str  # a key of FORMATS
    successful_only: bool = False
    hybrid_only: bool = False
    settings: VideoSettings = VideoSettings()
    data_file_mb: float = DATA_FILE_MB  # v3.0 only
    video_file_mb: float = VIDEO_FILE_MB  # v3.0 only


def select_episodes(entries: List[IndexEntry], successful_only: bool, hybrid_only: bool,
                    log: Callable[[str], None]) -> List[Tuple[IndexEntry, int]]:
    """(entry, first exported step) of each episode to export."""
    chosen = []
    for e in entries:
        reason = None
        start = 0
        if successful_only and not e.success:
            reason = "not successful"
        elif hybrid_only and e.handoff_step is None:
            reason = "no handoff"
        elif hybrid_only and e.handoff_step >= e.length:
            reason = f"handoff step {e.handoff_step} is not before its end ({e.length} steps)"
        else:
            start = e.handoff_step if hybrid_only else 0
            if e.length - start < MIN_FRAMES:
                reason = f"{e.length - start} frame{'s' if e.length - start != 1 else ''} to export"
        if reason:
            log(f"export: skip {e.name} ({reason})")
        else:
            chosen.append((e, start))
    return chosen


def integer_fps(chosen: List[Tuple[IndexEntry, int]], index_path: Path) -> int:
    first = chosen[0][0]
    for e, _ in chosen:
        fps = round(e.fps)
        if fps <= 0 or abs(e.fps - fps) > 1e-6:
            raise ExportError(f"{index_path} line {e.line_no}: fps {e.fps} is not an integer; LeRobot datasets need an integer fps (control.rate_hz)")
        if abs(e.fps - first.fps) > 1e-6:
            raise ExportError(f"{index_path} line {e.line_no}: fps {e.fps} differs from {first.fps} (line {first.line_no}); one dataset has one fps")
    return round(first.fps)


def timing_warning(ep: EpisodeFile, start: int, fps: int) -> Optional[str]:
    """A warning when the recorded /timestamp (robot time) shows the loop did not run at `fps`:
    LeRobot timestamps are frame_index / fps whatever the real timing was."""
    ts = ep.read("/timestamp", start).astype(np.float64)
    if len(ts) < 2:
        return None
    dt = np.diff(ts)
    rate = (len(ts) - 1) / (ts[-1] - ts[0]) if ts[-1] > ts[0] else float("inf")
    gaps = int(np.sum(dt > 1.5 / fps))
    if abs(rate - fps) <= RATE_TOLERANCE * fps and gaps == 0:
        return None
    return (f"export: warning: {ep.entry.name} ticked at {rate:.3g} Hz with {gaps} gap{'s' if gaps != 1 else ''} "
            f"over 1.5/fps in /timestamp; its LeRobot timestamps assume {fps} Hz")


def _tap(frames: Iterator[np.ndarray], samples: Set[int], acc: ImageStats, count: List[int]) -> Iterator[np.ndarray]:
    """Passes `frames` through, feeding the sampled ones to `acc` and counting them in count[0]."""
    for t, frame in enumerate(frames):
        if t in samples:
            acc.add(frame)
        count[0] += 1
        yield frame


def reusable_video(ep: EpisodeFile, cam: str, start: int, fps: int, settings: VideoSettings) -> Optional[Path]:
    """The recorded mp4 of `cam` if it can be copied as the exported video: the whole episode,
    one frame per step in order, and the requested codec, yuv420p, same size and rate."""
    c = ep.cameras[cam]
    if c.mode != "video" or start != 0:
        return None
    if not np.array_equal(ep.frame_numbers(cam), np.arange(ep.length)):
        return None
    p = probe(c.video_file)
    if (p.codec, p.pix_fmt, p.width, p.height, p.frames, p.fps) != (
            settings.codec, PIX_FMT, c.width, c.height, ep.length, Fraction(fps)):
        return None
    return c.video_file


def _export_episode(ep: EpisodeFile, i: int, start: int, total: int, tasks: Dict[str, int], fps: int,
                    features, writer, settings: VideoSettings) -> int:
    """Exports steps `start:` of `ep` as episode `i` whose first frame is dataset frame `total`;
    returns the number of frames."""
    n = ep.length - start
    task_index = tasks.setdefault(ep.prompt, len(tasks))
    rec = EpisodeRecord(episode_index=i, source_episode_index=ep.episode_index, length=n, task=ep.prompt,
                        task_index=task_index, handoff_step=ep.handoff_step, success=ep.success,
                        dataset_from_index=total)
    columns = frame_columns(ep, start, i, total, task_index, fps, features)
    stats = {f.key: numeric_stats(columns[f.key], writer.quantiles) for f in features}
    samples = set(sample_indices(n).tolist())
    for cam, c in ep.cameras.items():
        key = camera_key(cam)
        acc, count = ImageStats(), [0]
        frames = _tap(ep.camera_frames(cam, start), samples, acc, count)
        reuse = reusable_video(ep, cam, start, fps, settings) if writer.reuses_videos else None
        writer.write_camera(rec, key, frames, reuse, f"{ep.path} {c.dataset}", c.width, c.height)
        if count[0] != n:
            raise ExportError(f"{ep.path}: camera {cam} gave {count[0]} frames for {n} steps")
        stats[key] = acc.result(writer.quantiles)
    writer.write_episode(rec, frame_table(columns, features), stats)
    return n


def export_run(opts: ExportOptions, root: Path, log: Callable[[str], None]) -> Dict[str, object]:
    version = FORMATS[opts.format]
    if not opts.run_dir.is_dir():
        raise ExportError(f"{opts.run_dir}: run directory not found")
    entries = read_index(opts.run_dir)
    chosen = select_episodes(entries, opts.successful_only, opts.hybrid_only, log)
    if not chosen:
        filters = [f for f, on in (("--successful-only", opts.successful_only), ("--hybrid-only", opts.hybrid_only)) if on]
        raise ExportError(f"{opts.run_dir / 'index.jsonl'}: no episodes left to export "
                          f"({len(entries)} listed{', filtered by ' + ' '.join(filters) if filters else ''})")
    fps = integer_fps(chosen, opts.run_dir / "index.jsonl")

    writer = None
    first_path = first_layout = features = cams = None
    robot_type: Optional[str] = None
    tasks: Dict[str, int] = {}
    total = 0
    for i, (entry, start) in enumerate(chosen):
        try:
            with EpisodeFile(opts.run_dir, entry) as ep:
                if first_layout is None:
                    first_path, first_layout, robot_type = ep.path, ep.layout, ep.robot_type
                    features = frame_features(ep.layout)
                    cams = camera_features(ep.layout, fps, opts.settings, version)
                    if cams:
                        require_ffmpeg()
                    writer = (V21Writer(root, fps, opts.settings) if version == "v2.1" else
                              V30Writer(root, fps, opts.settings, features, opts.data_file_mb, opts.video_file_mb))
                else:
                    diff = ep.layout.difference(first_layout)
                    if diff:
                        raise ExportError(f"{ep.path}: {diff} in {first_path.name}; all exported episodes need the same features")
                    if ep.robot_type != robot_type:
                        raise ExportError(f"{ep.path}: robot_type '{ep.robot_type}' differs from '{robot_type}' in {first_path.name}")
                warning = timing_warning(ep, start, fps)
                if warning:
                    log(warning)
                n = _export_episode(ep, i, start, total, tasks, fps, features, writer, opts.settings)
        except ExportError:
            raise
        except Exception as e:  # an unforeseen failure still names the episode file
            raise ExportError(f"{opts.run_dir / entry.file}: {type(e).__name__}: {e}")
        total += n
        log(f"export: episode {i + 1}/{len(chosen)} ({entry.name}, {n} frames)")

    writer.finish(DatasetInfo(robot_type=robot_type or None, fps=fps, tasks=list(tasks), frame_features=features,
                              camera_features=cams, total_frames=total, settings=opts.settings))
    return {"format": opts.format, "episodes": len(chosen), "frames": total}
