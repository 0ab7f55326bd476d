"""Reads what `pld run` recorded: RUN/index.jsonl and the episode HDF5 files it lists.

The contract is Sources/Recording/EpisodeFormat.md (`pld-episode/1`). This module checks the
parts of it the exporter relies on and reads them:
- `read_index(run)` parses RUN/index.jsonl into `IndexEntry` rows, one per closed episode. A
  line that is not JSON, or lacks or mistypes a field the exporter uses, is an error that names
  the line number; so is an episode index listed twice.
- `EpisodeFile(run, entry)` opens one episode file and validates it: the layout attribute,
  every attribute and dataset the exporter reads (with the promised shapes and dtypes), and
  agreement between the index line and the file's own attributes. Its read methods return the
  rows from `start` on.
Every failure raises ExportError naming the file and the line, dataset or attribute at fault."""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import h5py
import numpy as np

from export_errors import ExportError
from lerobot_video import decode_frames

EPISODE_LAYOUT = "pld-episode/1"
EE_POSE_FIELDS = ("x", "y", "z", "qw", "qx", "qy", "qz")
RAW_BLOCK = 16  # raw frames read from HDF5 per read call


@dataclass(frozen=True)
class IndexEntry:
    """One `index.jsonl` line (only the fields the exporter uses)."""

    line_no: int
    episode_index: int
    file: str
    length: int
    fps: float
    success: bool
    handoff_step: Optional[int]
    prompt: str
    videos: Dict[str, str]

    @property
    def name(self) -> str:
        """`episode_000007`: the file's stem, used in progress lines."""
        return Path(self.file).name.split(".")[0]


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _index_field(obj: dict, key: str, where: str, check, want: str):
    if key not in obj:
        raise ExportError(f"{where}: missing field '{key}'")
    value = obj[key]
    if not check(value):
        raise ExportError(f"{where}: field '{key}' must be {want}, got {json.dumps(value)[:60]}")
    return value


def read_index(run_dir: Path) -> List[IndexEntry]:
    """Parses RUN/index.jsonl; blank lines are ignored. Sorted by episode_index."""
    path = run_dir / "index.jsonl"
    if not path.is_file():
        raise ExportError(f"{path}: missing (is {run_dir} a pld run directory?)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ExportError(f"{path}: cannot read ({e})")
    entries: List[IndexEntry] = []
    seen: Dict[int, int] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {line_no}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ExportError(f"{where}: not valid JSON ({e.msg} at column {e.colno})")
        if not isinstance(obj, dict):
            raise ExportError(f"{where}: not a JSON object")
        f = lambda key, check, want: _index_field(obj, key, where, check, want)  # noqa: E731
        episode_index = f("episode_index", lambda v: _is_int(v) and v >= 0, "an integer >= 0")
        file = f("file", lambda v: isinstance(v, str) and v != "", "a non-empty string")
        length = f("length", lambda v: _is_int(v) and v >= 0, "an integer >= 0")
        fps = f("fps", lambda v: (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0),
                "a positive number")
        success = f("success", lambda v: isinstance(v, bool), "true or false")
        handoff = f("handoff_step", lambda v: v is None or (_is_int(v) and v >= 0), "null or an integer >= 0")
        prompt = f("prompt", lambda v: isinstance(v, str), "a string")
        videos = f("videos", lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
                   "an object of camera -> path strings")
        if episode_index in seen:
            raise ExportError(f"{where}: episode_index {episode_index} is already listed on line {seen[episode_index]}")
        seen[episode_index] = line_no
        entries.append(IndexEntry(line_no, episode_index, file, length, float(fps), success, handoff, prompt, dict(videos)))
    entries.sort(key=lambda e: e.episode_index)
    return entries


# --- episode file ----------------------------------------------------------------------------


def _to_str(v) -> str:
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v).decode("utf-8")
    return str(v)


@dataclass(frozen=True)
class Camera:
    """One recorded camera: raw frames in the HDF5 file, or an mp4 beside it."""

    name: str
    mode: str  # "raw" | "video"
    height: int
    width: int
    dataset: str  # /observations/images/<name>
    video_file: Optional[Path] = None  # mode "video": the mp4 (exists)
    codec: Optional[str] = None  # mode "video": the `codec` attribute as written
    pix_fmt: Optional[str] = None


