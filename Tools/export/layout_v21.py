"""LeRobot v2.1 layout (the version openpi's pinned LeRobot reads).

    meta/info.json             codebase_version "v2.1", total_videos, total_chunks, templates below
    meta/tasks.jsonl           {"task_index": i, "task": "..."}
    meta/episodes.jsonl        {"episode_index", "tasks", "length", + handoff_step, success,
                                source_episode_index}
    meta/episodes_stats.jsonl  {"episode_index": i, "stats": {feature: {min, max, mean, std, count}}}
    meta/stats.json            the same aggregated over the dataset (v2.1 loaders aggregate
                               episodes_stats themselves; this is for tools that read stats.json)
    data/chunk-CCC/episode_EEEEEE.parquet           one file per episode
    videos/chunk-CCC/<key>/episode_EEEEEE.mp4       one file per episode per camera

with CCC = episode_index // 1000. The writer protocol is in export_record."""

import json
import shutil
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np
import pyarrow as pa

from export_record import CHUNKS_SIZE, DatasetInfo, EpisodeRecord
from lerobot_features import features_json
from lerobot_parquet import write_table
from lerobot_stats import Stats, aggregate, to_json
from lerobot_video import VideoSettings, encode_frames

DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"


def _write_jsonl(path: Path, rows: List[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


class V21Writer:
    reuses_videos = True  # whole recorded episodes in the requested codec are copied
    quantiles = False  # v2.1 stats are min, max, mean, std, count

    def __init__(self, root: Path, fps: int, settings: VideoSettings) -> None:
        self.root, self.fps, self.settings = root, fps, settings
        (root / "meta").mkdir(parents=True, exist_ok=True)
        self.episodes: List[dict] = []
        self.episode_stats: List[dict] = []
        self.all_stats: List[Dict[str, Stats]] = []
        self.videos = 0
        self.copied_videos = 0

    def write_camera(self, rec: EpisodeRecord, key: str, frames: Iterator[np.ndarray], reusable: Optional[Path],
                     what: str, width: int, height: int) -> None:
        out = self.root / VIDEO_PATH.format(episode_chunk=rec.episode_index // CHUNKS_SIZE, video_key=key,
                                            episode_index=rec.episode_index)
        if reusable is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(reusable, out)
            for _ in frames:  # still decoded: the image statistics come from them
                pass
            self.copied_videos += 1
        else:
            encode_frames(frames, width, height, self.fps, out, self.settings, what)
        self.videos += 1

    def write_episode(self, rec: EpisodeRecord, table: pa.Table, stats: Dict[str, Stats]) -> None:
        path = self.root / DATA_PATH.format(episode_chunk=rec.episode_index // CHUNKS_SIZE, episode_index=rec.episode_index)
        write_table(table, path)
        self.episodes.append({"episode_index": rec.episode_index, "tasks": [rec.task], "length": rec.length,
                              "handoff_step": rec.handoff_step, "success": rec.success,
                              "source_episode_index": rec.source_episode_index})
        self.episode_stats.append({"episode_index": rec.episode_index, "stats": {k: to_json(s) for k, s in stats.items()}})
        self.all_stats.append(stats)

    def finish(self, ds: DatasetInfo) -> None:
        n = len(self.episodes)
        meta = self.root / "meta"
        info = {
            "codebase_version": "v2.1",
            "robot_type": ds.robot_type,
            "total_episodes": n,
            "total_frames": ds.total_frames,
            "total_tasks": len(ds.tasks),
            "total_videos": self.videos,
            "total_chunks": (n + CHUNKS_SIZE - 1) // CHUNKS_SIZE,
            "chunks_size": CHUNKS_SIZE,
            "fps": ds.fps,
            "splits": {"train": f"0:{n}"},
            "data_path": DATA_PATH,
            "video_path": VIDEO_PATH if ds.camera_features else None,
            "features": features_json(ds.info_features()),
        }
        _write_jsonl(meta / "tasks.jsonl", [{"task_index": i, "task": t} for i, t in enumerate(ds.tasks)])
        _write_jsonl(meta / "episodes.jsonl", self.episodes)
        _write_jsonl(meta / "episodes_stats.jsonl", self.episode_stats)
        keys = self.all_stats[0].keys()
        (meta / "stats.json").write_text(
            json.dumps({k: to_json(aggregate([s[k] for s in self.all_stats])) for k in keys}, indent=2), encoding="utf-8")
        # info.json last: a dataset whose info.json exists was written completely
        (meta / "info.json").write_text(json.dumps(info, indent=4), encoding="utf-8")
