"""Tools/export/lerobot_export.py: run directories written to the EpisodeFormat.md contract
(export_fixtures) exported as LeRobot v2.1 and v3.0, then checked with lerobot-doctor, pyarrow
and PyAV against the HDF5 source; plus the filters and every kind of bad input."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import h5py
import numpy as np
import pyarrow.parquet as pq
import pytest

TESTS = Path(__file__).resolve().parent
EXPORT_DIR = TESTS.parent / "export"
EXPORT = EXPORT_DIR / "lerobot_export.py"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(EXPORT_DIR))

import export_fixtures as fx  # noqa: E402
from lerobot_stats import ImageStats, sample_indices  # noqa: E402

FORMATS = ("lerobot-v2.1", "lerobot-v3.0")
CAM_KEYS = [f"observation.images.{c}" for c in fx.CAMERAS]
FPS = 20
# What lerobot-doctor may still say about these datasets: their episodes are 30-60 frames,
# shorter than ACT's chunk of 50/100 frames. Anything else it warns about is a test failure.
ALLOWED_WARNINGS = ("shorter than chunk_size", "too short for delta_timestamps")


# --- running the exporter and reading what it wrote -----------------------------------------


def run_export(run, fmt, out, *extra, env=None):
    return subprocess.run([sys.executable, str(EXPORT), "--run", str(run), "--format", fmt, "--out", str(out), *extra],
                          capture_output=True, text=True, env=env, timeout=120)


def export_ok(run, fmt, out, *extra):
    proc = run_export(run, fmt, out, *extra)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    summary = json.loads(lines[0])
    assert set(summary) == {"format", "episodes", "frames", "seconds", "frames_per_second", "out"}
    assert summary["format"] == fmt and Path(summary["out"]) == Path(out).absolute()
    assert "Traceback" not in proc.stderr
    return summary, proc.stderr


def episodes_meta(out: Path, fmt: str):
    if fmt == "lerobot-v2.1":
        return [json.loads(l) for l in (out / "meta/episodes.jsonl").read_text().splitlines()]
    return pq.read_table(out / "meta/episodes/chunk-000/file-000.parquet").to_pylist()


def _column(table, key):
    col = table.column(key).combine_chunks()
    if hasattr(col.type, "list_size"):
        return col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), col.type.list_size)
    return col.to_numpy(zero_copy_only=False)


def episode_frames(out: Path, fmt: str):
    """episode_index -> {column: array} read back from the data parquet files."""
    info = json.loads((out / "meta/info.json").read_text())
    result = {}
    for ep in episodes_meta(out, fmt):
        i = ep["episode_index"]
        if fmt == "lerobot-v2.1":
            table = pq.read_table(out / info["data_path"].format(episode_chunk=i // 1000, episode_index=i))
        else:
            whole = pq.read_table(out / info["data_path"].format(chunk_index=ep["data/chunk_index"], file_index=ep["data/file_index"]))
            first = _column(whole, "index")[0]
            table = whole.slice(ep["dataset_from_index"] - first, ep["length"])
        result[i] = {k: _column(table, k) for k in table.column_names}
    return result


def episode_stats(out: Path, fmt: str):
    """episode_index -> {feature: {stat: array}} as the dataset stores them."""
    if fmt == "lerobot-v2.1":
        rows = [json.loads(l) for l in (out / "meta/episodes_stats.jsonl").read_text().splitlines()]
        return {r["episode_index"]: {k: {s: np.array(v) for s, v in st.items()} for k, st in r["stats"].items()} for r in rows}
    out_stats = {}
    for ep in episodes_meta(out, fmt):
        per = {}
        for col, v in ep.items():
            if col.startswith("stats/"):
                _, key, stat = col.split("/")
                per.setdefault(key, {})[stat] = np.array(v)
        out_stats[ep["episode_index"]] = per
    return out_stats


def decode(path: Path):
    with av.open(str(path)) as c:
        return [(f.time, f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def episode_video(out: Path, fmt: str, ep: dict, key: str):
    """The decoded frames of one episode's video, with their times inside the episode."""
    info = json.loads((out / "meta/info.json").read_text())
    i = ep["episode_index"]
    if fmt == "lerobot-v2.1":
        return decode(out / info["video_path"].format(episode_chunk=i // 1000, video_key=key, episode_index=i))
    path = out / info["video_path"].format(video_key=key, chunk_index=ep[f"videos/{key}/chunk_index"],
                                           file_index=ep[f"videos/{key}/file_index"])
    lo, hi = ep[f"videos/{key}/from_timestamp"], ep[f"videos/{key}/to_timestamp"]
    return [(t - lo, f) for t, f in decode(path) if lo - 1e-4 <= t < hi - 1e-4]


def source_frames(spec, source_index: int, cam: int, start: int = 0):
    T = spec.episodes[source_index].length
    if spec.camera_mode == "raw":
        return fx.read_h5(spec.files[source_index], f"/observations/images/{fx.CAMERAS[cam]}")[start:]
    return np.stack([fx.source_frame(cam, source_index, t, *spec.size) for t in range(start, T)])


def doctor(out: Path, allowed=ALLOWED_WARNINGS):
    proc = subprocess.run([sys.executable, "-m", "lerobot_doctor.cli", "check", str(out), "--ci"],
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    unexpected = [f"{c['name']}: {m['severity']}: {m['message']}" for c in report["checks"] for m in c["messages"]
                  if m["severity"] != "PASS" and not any(a in m["message"] for a in allowed)]
    return proc.returncode, report, unexpected


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_run(tmp_path_factory):
    return fx.make_run(tmp_path_factory.mktemp("raw") / "run", "raw")


@pytest.fixture(scope="module")
def video_run(tmp_path_factory):
    return fx.make_run(tmp_path_factory.mktemp("video") / "run", "video")


@pytest.fixture(scope="module")
def exported(raw_run, tmp_path_factory):
    """fmt -> (OUT, summary, stderr) of a full export of the raw-frame run."""
    base = tmp_path_factory.mktemp("out")
    return {fmt: (base / fmt, *export_ok(raw_run.root, fmt, base / fmt)) for fmt in FORMATS}


@pytest.fixture(scope="module")
def exported_video(video_run, tmp_path_factory):
    base = tmp_path_factory.mktemp("out_video")
    return {fmt: (base / fmt, *export_ok(video_run.root, fmt, base / fmt)) for fmt in FORMATS}


@pytest.fixture(scope="module")
def hybrid(raw_run, video_run, tmp_path_factory):
    """(mode, fmt) -> OUT of a --hybrid-only export."""
    base = tmp_path_factory.mktemp("hybrid")
    runs = {"raw": raw_run, "video": video_run}
    combos = [("raw", "lerobot-v2.1"), ("raw", "lerobot-v3.0"), ("video", "lerobot-v2.1")]
    outs = {}
    for m, f in combos:
        outs[(m, f)] = base / f"{m}-{f}"
        export_ok(runs[m].root, f, outs[(m, f)], "--hybrid-only")
    return outs


# --- lerobot-doctor -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_lerobot_doctor_passes_raw_frame_run(exported, fmt):
    rc, report, unexpected = doctor(exported[fmt][0])
    assert rc == 0 and report["overall_severity"] != "FAIL", unexpected
    assert len(report["checks"]) == 11  # every check ran
    assert report["codebase_version"] == fmt.split("-")[1]
    assert not unexpected, unexpected


@pytest.mark.parametrize("fmt", FORMATS)
def test_lerobot_doctor_passes_video_run(exported_video, fmt):
    rc, report, unexpected = doctor(exported_video[fmt][0])
    assert rc == 0 and not unexpected, unexpected


def test_lerobot_doctor_passes_hybrid_only(hybrid):
    # residual_active is true on every frame of a hybrid-only export, by definition
    allowed = ALLOWED_WARNINGS + ("residual_active: zero variance", "residual_active: ALL 1 dimensions constant")
    for key in (("raw", "lerobot-v3.0"), ("video", "lerobot-v2.1")):
        rc, report, unexpected = doctor(hybrid[key], allowed)
        assert rc == 0 and not unexpected, (key, unexpected)


# --- contents -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_progress_and_info(exported, raw_run, fmt):
    out, summary, stderr = exported[fmt]
    lengths = [e.length for e in raw_run.episodes]
    assert summary["episodes"] == 4 and summary["frames"] == sum(lengths)
    assert summary["frames_per_second"] > 0
    progress = [l for l in stderr.splitlines() if l.startswith("export: episode")]
    assert progress == [f"export: episode {i + 1}/4 (episode_{i:06d}, {n} frames)" for i, n in enumerate(lengths)]
    info = json.loads((out / "meta/info.json").read_text())
    assert info["fps"] == FPS and isinstance(info["fps"], int)
    assert info["robot_type"] == fx.ROBOT_TYPE
    assert info["total_episodes"] == 4 and info["total_frames"] == sum(lengths) and info["total_tasks"] == 2
    assert info["splits"] == {"train": "0:4"}
    feats = info["features"]
    state = feats["observation.state"]
    assert state["dtype"] == "float32" and state["names"] == [
        "left.joint_0", "left.joint_1", "left.joint_2", "left.gripper",
        "right.joint_0", "right.joint_1", "right.joint_2", "right.gripper"]
    for key, dtype, shape in (("timestamp", "float32", [1]), ("frame_index", "int64", [1]), ("index", "int64", [1]),
                              ("episode_index", "int64", [1]), ("task_index", "int64", [1]),
                              ("action", "float32", [14]), ("base_action", "float32", [14]),
                              ("residual_action", "float32", [14]), ("observation.velocity", "float32", [6]),
                              ("observation.ee_pose", "float32", [14]), ("observation.features.force", "float32", [3]),
                              ("observation.features.tactile", "float32", [2]), ("residual_active", "bool", [1]),
                              ("policy_stall", "bool", [1]), ("next.reward", "float32", [1]),
                              ("next.done", "bool", [1]), ("stage", "int64", [1])):
        assert (feats[key]["dtype"], feats[key]["shape"]) == (dtype, shape), key
    for key in CAM_KEYS:
        f = feats[key]
        assert f["dtype"] == "video" and f["shape"] == [48, 64, 3] and f["names"] == ["height", "width", "channels"]
        vi = f["info"]
        assert (vi["video.height"], vi["video.width"], vi["video.channels"], vi["video.codec"], vi["video.pix_fmt"],
                vi["video.fps"], vi["video.is_depth_map"], vi["has_audio"]) == (48, 64, 3, "h264", "yuv420p", 20.0, False, False)
        if fmt == "lerobot-v3.0":
            assert vi["video.g"] == 2 and "video.crf" in vi and "video.preset" in vi
    if fmt == "lerobot-v2.1":
        assert info["total_videos"] == 8 and info["total_chunks"] == 1
        tasks = [json.loads(l) for l in (out / "meta/tasks.jsonl").read_text().splitlines()]
    else:
        assert "total_videos" not in info and info["data_files_size_in_mb"] == 100 and info["video_files_size_in_mb"] == 200
        table = pq.read_table(out / "meta/tasks.parquet")
        pandas_meta = json.loads(table.schema.metadata[b"pandas"])
        assert pandas_meta["index_columns"] == ["task"]
        tasks = table.to_pylist()
    assert tasks == [{"task_index": 0, "task": "pick up the red cube"}, {"task_index": 1, "task": "stack the blocks"}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_parquet_values_equal_hdf5(exported, raw_run, fmt):
    out = exported[fmt][0]
    frames = episode_frames(out, fmt)
    meta = episodes_meta(out, fmt)
    assert sorted(frames) == [0, 1, 2, 3]
    for ep in meta:
        i = ep["episode_index"]
        path = raw_run.files[i]
        cols = frames[i]
        h = lambda key: fx.read_h5(path, key)  # noqa: E731
        assert np.array_equal(cols["observation.state"], fx.expected_state(path).astype(np.float32))
        assert cols["observation.state"].dtype == np.float32
        for key, src in (("observation.velocity", "/observations/qvel"), ("observation.ee_pose", "/observations/ee_pose"),
                         ("observation.features.force", "/observations/features/force"),
                         ("observation.features.tactile", "/observations/features/tactile"),
                         ("action", "/action"), ("base_action", "/base_action"), ("residual_action", "/residual_action")):
            assert np.array_equal(cols[key], h(src).astype(np.float32)), key
        assert np.array_equal(cols["residual_active"], h("/residual_active"))
        assert np.array_equal(cols["policy_stall"], h("/policy_stall"))
        assert np.array_equal(cols["next.done"], h("/done")) and cols["next.done"][-1] and cols["next.done"].sum() == 1
        assert np.array_equal(cols["next.reward"], h("/reward").astype(np.float32))
        assert np.array_equal(cols["stage"], h("/stage").astype(np.int64))
        task = raw_run.episodes[i].prompt
        assert ep["tasks"] == [task]
        assert set(cols["task_index"]) == {0 if task == "pick up the red cube" else 1}
        assert ep["source_episode_index"] == i and ep["success"] == raw_run.episodes[i].success
        assert ep["handoff_step"] == raw_run.episodes[i].handoff


@pytest.mark.parametrize("fmt", FORMATS)
def test_timestamps_indices_and_boundaries(exported, raw_run, fmt):
    out = exported[fmt][0]
    frames = episode_frames(out, fmt)
    start = 0
    for ep in episodes_meta(out, fmt):
        i, n = ep["episode_index"], ep["length"]
        cols = frames[i]
        assert n == raw_run.episodes[i].length == len(cols["frame_index"])
        assert np.array_equal(cols["frame_index"], np.arange(n))
        assert cols["timestamp"].dtype == np.float32
        assert np.array_equal(cols["timestamp"], (np.arange(n) / FPS).astype(np.float32))
        assert np.array_equal(cols["index"], np.arange(start, start + n))
        assert set(cols["episode_index"]) == {i}
        if fmt == "lerobot-v3.0":
            assert (ep["dataset_from_index"], ep["dataset_to_index"]) == (start, start + n)
            assert (ep["data/chunk_index"], ep["data/file_index"]) == (0, 0)
            for key in CAM_KEYS:
                assert ep[f"videos/{key}/from_timestamp"] == pytest.approx(start / FPS)
                assert ep[f"videos/{key}/to_timestamp"] == pytest.approx((start + n) / FPS)
        start += n


def _numpy_stats(x, quantiles):
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    s = {"min": x.min(0), "max": x.max(0), "mean": x.mean(0), "std": x.std(0), "count": np.array([len(x)])}
    if quantiles:
        s.update({f"q{int(q * 100):02d}": np.quantile(x, q, axis=0) for q in (0.01, 0.10, 0.50, 0.90, 0.99)})
    return s


def _image_numpy_stats(frames, quantiles):
    x = frames.reshape(-1, 3).astype(np.float64) / 255.0
    s = _numpy_stats(x, quantiles)
    s = {k: (v if k == "count" else v.reshape(3, 1, 1)) for k, v in s.items()}
    s["count"] = np.array([len(frames)])
    return s


def _assert_stats(got, want, what):
    assert set(got) == set(want), (what, set(got) ^ set(want))
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-9, atol=1e-12, err_msg=f"{what} {k}")
        assert np.shape(got[k]) == np.shape(want[k]), (what, k)


@pytest.mark.parametrize("fmt", FORMATS)
def test_stats_equal_numpy(exported, raw_run, fmt):
    out = exported[fmt][0]
    q = fmt == "lerobot-v3.0"
    frames, stats = episode_frames(out, fmt), episode_stats(out, fmt)
    for i, cols in frames.items():
        assert set(stats[i]) == set(cols) | set(CAM_KEYS)
        for key, values in cols.items():
            _assert_stats(stats[i][key], _numpy_stats(values, q), f"episode {i} {key}")
        n = len(cols["index"])
        for c, key in enumerate(CAM_KEYS):
            sampled = source_frames(raw_run, i, c)[sample_indices(n)]
            _assert_stats(stats[i][key], _image_numpy_stats(sampled, q), f"episode {i} {key}")
    # dataset statistics: exact over all frames (quantiles: count-weighted mean of the episodes')
    glob = json.loads((out / "meta/stats.json").read_text())
    for key in frames[0]:
        allv = np.concatenate([frames[i][key] for i in sorted(frames)])
        want = _numpy_stats(allv, False)
        for s in ("min", "max", "mean", "std", "count"):
            np.testing.assert_allclose(glob[key][s], want[s], rtol=1e-9, atol=1e-12, err_msg=f"{key} {s}")
        if q:
            counts = np.array([len(frames[i][key]) for i in sorted(frames)])
            for s in ("q01", "q10", "q50", "q90", "q99"):
                est = sum(c * stats[i][key][s] for c, i in zip(counts, sorted(frames))) / counts.sum()
                np.testing.assert_allclose(glob[key][s], est, rtol=1e-9, atol=1e-12)
    for key in CAM_KEYS:
        assert np.shape(glob[key]["mean"]) == (3, 1, 1)
        assert glob[key]["count"] == [sum(len(sample_indices(len(frames[i]["index"]))) for i in frames)]


def test_image_stats_histogram_matches_numpy():
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, (7, 5, 9, 3), dtype=np.uint8)
    acc = ImageStats()
    for f in frames:
        acc.add(f)
    _assert_stats(acc.result(True), _image_numpy_stats(frames, True), "image stats")


def _assert_video(out, fmt, ep, key, source, mae_limit):
    decoded = episode_video(out, fmt, ep, key)
    assert len(decoded) == ep["length"] == len(source)
    times = np.array([t for t, _ in decoded])
    np.testing.assert_allclose(times, np.arange(ep["length"]) / FPS, atol=1e-4)
    got = np.stack([f for _, f in decoded]).astype(np.float64)
    src = source.astype(np.float64)
    mae = np.abs(got - src).mean()
    assert mae < mae_limit, (ep["episode_index"], key, mae)  # yuv420p alone costs ~2.4 on these frames
    # and in order: each decoded frame is nearer its own source frame than the neighbours
    for t in range(len(got)):
        own = np.abs(got[t] - src[t]).mean()
        for u in (t - 1, t + 1):
            if 0 <= u < len(src):
                assert own < np.abs(got[t] - src[u]).mean(), (ep["episode_index"], key, t, u)


@pytest.mark.parametrize("fmt", FORMATS)
def test_videos_have_every_frame_close_to_the_source(exported, raw_run, fmt):
    out = exported[fmt][0]
    for ep in episodes_meta(out, fmt):
        for c, key in enumerate(CAM_KEYS):
            _assert_video(out, fmt, ep, key, source_frames(raw_run, ep["episode_index"], c), mae_limit=4.0)
    if fmt == "lerobot-v3.0":
        for key in CAM_KEYS:
            files = list((out / "videos" / key).rglob("*.mp4"))
            assert len(files) == 1
            with av.open(str(files[0])) as cont:
                s = cont.streams.video[0]
                assert s.frames == 156 and s.average_rate == FPS and s.codec_context.name == "h264"


def test_video_mode_v21_copies_the_recorded_mp4s(exported_video, video_run):
    out = exported_video["lerobot-v2.1"][0]
    for i in range(4):
        for cam, key in zip(fx.CAMERAS, CAM_KEYS):
            exported = out / f"videos/chunk-000/{key}/episode_{i:06d}.mp4"
            assert exported.read_bytes() == (video_run.root / f"videos/{cam}/episode_{i:06d}.mp4").read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_video_mode_videos_and_stats(exported_video, video_run, fmt):
    out = exported_video[fmt][0]
    stats = episode_stats(out, fmt)
    for ep in episodes_meta(out, fmt):
        i = ep["episode_index"]
        for c, (cam, key) in enumerate(zip(fx.CAMERAS, CAM_KEYS)):
            _assert_video(out, fmt, ep, key, source_frames(video_run, i, c), mae_limit=5.0)
            # image stats come from the recorded video's frames, as decoded
            recorded = np.stack([f for _, f in decode(video_run.root / f"videos/{cam}/episode_{i:06d}.mp4")])
            want = _image_numpy_stats(recorded[sample_indices(len(recorded))], fmt == "lerobot-v3.0")
            _assert_stats(stats[i][key], want, f"episode {i} {key}")


# --- filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_successful_only(raw_run, tmp_path, fmt):
    out = tmp_path / "ds"
    summary, stderr = export_ok(raw_run.root, fmt, out, "--successful-only")
    assert summary["episodes"] == 3
    assert "export: skip episode_000001 (not successful)" in stderr
    meta = episodes_meta(out, fmt)
    assert [m["episode_index"] for m in meta] == [0, 1, 2]
    assert [m["source_episode_index"] for m in meta] == [0, 2, 3]
    assert all(m["success"] for m in meta)
    frames = episode_frames(out, fmt)
    assert np.array_equal(np.concatenate([frames[i]["index"] for i in range(3)]), np.arange(40 + 50 + 36))
    assert np.array_equal(frames[1]["action"], fx.read_h5(raw_run.files[2], "/action").astype(np.float32))


def rc_ok(doctor_result):
    rc, _, unexpected = doctor_result
    assert not unexpected, unexpected
    return rc == 0


@pytest.mark.parametrize("mode,fmt", [("raw", "lerobot-v2.1"), ("raw", "lerobot-v3.0"), ("video", "lerobot-v2.1")])
def test_hybrid_only_trims_to_the_residual_frames(hybrid, raw_run, video_run, mode, fmt):
    out = hybrid[(mode, fmt)]
    spec = raw_run if mode == "raw" else video_run
    with_handoff = [i for i, e in enumerate(spec.episodes) if e.handoff is not None and e.handoff < e.length]
    meta = episodes_meta(out, fmt)
    frames = episode_frames(out, fmt)
    assert [m["source_episode_index"] for m in meta] == with_handoff == [0, 1, 3]
    total = 0
    for m in meta:
        i, src = m["episode_index"], m["source_episode_index"]
        e = spec.episodes[src]
        cols = frames[i]
        assert m["handoff_step"] == e.handoff  # the step in the recorded episode
        assert m["length"] == e.length - e.handoff == len(cols["index"])
        assert cols["residual_active"].all()
        assert np.array_equal(cols["frame_index"], np.arange(m["length"]))
        assert np.array_equal(cols["timestamp"], (np.arange(m["length"]) / FPS).astype(np.float32))
        assert np.array_equal(cols["index"], np.arange(total, total + m["length"]))
        assert np.array_equal(cols["action"], fx.read_h5(spec.files[src], "/action")[e.handoff:].astype(np.float32))
        assert np.array_equal(cols["observation.state"], fx.expected_state(spec.files[src])[e.handoff:].astype(np.float32))
        for c, key in enumerate(CAM_KEYS):
            _assert_video(out, fmt, m, key, source_frames(spec, src, c, e.handoff), mae_limit=5.0)
        total += m["length"]


def test_warns_when_the_recorded_rate_is_not_the_declared_fps(run_copy, tmp_path):
    with h5py.File(run_copy.files[1], "a") as f:
        ts = f["/timestamp"]
        ts[...] = np.arange(len(ts)) / 15.0  # the loop only managed 15 Hz
    summary, stderr = export_ok(run_copy.root, "lerobot-v2.1", tmp_path / "ds", "--successful-only")
    assert "warning" not in stderr  # episode 1 failed: not exported, not checked
    summary, stderr = export_ok(run_copy.root, "lerobot-v2.1", tmp_path / "ds2")
    warnings = [l for l in stderr.splitlines() if l.startswith("export: warning:")]
    assert warnings == ["export: warning: episode_000001 ticked at 15 Hz with 0 gaps over 1.5/fps in /timestamp; "
                        "its LeRobot timestamps assume 20 Hz"]


# --- v3.0 file roll-over, AV1 ---------------------------------------------------------------------


def test_v30_rolls_over_data_and_video_files(raw_run, tmp_path):
    out = tmp_path / "ds"
    export_ok(raw_run.root, "lerobot-v3.0", out, "--data-file-size-mb", "0.001", "--video-file-size-mb", "0.001")
    meta = episodes_meta(out, "lerobot-v3.0")
    assert [m["data/file_index"] for m in meta] == [0, 1, 2, 3]
    for key in CAM_KEYS:
        assert [m[f"videos/{key}/file_index"] for m in meta] == [0, 1, 2, 3]
        assert all(m[f"videos/{key}/from_timestamp"] == 0 for m in meta)
    assert len(list((out / "data").rglob("*.parquet"))) == 4
    frames = episode_frames(out, "lerobot-v3.0")
    assert np.array_equal(np.concatenate([frames[i]["index"] for i in range(4)]), np.arange(156))
    for m in meta:
        for c, key in enumerate(CAM_KEYS):
            _assert_video(out, "lerobot-v3.0", m, key, source_frames(raw_run, m["episode_index"], c), mae_limit=4.0)
    assert rc_ok(doctor(out))


def test_libsvtav1(tmp_path):
    spec = fx.make_run(tmp_path / "run", "raw", episodes=[fx.EpisodeSpec(24, True, 4), fx.EpisodeSpec(20, True, 5)],
                       size=(64, 64))
    out = tmp_path / "ds"
    # crf 20: at LeRobot's crf 30 SVT-AV1 codes a frame of these 64x64 clips as a copy of the last
    export_ok(spec.root, "lerobot-v3.0", out, "--vcodec", "libsvtav1", "--crf", "20")
    vi = json.loads((out / "meta/info.json").read_text())["features"][CAM_KEYS[0]]["info"]
    assert (vi["video.codec"], vi["video.crf"], vi["video.preset"], vi["video.g"]) == ("av1", 20, 12, 2)
    for m in episodes_meta(out, "lerobot-v3.0"):
        for c, key in enumerate(CAM_KEYS):
            _assert_video(out, "lerobot-v3.0", m, key, source_frames(spec, m["episode_index"], c), mae_limit=4.0)


def test_reuses_a_recorded_mp4_only_when_whole_and_in_the_requested_codec(video_run):
    from episode_reader import EpisodeFile, read_index
    from export_pipeline import reusable_video
    from lerobot_video import VideoSettings
    entry = read_index(video_run.root)[0]
    with EpisodeFile(video_run.root, entry) as ep:
        assert reusable_video(ep, "wrist", 0, FPS, VideoSettings("libx264")) == video_run.root / "videos/wrist/episode_000000.mp4"
        assert reusable_video(ep, "wrist", 3, FPS, VideoSettings("libx264")) is None  # trimmed
        assert reusable_video(ep, "wrist", 0, FPS, VideoSettings("libsvtav1")) is None  # other codec
        assert reusable_video(ep, "wrist", 0, 25, VideoSettings("libx264")) is None  # other rate


@pytest.mark.parametrize("fmt", FORMATS)
def test_run_without_cameras(tmp_path, fmt):
    spec = fx.make_run(tmp_path / "run", "raw", episodes=fx.DEFAULT_EPISODES[:2], cameras=())
    out = tmp_path / "ds"
    summary, _ = export_ok(spec.root, fmt, out)
    info = json.loads((out / "meta/info.json").read_text())
    assert info["video_path"] is None and not any(f["dtype"] == "video" for f in info["features"].values())
    assert not (out / "videos").exists() and summary["frames"] == 70
    assert rc_ok(doctor(out, ALLOWED_WARNINGS + ("no image/video features",)))


# --- output directory ----------------------------------------------------------------------------


def test_overwrite_replaces_a_dataset_only(tmp_path):
    run = fx.make_run(tmp_path / "run", "raw", episodes=[fx.EpisodeSpec(30, True, 3)], size=(16, 16)).root
    out = tmp_path / "ds"
    export_ok(run, "lerobot-v2.1", out)
    proc = run_export(run, "lerobot-v2.1", out)
    assert proc.returncode == 1 and proc.stderr.strip().startswith(f"export: error: {out}: exists and is not empty")
    export_ok(run, "lerobot-v3.0", out, "--overwrite")
    assert json.loads((out / "meta/info.json").read_text())["codebase_version"] == "v3.0"
    assert not (out / "meta/episodes.jsonl").exists()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    proc = run_export(run, "lerobot-v2.1", other, "--overwrite")
    assert proc.returncode == 1 and "not a LeRobot dataset" in proc.stderr
    assert (other / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "notes", "run"]  # no .partial or .old left


# --- bad input ------------------------------------------------------------------------------------


def _truncate(spec):
    p = spec.files[2]
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])
    return str(p)


