"""LeRobot v3.0 layout (what LeRobot 0.6.x reads).

    meta/info.json                             codebase_version "v3.0", file-size limits, templates
    meta/tasks.parquet                         index `task`, column `task_index`
    meta/stats.json                            dataset statistics with q01 q10 q50 q90 q99
    meta/episodes/chunk-000/file-000.parquet   one row per episode (row groups of 10): episode_index,
        tasks, length, data/chunk_index, data/file_index, dataset_from_index, dataset_to_index,
        videos/<key>/{chunk_index, file_index, from_timestamp, to_timestamp},
        meta/episodes/{chunk_index, file_index}, stats/<feature>/<stat>, + handoff_step, success,
        source_episode_index
    data/chunk-CCC/file-FFF.parquet            episodes' rows back to back; a new file past the
                                               data limit (100 MB)
    videos/<key>/chunk-CCC/file-FFF.mp4        episodes' frames back to back; a new file past the
                                               video limit (200 MB)

Addressing is positional: episode i's frames are rows dataset_from_index..dataset_to_index-1, and
its video frames are at from_timestamp + frame_index / fps of its video file. Each episode is
encoded to its own segment first (all with the same settings), then each video file is made by
joining its segments by stream copy, so the size limit is applied to known segment sizes.
All episode metadata fits one file here (a 100 MB metadata file would be ~10^5 episodes).
The writer protocol is in export_record."""

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np
import pyarrow as pa

from export_record import CHUNKS_SIZE, DatasetInfo, EpisodeRecord
from lerobot_features import features_json
from lerobot_parquet import RollingParquetWriter, frame_schema, tasks_table, write_table
from lerobot_stats import Stats, aggregate, to_json
from lerobot_video import VideoSettings, concat_mp4, encode_frames

DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-000/file-000.parquet"
DATA_FILE_MB = 100
VIDEO_FILE_MB = 200
SEGMENTS = ".segments"  # per-episode mp4 files before they are joined (removed by finish)


def _number(x: float):
    """100.0 -> 100 (LeRobot writes these limits as integers)."""
    return int(x) if float(x).is_integer() else x


@dataclass
class _VideoFile:
    """The video file of one camera being filled."""

    chunk: int = 0
    file: int = 0
    segments: List[Path] = field(default_factory=list)
    bytes: int = 0
    frames: int = 0


