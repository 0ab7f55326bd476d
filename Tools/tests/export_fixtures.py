"""Small run directories in the `pld-run/1` / `pld-episode/1` format
(Sources/Recording/EpisodeFormat.md), written with h5py, for the exporter tests.

`make_run(root, camera_mode)` writes RUN/{run.json, config.yaml, index.jsonl, episodes/*.hdf5}
and, with camera_mode "video", RUN/videos/<camera>/episode_*.mp4 encoded with ffmpeg. The
default episodes: 0 successful with a handoff, 1 failed (timeout) with a handoff, 2 successful
without a handoff, 3 successful with a handoff. Two arms (3 joints + gripper each), two feature
streams, two cameras. `source_frame(...)` gives the RGB frame a camera saw at a step."""

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import h5py
import numpy as np

ARMS = ("left", "right")
JOINTS_PER_ARM = 3
FEATURES = {"force": 3, "tactile": 2}
CAMERAS = ("exterior", "wrist")
EE_FIELDS = ("x", "y", "z", "qw", "qx", "qy", "qz")
ACTION_FIELDS = ("dx", "dy", "dz", "rx", "ry", "rz", "gripper")
ROBOT_TYPE = "bimanual_test_arm"
STR = h5py.string_dtype()


@dataclass
class EpisodeSpec:
    length: int
    success: bool = True
    handoff: Optional[int] = None
    prompt: str = "pick up the red cube"
    outcome: Optional[str] = None  # default: success / timeout from `success`


DEFAULT_EPISODES = (
    EpisodeSpec(40, True, 12, "pick up the red cube"),
    EpisodeSpec(30, False, 8, "pick up the red cube"),
    EpisodeSpec(50, True, None, "stack the blocks"),
    EpisodeSpec(36, True, 10, "pick up the red cube"),
)


@dataclass
class RunSpec:
    root: Path
    episodes: Sequence[EpisodeSpec]
    camera_mode: str
    size: Tuple[int, int]  # (height, width)
    fps: float
    files: List[Path] = field(default_factory=list)


def names_attr(obj, names: Sequence[str]) -> None:
    obj.attrs.create("names", data=list(names), dtype=STR)


def source_frame(camera: int, episode: int, step: int, height: int, width: int) -> np.ndarray:
    """A smooth gradient with a moving square: what camera `camera` saw at `step`."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.empty((height, width, 3), dtype=np.float64)
    img[..., 0] = 40 + 150 * x / width
    img[..., 1] = 60 + 120 * y / height
    img[..., 2] = 90 + 60 * camera + 10 * episode + 0 * x
    s = max(4, height // 4)
    cx = (5 * step + 7 * episode) % (width - s)
    cy = (3 * step + 5 * camera) % (height - s)
    img[cy:cy + s, cx:cx + s] = (230, 40 + 50 * camera, 30)
    return img.clip(0, 255).astype(np.uint8)


def _frames(camera: int, episode: int, T: int, height: int, width: int) -> np.ndarray:
    return np.stack([source_frame(camera, episode, t, height, width) for t in range(T)])


def encode_mp4(frames: np.ndarray, fps: float, out: Path, codec: str = "libx264") -> None:
    """What the recorder does in video mode: the episode's frames as an mp4 (its own GOP)."""
    T, H, W, _ = frames.shape
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{W}x{H}", "-framerate", f"{fps:g}", "-i", "-", "-an", "-c:v", codec,
                    "-pix_fmt", "yuv420p", "-crf", "18", str(out)], input=frames.tobytes(), check=True,
                   capture_output=True)