@dataclass(frozen=True)
class EpisodeLayout:
    """Everything that fixes the dataset's features; must be equal across exported episodes."""

    arm_names: Tuple[str, ...]
    state_names: Tuple[str, ...]
    velocity_names: Tuple[str, ...]
    ee_pose_names: Tuple[str, ...]
    feature_streams: Tuple[Tuple[str, Tuple[str, ...]], ...]  # (name, column names)
    action_names: Tuple[str, ...]
    cameras: Tuple[Tuple[str, int, int], ...]  # (name, height, width)

    def difference(self, other: "EpisodeLayout") -> Optional[str]:
        """A short description of the first field that differs, or None."""
        for field in self.__dataclass_fields__:
            a, b = getattr(self, field), getattr(other, field)
            if a != b:
                return f"{field} {list(a)} differs from {list(b)}"
        return None


class EpisodeFile:
    """An open, validated episode file. Use as a context manager (closes the HDF5 file)."""

    def __init__(self, run_dir: Path, entry: IndexEntry) -> None:
        self.run_dir, self.entry = run_dir, entry
        self.path = run_dir / entry.file
        if not self.path.is_file():
            raise ExportError(f"{self.path}: missing (listed on line {entry.line_no} of {run_dir / 'index.jsonl'})")
        try:
            self._h5 = h5py.File(self.path, "r")
        except (OSError, ValueError) as e:
            raise ExportError(f"{self.path}: not a readable HDF5 file ({str(e).splitlines()[0] if str(e) else type(e).__name__})")
        try:
            self._validate()
        except BaseException:
            self._h5.close()
            raise

    def __enter__(self) -> "EpisodeFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._h5.close()

    # --- attributes and datasets, with errors that name them ---------------------------------

    def _attr(self, name: str):
        try:
            if name not in self._h5.attrs:
                raise ExportError(f"{self.path}: missing attribute '{name}'")
            return self._h5.attrs[name]
        except ExportError:
            raise
        except (OSError, ValueError, TypeError, KeyError) as e:
            raise ExportError(f"{self.path}: cannot read attribute '{name}' ({e})")

    def _attr_int(self, name: str) -> int:
        v = self._attr(name)
        try:
            if np.ndim(v) != 0 or isinstance(v, (str, bytes)) or float(v) != int(v):
                raise ValueError
            return int(v)
        except (TypeError, ValueError):
            raise ExportError(f"{self.path}: attribute '{name}' must be an integer, got {v!r}"[:200])

    def _attr_float(self, name: str) -> float:
        v = self._attr(name)
        try:
            if np.ndim(v) != 0 or isinstance(v, (str, bytes)):
                raise ValueError
            return float(v)
        except (TypeError, ValueError):
            raise ExportError(f"{self.path}: attribute '{name}' must be a number, got {v!r}"[:200])

    def _attr_bool(self, name: str) -> bool:
        v = self._attr(name)
        if np.ndim(v) != 0 or isinstance(v, (str, bytes)):
            raise ExportError(f"{self.path}: attribute '{name}' must be a boolean, got {v!r}"[:200])
        return bool(v)

    def _attr_str(self, name: str) -> str:
        v = self._attr(name)
        if isinstance(v, h5py.Empty):
            return ""
        if np.ndim(v) != 0:
            raise ExportError(f"{self.path}: attribute '{name}' must be a string")
        return _to_str(v)

    def _attr_strs(self, name: str, obj=None) -> List[str]:
        """A string-array attribute of the root (or of `obj`), as a list of str."""
        v = self._attr(name) if obj is None else obj.attrs[name]
        if isinstance(v, h5py.Empty):
            return []
        return [_to_str(x) for x in np.atleast_1d(v)]

    def _dataset(self, path: str) -> h5py.Dataset:
        try:
            obj = self._h5.get(path)
        except (OSError, ValueError, KeyError) as e:
            raise ExportError(f"{self.path}: cannot read dataset {path} ({e})")
        if obj is None:
            raise ExportError(f"{self.path}: missing dataset {path}")
        if not isinstance(obj, h5py.Dataset):
            raise ExportError(f"{self.path}: {path} is not a dataset")
        return obj

    def _shaped(self, path: str, shape: tuple, kinds: str) -> h5py.Dataset:
        """The dataset at `path`, checked to have `shape` (None = any size) and a dtype kind in `kinds`."""
        ds = self._dataset(path)
        ok = len(ds.shape) == len(shape) and all(w is None or w == s for w, s in zip(shape, ds.shape))
        if not ok:
            want = "(" + ", ".join("*" if w is None else str(w) for w in shape) + ("," if len(shape) == 1 else "") + ")"
            raise ExportError(f"{self.path}: dataset {path} has shape {ds.shape}, expected {want}")
        if ds.dtype.kind not in kinds:
            raise ExportError(f"{self.path}: dataset {path} has dtype {ds.dtype}, expected {_KIND_NAMES[kinds]}")
        return ds

    def _names(self, ds: h5py.Dataset, width: int) -> Optional[List[str]]:
        try:
            if "names" not in ds.attrs:
                return None
            names = self._attr_strs("names", ds)
        except (OSError, ValueError, TypeError) as e:
            raise ExportError(f"{self.path}: cannot read attribute 'names' of {ds.name} ({e})")
        if len(names) != width:
            raise ExportError(f"{self.path}: attribute 'names' of {ds.name} has {len(names)} entries for {width} columns")
        return names

    # --- validation ---------------------------------------------------------------------------

    def _validate(self) -> None:
        e, p = self.entry, self.path
        layout = self._attr_str("layout")
        if layout != EPISODE_LAYOUT:
            raise ExportError(f"{p}: attribute 'layout' is '{layout}'; this exporter reads '{EPISODE_LAYOUT}'")
        self.length = T = self._attr_int("length")
        self.fps = self._attr_float("fps")
        self.episode_index = self._attr_int("episode_index")
        handoff = self._attr_int("handoff_step")
        self.handoff_step = None if handoff < 0 else handoff
        self.success = self._attr_bool("success")
        self.prompt = self._attr_str("prompt")
        self.robot_type = self._attr_str("robot_type")
        for name, mine, theirs in (("length", T, e.length), ("episode_index", self.episode_index, e.episode_index),
                                   ("handoff_step", self.handoff_step, e.handoff_step), ("success", self.success, e.success),
                                   ("prompt", self.prompt, e.prompt)):
            if mine != theirs:
                raise ExportError(f"{p}: attribute '{name}' is {json.dumps(mine)} but line {e.line_no} of index.jsonl says {json.dumps(theirs)}")
        if abs(self.fps - e.fps) > 1e-9 * max(1.0, e.fps):
            raise ExportError(f"{p}: attribute 'fps' is {self.fps} but line {e.line_no} of index.jsonl says {e.fps}")

        arms = self._attr_strs("arm_names")
        if not arms:
            raise ExportError(f"{p}: attribute 'arm_names' is empty")
        A = len(arms)
        camera_names = self._attr_strs("camera_names")
        feature_names = self._attr_strs("feature_names")
        action_names = self._attr_strs("action_names")
        if not action_names:
            raise ExportError(f"{p}: attribute 'action_names' is empty")
        D = len(action_names)

        qpos = self._shaped("/observations/qpos", (T, None), "fiu")
        J = qpos.shape[1]
        qvel = self._shaped("/observations/qvel", (T, J), "fiu")
        gripper = self._shaped("/observations/gripper", (T, A), "fiu")
        ee = self._shaped("/observations/ee_pose", (T, 7 * A), "fiu")
        qpos_names = self._names(qpos, J)
        self._arm_cols = self._split_by_arm(qpos_names, arms, J, qpos.name)
        if qpos_names is None:
            qpos_names = [f"{arms[0]}.joint_{j}" for j in range(J)]
        gripper_names = self._names(gripper, A) or [f"{a}.gripper" for a in arms]
        state_names: List[str] = []
        for a in range(A):
            state_names += [qpos_names[j] for j in self._arm_cols[a]] + [gripper_names[a]]
        velocity_names = self._names(qvel, J) or [f"{n}.vel" for n in qpos_names]
        ee_names = self._names(ee, 7 * A) or [f"{a}.{f}" for a in arms for f in EE_POSE_FIELDS]

        streams = []
        for name in feature_names:
            ds = self._dataset(f"/observations/features/{name}")
            if len(ds.shape) == 1:
                ds = self._shaped(ds.name, (T,), "fiu")
                width = 1
            else:
                ds = self._shaped(ds.name, (T, None), "fiu")
                width = ds.shape[1]
            if width == 0:
                raise ExportError(f"{p}: dataset {ds.name} has no columns")
            streams.append((name, tuple(self._names(ds, width) or [f"{name}_{i}" for i in range(width)])))

        for path in ("/action", "/base_action", "/residual_action"):
            self._shaped(path, (T, D), "fiu")
        for path in ("/residual_active", "/policy_stall", "/done"):
            self._shaped(path, (T,), "biu")
        self._shaped("/timestamp", (T,), "fiu")
        self._shaped("/stage", (T,), "iu")
        self._shaped("/reward", (T,), "fiu")

        self.cameras: Dict[str, Camera] = {}
        for cam in camera_names:
            self.cameras[cam] = self._camera(cam, T)

        self.layout = EpisodeLayout(
            arm_names=tuple(arms), state_names=tuple(state_names), velocity_names=tuple(velocity_names),
            ee_pose_names=tuple(ee_names), feature_streams=tuple(streams), action_names=tuple(action_names),
            cameras=tuple((c.name, c.height, c.width) for c in self.cameras.values()))

    def _split_by_arm(self, names: Optional[List[str]], arms: List[str], J: int, what: str) -> List[List[int]]:
        """Column numbers of each arm in a joint-space dataset, from its `<arm>.` name prefixes."""
        if names is None:
            if len(arms) == 1:
                return [list(range(J))]
            raise ExportError(f"{self.path}: dataset {what} has no 'names' attribute; it is needed to tell the arms' joints apart")
        cols: List[List[int]] = [[] for _ in arms]
        for j, n in enumerate(names):
            match = [a for a, arm in enumerate(arms) if n.startswith(arm + ".")]
            if not match:
                raise ExportError(f"{self.path}: column {j} of {what} is named '{n}', which names no arm of arm_names {arms}")
            cols[max(match, key=lambda a: len(arms[a]))].append(j)
        return cols

    def _camera(self, cam: str, T: int) -> Camera:
        path = f"/observations/images/{cam}"
        ds = self._dataset(path)
        if len(ds.shape) == 4:
            ds = self._shaped(path, (T, None, None, 3), "u")
            if ds.dtype != np.uint8:
                raise ExportError(f"{self.path}: dataset {path} has dtype {ds.dtype}, expected uint8")
            return Camera(cam, "raw", int(ds.shape[1]), int(ds.shape[2]), path)
        ds = self._shaped(path, (T,), "iu")
        attrs = {}
        for name in ("video_path", "codec", "pix_fmt", "width", "height", "fps"):
            if name not in ds.attrs:
                raise ExportError(f"{self.path}: dataset {path} lacks attribute '{name}'")
            attrs[name] = ds.attrs[name]
        try:
            width, height = int(attrs["width"]), int(attrs["height"])
        except (TypeError, ValueError):
            raise ExportError(f"{self.path}: attributes 'width'/'height' of {path} must be integers")
        if width <= 0 or height <= 0:
            raise ExportError(f"{self.path}: attributes 'width'/'height' of {path} are {width}x{height}")
        candidates = [_to_str(attrs["video_path"])]
        if cam in self.entry.videos:
            candidates.append(self.entry.videos[cam])
        video = next((self.run_dir / c for c in candidates if (self.run_dir / c).is_file()), None)
        if video is None:
            raise ExportError(f"{self.run_dir / candidates[0]}: missing (the video_path of {path} in {self.path})")
        return Camera(cam, "video", height, width, path, video, _to_str(attrs["codec"]), _to_str(attrs["pix_fmt"]))

    # --- reading ------------------------------------------------------------------------------

    def read(self, path: str, start: int = 0) -> np.ndarray:
        """Rows `start:` of the dataset at `path` (validated above), as stored (bools as bool)."""
        ds = self._dataset(path)
        try:
            data = ds[start:]
        except (OSError, ValueError, TypeError) as e:
            raise ExportError(f"{self.path}: cannot read dataset {path} ({str(e).splitlines()[0] if str(e) else type(e).__name__})")
        if ds.dtype.kind in "iu" and path in ("/residual_active", "/policy_stall", "/done"):
            data = data != 0
        return np.asarray(data)

    def state(self, start: int = 0) -> np.ndarray:
        """(n, S) per arm [that arm's qpos columns..., that arm's gripper], arms in arm_names order."""
        qpos = self.read("/observations/qpos", start)
        gripper = self.read("/observations/gripper", start)
        parts = []
        for a, cols in enumerate(self._arm_cols):
            parts += [qpos[:, cols], gripper[:, a:a + 1]]
        return np.concatenate(parts, axis=1)

    def feature_stream(self, name: str, start: int = 0) -> np.ndarray:
        data = self.read(f"/observations/features/{name}", start)
        return data.reshape(len(data), -1)

    def frame_numbers(self, cam: str) -> np.ndarray:
        """Mode "video": the mp4 frame number of each step."""
        return self.read(self.cameras[cam].dataset).astype(np.int64)

    def camera_frames(self, cam: str, start: int = 0) -> Iterator[np.ndarray]:
        """The (H, W, 3) uint8 RGB frame of each step from `start` on."""
        c = self.cameras[cam]
        if c.mode == "video":
            yield from decode_frames(c.video_file, self.frame_numbers(cam)[start:], c.width, c.height,
                                     f"{self.path} {c.dataset}")
            return
        ds = self._dataset(c.dataset)
        for i in range(start, self.length, RAW_BLOCK):
            try:
                block = ds[i:min(i + RAW_BLOCK, self.length)]
            except (OSError, ValueError) as e:
                raise ExportError(f"{self.path}: cannot read dataset {c.dataset} rows {i}.. ({str(e).splitlines()[0]})")
            yield from block


_KIND_NAMES = {"fiu": "a numeric dtype", "biu": "bool (or an integer 0/1)", "iu": "an integer dtype", "u": "uint8"}
