"""The LeRobot features of an exported run and the per-frame columns of one episode.

Contract:
- `frame_features(layout)` lists the parquet columns in column order: the recorded signals,
  then LeRobot's five default columns (timestamp, frame_index, episode_index, index,
  task_index). Vectors are float32 with their column `names`; shape-[1] features are scalars.
- `camera_features(layout, fps, settings, version)` lists one `observation.images.<camera>`
  feature per camera: dtype `video`, shape [H, W, 3], names [height, width, channels], and the
  `info` block LeRobot writes after encoding (v3.0 adds the encoder parameters).
- `frame_columns(ep, start, ...)` returns each frame feature's values for the steps `start:` of
  an episode, in the declared dtype: (n, d) for d-wide vectors, (n,) for shape-[1] features.
  `timestamp` is frame_index / fps rounded once to float32, `frame_index` restarts at 0,
  `index` is the dataset-wide frame number.
- `features_json(features)` is the `features` object of meta/info.json."""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from episode_reader import EpisodeFile, EpisodeLayout
from lerobot_video import PIX_FMT, GOP, VideoSettings

DEFAULT_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")


@dataclass(frozen=True)
class Feature:
    key: str
    dtype: str  # numpy dtype name, or "video"
    shape: Tuple[int, ...]
    names: Optional[List[str]] = None
    info: Optional[dict] = None

    @property
    def is_scalar(self) -> bool:
        return self.dtype != "video" and self.shape == (1,)

    def to_json(self) -> dict:
        out = {"dtype": self.dtype, "shape": list(self.shape), "names": self.names}
        if self.info is not None:
            out["info"] = self.info
        return out


def camera_key(camera: str) -> str:
    return f"observation.images.{camera}"


def frame_features(layout: EpisodeLayout) -> List[Feature]:
    def vec(key: str, names) -> Feature:
        return Feature(key, "float32", (len(names),), list(names))

    D = layout.action_names
    feats = [
        vec("observation.state", layout.state_names),
        vec("observation.velocity", layout.velocity_names),
        vec("observation.ee_pose", layout.ee_pose_names),
        *[vec(f"observation.features.{name}", names) for name, names in layout.feature_streams],
        vec("action", D),
        vec("base_action", D),
        vec("residual_action", D),
        Feature("residual_active", "bool", (1,)),
        Feature("policy_stall", "bool", (1,)),
        Feature("next.reward", "float32", (1,)),
        Feature("next.done", "bool", (1,)),
        Feature("stage", "int64", (1,)),
        Feature("timestamp", "float32", (1,)),
        Feature("frame_index", "int64", (1,)),
        Feature("episode_index", "int64", (1,)),
        Feature("index", "int64", (1,)),
        Feature("task_index", "int64", (1,)),
    ]
    return feats


def camera_features(layout: EpisodeLayout, fps: int, settings: VideoSettings, version: str) -> List[Feature]:
    out = []
    for name, height, width in layout.cameras:
        info = {
            "video.fps": float(fps),
            "video.height": height,
            "video.width": width,
            "video.channels": 3,
            "video.codec": settings.codec,
            "video.pix_fmt": PIX_FMT,
            "video.is_depth_map": False,
            "has_audio": False,
        }
        if version == "v3.0":
            info.update({"video.g": GOP, "video.crf": settings.effective_crf, "video.preset": settings.preset,
                         "video.fast_decode": 0, "video.extra_options": {}, "video.video_backend": "pyav"})
        out.append(Feature(camera_key(name), "video", (height, width, 3), ["height", "width", "channels"], info))
    return out


def features_json(features: List[Feature]) -> Dict[str, dict]:
    return {f.key: f.to_json() for f in features}


def frame_columns(ep: EpisodeFile, start: int, episode_index: int, index_offset: int, task_index: int,
                  fps: int, features: List[Feature]) -> Dict[str, np.ndarray]:
    """Columns of steps `start:` of `ep` as exported episode `episode_index`, whose first frame is
    dataset frame `index_offset`; one entry per feature of `features` (frame_features order)."""
    n = ep.length - start
    frame_index = np.arange(n, dtype=np.int64)
    sources = {
        "observation.state": lambda: ep.state(start),
        "observation.velocity": lambda: ep.read("/observations/qvel", start),
        "observation.ee_pose": lambda: ep.read("/observations/ee_pose", start),
        "action": lambda: ep.read("/action", start),
        "base_action": lambda: ep.read("/base_action", start),
        "residual_action": lambda: ep.read("/residual_action", start),
        "residual_active": lambda: ep.read("/residual_active", start),
        "policy_stall": lambda: ep.read("/policy_stall", start),
        "next.reward": lambda: ep.read("/reward", start),
        "next.done": lambda: ep.read("/done", start),
        "stage": lambda: ep.read("/stage", start),
        # frame_index / fps in float64, then rounded once: the float32 nearest the exact time
        "timestamp": lambda: (frame_index / fps).astype(np.float32),
        "frame_index": lambda: frame_index,
        "episode_index": lambda: np.full(n, episode_index, dtype=np.int64),
        "index": lambda: index_offset + frame_index,
        "task_index": lambda: np.full(n, task_index, dtype=np.int64),
    }
    columns = {}
    for f in features:
        if f.key.startswith("observation.features."):
            values = ep.feature_stream(f.key[len("observation.features."):], start)
        else:
            values = sources[f.key]()
        values = np.asarray(values).astype(f.dtype, copy=False)
        columns[f.key] = values.reshape(n) if f.is_scalar else values.reshape(n, *f.shape)
    return columns
