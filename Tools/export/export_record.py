"""What the exporter knows about one exported episode and the dataset, shared by the two layout
writers (layout_v21, layout_v30).

Contract of a layout writer (`V21Writer`, `V30Writer`), called in this order per episode:
- `write_camera(rec, key, frames, reusable, what, width, height)` consumes `frames` (the
  episode's exported frames of camera feature `key`, each (height, width, 3) uint8; `what`
  names their source in errors) and stores the episode's video.
  `reusable` is a recorded mp4 holding exactly these frames in the requested codec, which the
  writer may copy instead of encoding (it still consumes `frames`).
- `write_episode(rec, table, stats)` stores the episode's frame rows (an Arrow table) and its
  statistics (feature key -> stats arrays).
Then once: `finish(dataset)` writes the metadata. Writers only write under their root."""

from dataclasses import dataclass
from typing import List, Optional

from lerobot_features import DEFAULT_COLUMNS, Feature
from lerobot_video import VideoSettings

CHUNKS_SIZE = 1000  # LeRobot's chunks_size: episodes (v2.1) or files (v3.0) per chunk directory


@dataclass
class EpisodeRecord:
    episode_index: int  # in the export, 0..N-1
    source_episode_index: int  # in the run
    length: int  # exported frames
    task: str
    task_index: int
    handoff_step: Optional[int]  # in the run's episode (not shifted by --hybrid-only)
    success: bool
    dataset_from_index: int  # global index of the episode's first frame

    @property
    def dataset_to_index(self) -> int:
        return self.dataset_from_index + self.length


@dataclass
class DatasetInfo:
    robot_type: Optional[str]
    fps: int
    tasks: List[str]  # by task_index
    frame_features: List[Feature]  # parquet columns, in order
    camera_features: List[Feature]
    total_frames: int
    settings: VideoSettings

    def info_features(self) -> List[Feature]:
        """info.json order: recorded signals, cameras, then LeRobot's default columns."""
        signals = [f for f in self.frame_features if f.key not in DEFAULT_COLUMNS]
        defaults = [f for f in self.frame_features if f.key in DEFAULT_COLUMNS]
        return signals + self.camera_features + defaults
