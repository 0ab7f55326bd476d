"""Tools/grasp_by_offset run as a real subprocess on HDF5 episodes written here with h5py, laid out
as a pld run directory (index.jsonl + episodes/), with known cube paths, hand heights and closes."""

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

TOOL = Path(__file__).resolve().parents[1] / "grasp_by_offset"
STEPS = 40


def write_episode(run, index, y_m, success, close_step, cube_shift_m, hand_z_m):
    """The cube starts at (0.5, y); by `close_step` it has moved `cube_shift_m` sideways; the
    hand is at `hand_z_m` from then on; the gripper reads 0 before the close and 1 after
    (close_step None: it never closes)."""
    cube = np.zeros((STEPS, 7), np.float32)
    cube[:, 0], cube[:, 1], cube[:, 2], cube[:, 3] = 0.5, y_m, 0.025, 1
    ee = np.zeros((STEPS, 7), np.float32)
    ee[:, 2] = 0.3
    gripper = np.zeros((STEPS, 1), np.float32)
    if close_step is not None:
        cube[close_step:, 1] += cube_shift_m
        ee[close_step:, 2] = hand_z_m
        gripper[close_step:, 0] = 1
    name = f"episodes/episode_{index:06d}.hdf5"
    with h5py.File(run / name, "w") as f:
        f["observations/features/cube_pose"] = cube
        f["observations/ee_pose"] = ee
        f["observations/gripper"] = gripper
    return {"episode_index": index, "file": name, "success": success}


def make_run(tmp_path, episodes):
    run = tmp_path / "run"
    (run / "episodes").mkdir(parents=True)
    lines = [write_episode(run, i, *e) for i, e in enumerate(episodes)]
    (run / "index.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    return run


def tool(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, timeout=60)


def test_counts_by_offset(tmp_path):
    run = make_run(tmp_path, [
        # |y| < 4 cm: two picked (one nudged 8 mm), one missed with the hand high and the cube nudged
        (0.01, True, 20, 0.0, 0.046),
        (-0.02, True, 22, 0.008, 0.048),
        (0.03, False, 21, -0.007, 0.056),
        # 16–20 cm: one missed that never closed, one picked with a 4 mm nudge (under 5 mm)
        (-0.17, False, None, 0.0, 0.0),
        (0.18, True, 25, 0.004, 0.047),
    ])
    result = tool(run)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["picked"], out["episodes"]) == (3, 5)
    centre, far = out["bins"][0], out["bins"][4]
    assert centre["y_m"] == [0.0, 0.04] and far["y_m"] == [0.16, 0.2]
    assert (centre["episodes"], centre["picked"], centre["moved_by_close"]) == (3, 2, 2)
    assert abs(centre["z_close_picked"] - 0.047) < 1e-4 and abs(centre["z_close_missed"] - 0.056) < 1e-4
    assert (far["episodes"], far["picked"], far["moved_by_close"]) == (2, 1, 0)
    assert far["z_close_missed"] is None
    assert all(b["episodes"] == 0 for b in out["bins"][1:4])
    assert "skipped" not in out


def test_a_broken_episode_is_named_and_the_rest_counted(tmp_path):
    run = make_run(tmp_path, [(0.01, True, 20, 0.0, 0.046), (0.05, True, 20, 0.0, 0.046)])
    (run / "episodes/episode_000001.hdf5").write_bytes(b"not hdf5 at all")
    with open(run / "index.jsonl", "a") as f:
        f.write("{ truncated\n")
    result = tool(run)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["episodes"] == 1
    assert len(out["skipped"]) == 2
    assert out["skipped"][0].startswith("line 2: ") and out["skipped"][1].startswith("line 3: JSONDecodeError")


def test_not_a_run_directory(tmp_path):
    result = tool(tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"grasp_by_offset: {tmp_path}: no index.jsonl (not a pld run directory)"


def test_no_arguments():
    result = tool()
    assert result.returncode == 2 and "usage" in result.stderr
