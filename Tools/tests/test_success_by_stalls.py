"""Tools/success_by_stalls run as a real subprocess on HDF5 episodes written here with h5py, laid
out as a pld run directory (index.jsonl + episodes/), with known stalled ticks and outcomes."""

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

TOOL = Path(__file__).resolve().parents[1] / "success_by_stalls"
STEPS = 172


def make_run(root, name, episodes):
    """episodes: (success, stalled steps) per episode, in order."""
    run = root / name
    (run / "episodes").mkdir(parents=True)
    lines = []
    for i, (success, stalled) in enumerate(episodes):
        stall = np.zeros(STEPS, bool)
        stall[list(stalled)] = True
        file = f"episodes/episode_{i:06d}.hdf5"
        with h5py.File(run / file, "w") as f:
            f["policy_stall"] = stall
        lines.append({"episode_index": i, "file": file, "success": success})
    (run / "index.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    return run


def tool(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, timeout=60)


def groups(out):
    return [(g["stalled_ticks"], g["episodes"], g["picked"]) for g in out["groups"]]


FIRST_CHUNK = [0, 1, 2]  # every episode waits for its first chunk


def test_splits_by_stalled_ticks_in_the_descent(tmp_path):
    run = make_run(tmp_path, "run", [
        (True, FIRST_CHUNK),                        # nothing in the window
        (True, FIRST_CHUNK + [99, 160, 161]),       # just outside [100, 160): still 0
        (False, FIRST_CHUNK + [100]),               # first step of the window: 1
        (True, FIRST_CHUNK + [157, 158, 159]),      # last steps of the window: 3
        (False, FIRST_CHUNK + list(range(120, 124))),  # 4
        (False, list(range(100, 160))),             # the whole window
    ])
    result = tool(run)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1  # one run: no pooled line
    out = json.loads(lines[0])
    assert (out["episodes"], out["picked"], out["window_steps"]) == (6, 3, [100, 160])
    assert groups(out) == [([0, 0], 2, 2), ([1, 3], 2, 1), ([4, None], 2, 0)]
    assert [g["rate"] for g in out["groups"]] == [1.0, 0.5, 0.0]
    assert out["stalls_per_episode"] == round((3 + 6 + 4 + 6 + 7 + 60) / 6, 3)
    assert out["stalls_per_success"] == round((3 + 6 + 6) / 3, 3)
    assert "skipped" not in out


def test_window_option(tmp_path):
    run = make_run(tmp_path, "run", [(True, FIRST_CHUNK), (False, [10])])
    out = json.loads(tool("--window", "0:3", run).stdout)
    assert out["window_steps"] == [0, 3]
    assert groups(out) == [([0, 0], 1, 0), ([1, 3], 1, 1), ([4, None], 0, 0)]
    assert out["groups"][2]["rate"] is None


def test_pools_runs_and_correlates_success_with_stalls(tmp_path):
    # success rates 1.0, 0.75, 0.5 with 0, 2, 4 stalled ticks per successful episode
    runs = [
        make_run(tmp_path, "a", [(True, [])] * 4),
        make_run(tmp_path, "b", [(True, [130, 131])] * 3 + [(False, [])]),
        make_run(tmp_path, "c", [(True, [130, 131, 132, 133])] * 2 + [(False, [])] * 2),
    ]
    result = tool(*runs)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(l) for l in result.stdout.splitlines()]
    assert [l["run"] for l in lines] == [str(r) for r in runs] + ["all"]
    pooled = lines[-1]
    assert (pooled["episodes"], pooled["picked"]) == (12, 9)
    assert groups(pooled) == [([0, 0], 7, 4), ([1, 3], 3, 3), ([4, None], 2, 2)]
    assert pooled["correlation_success_stalls_per_success"] == -1.0
    # two runs are too few for a correlation
    two = json.loads(tool(*runs[:2]).stdout.splitlines()[-1])
    assert "correlation_success_stalls_per_success" not in two


def test_broken_episodes_are_named_and_the_rest_counted(tmp_path):
    run = make_run(tmp_path, "run", [(True, []), (True, []), (False, [120])])
    (run / "episodes/episode_000001.hdf5").write_bytes(b"not hdf5 at all")
    with h5py.File(run / "episodes/episode_000002.hdf5", "w") as f:  # rewritten without policy_stall
        f["reward"] = np.zeros(STEPS)
    with open(run / "index.jsonl", "a") as f:
        f.write("{ truncated\n")
    result = tool(run)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["episodes"], out["picked"]) == (1, 1)
    assert [s.split(":")[0] for s in out["skipped"]] == ["line 2", "line 3", "line 4"]
    assert "no policy_stall dataset" in out["skipped"][1]
    assert out["skipped"][2].startswith("line 4: JSONDecodeError")


def test_bad_arguments_are_one_line_errors(tmp_path):
    for args, message in [
        ((), "usage"),
        (("--window", "100-160", tmp_path), "--window '100-160': expected FROM:TO"),
        (("--window", "160:100", tmp_path), "need 0 <= FROM < TO"),
        (("--window",), "usage"),
        ((tmp_path,), f"{tmp_path}: no index.jsonl (not a pld run directory)"),
    ]:
        result = tool(*args)
        assert result.returncode == 2, (args, result)
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, (args, result.stderr)
        assert result.stderr.startswith("success_by_stalls: ")