class V30Writer:
    reuses_videos = False  # every episode is encoded, so all segments of a file match
    quantiles = True

    def __init__(self, root: Path, fps: int, settings: VideoSettings, frame_features,
                 data_file_mb: float = DATA_FILE_MB, video_file_mb: float = VIDEO_FILE_MB) -> None:
        self.root, self.fps, self.settings = root, fps, settings
        self.data_file_mb, self.video_file_mb = data_file_mb, video_file_mb
        (root / "meta").mkdir(parents=True, exist_ok=True)
        self.data = RollingParquetWriter(root, DATA_PATH, frame_schema(frame_features),
                                         int(data_file_mb * 1024 * 1024), CHUNKS_SIZE)
        self.videos: Dict[str, _VideoFile] = {}
        self.rows: List[dict] = []
        self.all_stats: List[Dict[str, Stats]] = []
        self._pending_video_columns: Dict[str, object] = {}

    # --- videos -------------------------------------------------------------------------------

    def write_camera(self, rec: EpisodeRecord, key: str, frames: Iterator[np.ndarray], reusable: Optional[Path],
                     what: str, width: int, height: int) -> None:
        seg = self.root / SEGMENTS / key / f"episode_{rec.episode_index:06d}.mp4"
        encode_frames(frames, width, height, self.fps, seg, self.settings, what)
        size = seg.stat().st_size
        vf = self.videos.setdefault(key, _VideoFile())
        if vf.segments and vf.bytes + size > self.video_file_mb * 1024 * 1024:
            self._flush_video(key)
            vf.file += 1
            if vf.file == CHUNKS_SIZE:
                vf.chunk, vf.file = vf.chunk + 1, 0
        from_ts = vf.frames / self.fps
        vf.segments.append(seg)
        vf.bytes += size
        vf.frames += rec.length
        self._pending_video_columns.update({
            f"videos/{key}/chunk_index": vf.chunk,
            f"videos/{key}/file_index": vf.file,
            f"videos/{key}/from_timestamp": from_ts,
            f"videos/{key}/to_timestamp": vf.frames / self.fps,
        })

    def _flush_video(self, key: str) -> None:
        vf = self.videos[key]
        out = self.root / VIDEO_PATH.format(video_key=key, chunk_index=vf.chunk, file_index=vf.file)
        concat_mp4(vf.segments, out)
        vf.segments, vf.bytes, vf.frames = [], 0, 0

    # --- frames and episode rows -------------------------------------------------------------

    def write_episode(self, rec: EpisodeRecord, table: pa.Table, stats: Dict[str, Stats]) -> None:
        chunk, file = self.data.append(table)
        row = {
            "episode_index": rec.episode_index,
            "tasks": [rec.task],
            "length": rec.length,
            "data/chunk_index": chunk,
            "data/file_index": file,
            "dataset_from_index": rec.dataset_from_index,
            "dataset_to_index": rec.dataset_to_index,
            **self._pending_video_columns,
            "meta/episodes/chunk_index": 0,
            "meta/episodes/file_index": 0,
        }
        for key, s in stats.items():
            for name, values in to_json(s).items():
                row[f"stats/{key}/{name}"] = values
        row.update({"handoff_step": rec.handoff_step, "success": rec.success,
                    "source_episode_index": rec.source_episode_index})
        self._pending_video_columns = {}
        self.rows.append(row)
        self.all_stats.append(stats)

    def _episodes_table(self) -> pa.Table:
        fixed_types = {"tasks": pa.list_(pa.string()), "success": pa.bool_(), "handoff_step": pa.int64()}
        columns, fields = [], []
        for name in self.rows[0]:
            values = [r[name] for r in self.rows]
            if name in fixed_types:
                t = fixed_types[name]
            elif name.endswith("_timestamp"):
                t = pa.float64()
            elif name.startswith("stats/"):
                t = None  # nested lists: doubles, count as int64
            else:
                t = pa.int64()
            arr = pa.array(values, type=t)
            columns.append(arr)
            fields.append(pa.field(name, arr.type))
        return pa.Table.from_arrays(columns, schema=pa.schema(fields))

    def finish(self, ds: DatasetInfo) -> None:
        for key in list(self.videos):
            if self.videos[key].segments:
                self._flush_video(key)
        shutil.rmtree(self.root / SEGMENTS, ignore_errors=True)
        self.data.close()
        meta = self.root / "meta"
        write_table(self._episodes_table(), self.root / EPISODES_PATH, row_group_size=10)
        write_table(tasks_table(ds.tasks), meta / "tasks.parquet")
        keys = self.all_stats[0].keys()
        (meta / "stats.json").write_text(
            json.dumps({k: to_json(aggregate([s[k] for s in self.all_stats])) for k in keys}, indent=2), encoding="utf-8")
        n = len(self.rows)
        info = {
            "codebase_version": "v3.0",
            "robot_type": ds.robot_type,
            "total_episodes": n,
            "total_frames": ds.total_frames,
            "total_tasks": len(ds.tasks),
            "chunks_size": CHUNKS_SIZE,
            "data_files_size_in_mb": _number(self.data_file_mb),
            "video_files_size_in_mb": _number(self.video_file_mb),
            "fps": ds.fps,
            "splits": {"train": f"0:{n}"},
            "data_path": DATA_PATH,
            "video_path": VIDEO_PATH if ds.camera_features else None,
            "features": features_json(ds.info_features()),
        }
        # info.json last: a dataset whose info.json exists was written completely
        (meta / "info.json").write_text(json.dumps(info, indent=4), encoding="utf-8")