def _corrupt_header(spec):
    p = spec.files[3]
    data = bytearray(p.read_bytes())
    data[:64] = b"\0" * 64
    p.write_bytes(bytes(data))
    return str(p)


def _corrupt_chunks(spec):
    """Garbage in the middle of the compressed image chunks: opens fine, fails while reading."""
    p = spec.files[1]
    with h5py.File(p, "r") as f:
        offset = f["/observations/images/wrist"].id.get_chunk_info(5).byte_offset
    data = bytearray(p.read_bytes())
    data[offset:offset + 200] = bytes(range(200))
    p.write_bytes(bytes(data))
    return str(p)


def _bad_json_line(spec):
    lines = (spec.root / "index.jsonl").read_text().splitlines()
    lines[2] = lines[2][:40]
    (spec.root / "index.jsonl").write_text("\n".join(lines) + "\n")
    return "index.jsonl line 3: not valid JSON"


def _index_field_missing(spec):
    lines = (spec.root / "index.jsonl").read_text().splitlines()
    entry = json.loads(lines[1])
    del entry["length"]
    lines[1] = json.dumps(entry)
    (spec.root / "index.jsonl").write_text("\n".join(lines) + "\n")
    return "index.jsonl line 2: missing field 'length'"


def _missing_file(spec):
    spec.files[1].unlink()
    return f"{spec.files[1]}: missing"