def write_episode(run: Path, index: int, spec: EpisodeSpec, camera_mode: str, size: Tuple[int, int],
                  fps: float, cameras: Sequence[str] = CAMERAS) -> dict:
    """Writes episodes/episode_<index>.hdf5 (and its videos); returns its index.jsonl entry."""
    T, A, J = spec.length, len(ARMS), len(ARMS) * JOINTS_PER_ARM
    H, W = size
    rng = np.random.default_rng(1000 + index)
    t = np.arange(T)
    handoff = spec.handoff
    outcome = spec.outcome or ("success" if spec.success else "timeout")
    name = f"episode_{index:06d}"
    rel = f"episodes/{name}.hdf5"
    path = run / rel
    path.parent.mkdir(parents=True, exist_ok=True)

    qpos = np.cumsum(rng.normal(0, 0.02, (T, J)), axis=0) + np.linspace(-1, 1, J)
    qvel = np.gradient(qpos, axis=0) * fps
    gripper = np.clip(0.5 + 0.5 * np.sin(t[:, None] / 5.0 + np.arange(A)) + rng.normal(0, 0.01, (T, A)), 0, 1)
    ee = rng.normal(0, 0.1, (T, 7 * A))
    feats = {n: rng.normal(0, 1, (T, d)) for n, d in FEATURES.items()}
    D = 7 * A
    residual_active = t >= handoff if handoff is not None else np.zeros(T, dtype=bool)
    policy_stall = np.zeros(T, dtype=bool)
    policy_stall[[3, 4, T - 6]] = True  # before and after any handoff
    base = rng.normal(0, 0.05, (T, D))
    base[policy_stall] = 0.0
    residual = rng.normal(0, 0.01, (T, D)) * residual_active[:, None]
    action = base + residual
    stage = (t >= T // 2).astype(np.int32)
    reward = np.zeros(T)
    if spec.success:
        reward[-1] = 1.0
    done = t == T - 1

    entry = {
        "episode_index": index, "file": rel, "length": T, "fps": fps, "outcome": outcome,
        "success": spec.success, "aborted_reason": None, "handoff_step": handoff,
        "residual_steps": int(residual_active.sum()), "stages": [0, 1], "safety_events": 1,
        "policy_stalls": int(policy_stall.sum()), "dropped_steps": 0, "prompt": spec.prompt,
        "videos": {}, "started_unix_ns": 1764622000000000000 + index * 10**10, "duration_s": T / fps,
        "bytes": 0, "config_hash": hashlib.sha256(b"config").hexdigest(),
    }
    with h5py.File(path, "w") as f:
        f.create_dataset("timestamp", data=t / fps + rng.normal(0, 1e-4, T).clip(-4e-4, 4e-4) * (t > 0))
        obs = f.create_group("observations")
        names_attr(obs.create_dataset("qpos", data=qpos), [f"{a}.joint_{j}" for a in ARMS for j in range(JOINTS_PER_ARM)])
        names_attr(obs.create_dataset("qvel", data=qvel), [f"{a}.joint_{j}" for a in ARMS for j in range(JOINTS_PER_ARM)])
        names_attr(obs.create_dataset("gripper", data=gripper), [f"{a}.gripper" for a in ARMS])
        names_attr(obs.create_dataset("ee_pose", data=ee), [f"{a}.{e}" for a in ARMS for e in EE_FIELDS])
        for n, v in feats.items():
            names_attr(obs.create_dataset(f"features/{n}", data=v), [f"{n}.{i}" for i in range(v.shape[1])])
        for c, cam in enumerate(cameras):
            frames = _frames(c, index, T, H, W)
            if camera_mode == "raw":
                obs.create_dataset(f"images/{cam}", data=frames, chunks=(1, H, W, 3), compression="gzip")
            else:
                video_rel = f"videos/{cam}/{name}.mp4"
                encode_mp4(frames, fps, run / video_rel)
                ds = obs.create_dataset(f"images/{cam}", data=t.astype(np.int64))
                ds.attrs.update({"video_path": video_rel, "codec": "libx264", "pix_fmt": "yuv420p",
                                 "width": W, "height": H, "fps": fps})
                entry["videos"][cam] = video_rel
            obs.create_dataset(f"camera_sequence/{cam}", data=(t + 1).astype(np.uint64))
        action_names = [f"{a}.{x}" for a in ARMS for x in ACTION_FIELDS]
        for key, v in (("action", action), ("base_action", base), ("residual_action", residual)):
            names_attr(f.create_dataset(key, data=v), action_names)
        f.create_dataset("residual_active", data=residual_active)
        f.create_dataset("policy_stall", data=policy_stall)
        for a in ARMS:
            names_attr(f.create_dataset(f"command/{a}", data=rng.normal(0, 0.01, (T, 7))), [f"{a}.{x}" for x in ACTION_FIELDS])
        f.create_dataset("command_hold", data=np.repeat(policy_stall[:, None], A, axis=1))
        f.create_dataset("stage", data=stage)
        f.create_dataset("reward", data=reward)
        f.create_dataset("done", data=done)
        f.create_dataset("classifier/grasp", data=np.where(t % 7 == 0, np.nan, t / T))
        f.create_dataset("safety_event_count", data=(t == 5).astype(np.int32))
        ev = np.dtype([("step", "<i8"), ("kind", "S24"), ("stage", "S24"), ("arm", "<i4"), ("element", "<i4"),
                       ("requested", "<f8"), ("applied", "<f8")])
        f.create_dataset("safety_events", data=np.array([(5, b"clamp", b"workspace", 0, 2, 0.3, 0.2)], dtype=ev))

        a = f.attrs
        a["layout"] = "pld-episode/1"
        a["episode_index"] = np.int64(index)
        a["fps"] = float(fps)
        a["length"] = np.int64(T)
        a["handoff_step"] = np.int64(-1 if handoff is None else handoff)
        a["success"] = np.bool_(spec.success)
        a["outcome"] = outcome
        a["aborted_reason"] = ""
        a["prompt"] = spec.prompt
        a["robot_type"] = ROBOT_TYPE
        a["config_name"] = "test"
        a["config_hash"] = entry["config_hash"]
        a["calibration_hash"] = ""
        a["residual_hash"] = "zero-init"
        a["xi"], a["alpha"] = 0.1, 0.5
        a["seed"], a["residual_seed"] = np.int64(7), np.int64(8)
        a["policy_metadata"] = "{}"
        a["software_version"] = "0.0.0-test"
        a["hdf5_version"] = h5py.version.hdf5_version
        for key, values in (("arm_names", ARMS), ("camera_names", cameras), ("feature_names", list(FEATURES)),
                            ("classifier_names", ["grasp"]), ("action_names", action_names)):
            a.create(key, data=list(values), dtype=STR)
        a["residual_steps"] = np.int64(entry["residual_steps"])
        a["policy_stalls"] = np.int64(entry["policy_stalls"])
        a["safety_events"] = np.int64(1)
        a["dropped_steps"] = np.int64(0)
        a["recorder_lagged"] = np.bool_(False)
        a["started_unix_ns"] = np.int64(entry["started_unix_ns"])
        a["duration_s"] = T / fps
        a["speed"] = 1.0
        a["index_entry"] = json.dumps(entry)
    entry["bytes"] = path.stat().st_size
    return entry


def make_run(root: Path, camera_mode: str = "raw", episodes: Sequence[EpisodeSpec] = DEFAULT_EPISODES,
             size: Tuple[int, int] = (48, 64), fps: float = 20.0, cameras: Sequence[str] = CAMERAS) -> RunSpec:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text("robot: test\n")
    (root / "run.json").write_text(json.dumps({
        "layout": "pld-run/1", "config_name": "test", "config_hash": hashlib.sha256(b"config").hexdigest(),
        "robot_type": ROBOT_TYPE, "created_unix_ns": 1764622000000000000, "software_version": "0.0.0-test"}))
    spec = RunSpec(root, list(episodes), camera_mode, size, fps)
    with open(root / "index.jsonl", "w") as index:
        for i, ep in enumerate(episodes):
            entry = write_episode(root, i, ep, camera_mode, size, fps, cameras)
            spec.files.append(root / entry["file"])
            index.write(json.dumps(entry) + "\n")
    return spec


def read_h5(path: Path, key: str) -> np.ndarray:
    with h5py.File(path, "r") as f:
        return f[key][()]


def expected_state(path: Path) -> np.ndarray:
    """observation.state as the spec defines it: per arm [its joints..., its gripper]."""
    qpos, gripper = read_h5(path, "/observations/qpos"), read_h5(path, "/observations/gripper")
    parts = []
    for a in range(len(ARMS)):
        parts += [qpos[:, a * JOINTS_PER_ARM:(a + 1) * JOINTS_PER_ARM], gripper[:, a:a + 1]]
    return np.concatenate(parts, axis=1)