def _missing_dataset(spec):
    with h5py.File(spec.files[2], "a") as f:
        del f["/observations/qvel"]
    return "missing dataset /observations/qvel"


def _missing_attribute(spec):
    with h5py.File(spec.files[0], "a") as f:
        del f.attrs["robot_type"]
    return "missing attribute 'robot_type'"


def _wrong_shape(spec):
    with h5py.File(spec.files[3], "a") as f:
        del f["/base_action"]
        f.create_dataset("/base_action", data=np.zeros((36, 5)))
    return "dataset /base_action has shape (36, 5), expected (36, 14)"


def _length_mismatch(spec):
    with h5py.File(spec.files[0], "a") as f:
        f.attrs["length"] = np.int64(41)
    return "attribute 'length' is 41 but line 1 of index.jsonl says 40"


def _non_integer_fps(spec):
    lines = (spec.root / "index.jsonl").read_text().splitlines()
    entries = [json.loads(l) for l in lines]
    for e, p in zip(entries, spec.files):
        e["fps"] = 20.5
        with h5py.File(p, "a") as f:
            f.attrs["fps"] = 20.5
    (spec.root / "index.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    return "fps 20.5 is not an integer"


def _duplicate_index_line(spec):
    lines = (spec.root / "index.jsonl").read_text().splitlines()
    (spec.root / "index.jsonl").write_text("\n".join(lines + [lines[1]]) + "\n")
    return "index.jsonl line 5: episode_index 1 is already listed on line 2"


def _missing_index(spec):
    (spec.root / "index.jsonl").unlink()
    return "index.jsonl: missing"


GARBAGE = {
    "truncated_hdf5": (_truncate, "not a readable HDF5 file"),
    "corrupt_hdf5_header": (_corrupt_header, "not a readable HDF5 file"),
    "corrupt_hdf5_chunk": (_corrupt_chunks, "cannot read dataset /observations/images/wrist"),
    "index_line_not_json": (_bad_json_line, None),
    "index_field_missing": (_index_field_missing, None),
    "index_points_to_missing_file": (_missing_file, None),
    "missing_dataset": (_missing_dataset, None),
    "missing_attribute": (_missing_attribute, None),
    "wrong_shape": (_wrong_shape, None),
    "length_mismatch": (_length_mismatch, None),
    "non_integer_fps": (_non_integer_fps, None),
    "missing_index": (_missing_index, None),
    "duplicate_index_line": (_duplicate_index_line, None),
}


def _assert_one_error(proc, *needles):
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    errors = [l for l in proc.stderr.splitlines() if l.startswith("export: error:")]
    others = [l for l in proc.stderr.splitlines() if not l.startswith(("export: episode", "export: skip", "export: warning"))]
    assert len(errors) == 1 and others == errors, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in errors[0], (n, errors[0])
    return errors[0]


@pytest.fixture
def run_copy(raw_run, tmp_path):
    dst = tmp_path / "run"
    shutil.copytree(raw_run.root, dst)
    return fx.RunSpec(dst, raw_run.episodes, raw_run.camera_mode, raw_run.size, raw_run.fps,
                      [dst / p.relative_to(raw_run.root) for p in raw_run.files])


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_bad_input_fails_in_one_line(run_copy, tmp_path, case):
    damage, reason = GARBAGE[case]
    culprit = damage(run_copy)
    out = tmp_path / "ds"
    proc = run_export(run_copy.root, "lerobot-v3.0", out)
    line = _assert_one_error(proc, culprit, *([reason] if reason else []))
    assert not out.exists() and not (tmp_path / "ds.partial").exists(), line


def test_missing_run_directory(tmp_path):
    proc = run_export(tmp_path / "nope", "lerobot-v2.1", tmp_path / "ds")
    _assert_one_error(proc, f"{tmp_path / 'nope'}: run directory not found")
    assert not (tmp_path / "ds").exists()


def test_out_exists_and_is_kept(raw_run, tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "something").write_text("x")
    _assert_one_error(run_export(raw_run.root, "lerobot-v2.1", out), f"{out}: exists and is not empty", "--overwrite")
    assert [p.name for p in out.iterdir()] == ["something"]


def test_no_episodes_left(tmp_path):
    spec = fx.make_run(tmp_path / "run", "raw", episodes=[fx.EpisodeSpec(30, True, None)], size=(16, 16))
    _assert_one_error(run_export(spec.root, "lerobot-v2.1", tmp_path / "ds", "--hybrid-only"),
                      "no episodes left to export", "--hybrid-only")


def test_ffmpeg_missing(raw_run, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = dict(os.environ, PATH=str(bin_dir))
    proc = run_export(raw_run.root, "lerobot-v2.1", tmp_path / "ds", env=env)
    _assert_one_error(proc, "ffmpeg not found on PATH")
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_ffmpeg_failing(raw_run, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ffmpeg"
    fake.write_text("#!/bin/sh\necho 'Unknown encoder libx264' >&2\nexit 1\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    proc = run_export(raw_run.root, "lerobot-v2.1", tmp_path / "ds", env=env)
    _assert_one_error(proc, "ffmpeg (libx264) failed with exit status 1", "Unknown encoder libx264",
                      str(raw_run.files[0]))
    assert not (tmp_path / "ds").exists()


def test_video_mode_missing_mp4(video_run, tmp_path):
    dst = tmp_path / "run"
    shutil.copytree(video_run.root, dst)
    (dst / "videos/wrist/episode_000002.mp4").unlink()
    proc = run_export(dst, "lerobot-v2.1", tmp_path / "ds")
    _assert_one_error(proc, f"{dst / 'videos/wrist/episode_000002.mp4'}: missing", "video_path")
