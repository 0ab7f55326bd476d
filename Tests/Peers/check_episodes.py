"""Independent reader of a `pld run` run directory (h5py + PyAV), for the Swift tests.

Checks every episode listed in RUN/index.jsonl against the format the runtime promises
(Sources/Recording/EpisodeFormat.md): each file opens with h5py, every dataset exists with the
promised shape and dtype, every attribute exists with the promised type, the attributes agree
with the index line, and videos (if any) decode to exactly `length` frames.

Prints one JSON object on stdout:
  {"episodes": N, "problems": ["episode 3: /action has shape ..."], "summary": [{...}, ...],
   "dump": {...}}
and exits 0 even when there are problems (the Swift test asserts on `problems`), 2 on usage
errors. `--dump EPISODE:DATASET[,DATASET...]` adds those datasets' values (as lists) to "dump".
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

REAL = np.dtype("float64")
BOOL = np.dtype("bool")


def expect(problems, where, condition, message):
    if not condition:
        problems.append(f"{where}: {message}")


def check_dataset(problems, where, f, path, dtype, shape):
    """shape: tuple with None for 'any' (T is filled in by the caller)."""
    if path not in f:
        problems.append(f"{where}: missing dataset {path}")
        return None
    d = f[path]
    if not isinstance(d, h5py.Dataset):
        problems.append(f"{where}: {path} is not a dataset")
        return None
    if dtype is not None and d.dtype != dtype:
        problems.append(f"{where}: {path} has dtype {d.dtype}, expected {dtype}")
    if len(d.shape) != len(shape) or any(s is not None and s != a for s, a in zip(shape, d.shape)):
        problems.append(f"{where}: {path} has shape {d.shape}, expected {shape}")
    return d


def attr_kind(value):
    if isinstance(value, str):
        return "str"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, np.ndarray) and value.dtype == object:
        return "str[]"
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer) and value.ndim == 1:
        return "int[]"
    return type(value).__name__


ATTRS = {
    "layout": "str", "episode_index": "int", "fps": "float", "length": "int", "handoff_step": "int",
    "success": "bool", "outcome": "str", "aborted_reason": "str", "prompt": "str", "robot_type": "str",
    "config_name": "str", "config_hash": "str", "calibration_hash": "str", "residual_hash": "str",
    "xi": "float", "alpha": "float", "seed": "int", "residual_seed": "int", "policy_metadata": "str",
    "software_version": "str", "hdf5_version": "str", "arm_names": "str[]", "camera_names": "str[]",
    "feature_names": "str[]", "classifier_names": "str[]", "action_names": "str[]",
    "residual_steps": "int", "policy_stalls": "int", "safety_events": "int", "dropped_steps": "int",
    "recorder_lagged": "bool", "frames_missing": "int", "started_unix_ns": "int", "duration_s": "float", "speed": "float",
    "index_entry": "str",
    "stage_names": "str[]", "stage_attempts": "int[]", "stage_successes": "int[]", "stage_failures": "int[]",
    "stage_timeouts": "int[]", "stage_steps": "int[]", "final_stage": "int", "residual_version": "int",
    "learner_warmup": "bool",
}


def video_frames(path):
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        count = 0
        for _ in container.decode(stream):
            count += 1
        return count, stream.codec_context.name, stream.width, stream.height


def check_episode(run, entry, problems):
    where = f"episode {entry['episode_index']}"
    path = os.path.join(run, entry["file"])
    try:
        f = h5py.File(path, "r")
    except Exception as error:  # noqa: BLE001 - any failure to open is the finding
        problems.append(f"{where}: {entry['file']} does not open with h5py: {error}")
        return None
    with f:
        a = f.attrs
        for name, kind in ATTRS.items():
            if name not in a:
                problems.append(f"{where}: missing attribute {name}")
            elif attr_kind(a[name]) != kind:
                problems.append(f"{where}: attribute {name} is {attr_kind(a[name])}, expected {kind}")
        if problems and any(p.startswith(where + ": missing attribute") for p in problems):
            return None
        t = int(a["length"])
        arms = list(a["arm_names"])
        d_width = len(a["action_names"])
        joints = None
        qpos = check_dataset(problems, where, f, "/observations/qpos", REAL, (t, None))
        if qpos is not None:
            joints = qpos.shape[1]
        check_dataset(problems, where, f, "/timestamp", REAL, (t,))
        check_dataset(problems, where, f, "/observations/qvel", REAL, (t, joints))
        check_dataset(problems, where, f, "/observations/gripper", REAL, (t, len(arms)))
        check_dataset(problems, where, f, "/observations/ee_pose", REAL, (t, 7 * len(arms)))
        for name in a["feature_names"]:
            check_dataset(problems, where, f, f"/observations/features/{name}", REAL, (t, None))
        for camera in a["camera_names"]:
            check_dataset(problems, where, f, f"/observations/camera_sequence/{camera}", np.dtype("uint64"), (t,))
            image = f.get(f"/observations/images/{camera}")
            if image is None:
                problems.append(f"{where}: missing dataset /observations/images/{camera}")
            elif image.dtype == np.uint8:
                expect(problems, where, len(image.shape) == 4 and image.shape[0] == t and image.shape[3] == 3,
                       f"/observations/images/{camera} has shape {image.shape}")
            elif image.dtype == np.int64:
                expect(problems, where, image.shape == (t,), f"/observations/images/{camera} has shape {image.shape}")
                video = image.attrs.get("video_path")
                expect(problems, where, video == entry["videos"].get(camera),
                       f"video_path {video} disagrees with the index {entry['videos'].get(camera)}")
                if t > 0 and video:
                    frames, codec, width, height = video_frames(os.path.join(run, video))
                    expect(problems, where, frames == t, f"{video} decodes to {frames} frames, expected {t}")
                    expect(problems, where, (width, height) == (int(image.attrs["width"]), int(image.attrs["height"])),
                           f"{video} is {width}x{height}")
                    expect(problems, where, np.array_equal(image[:], np.arange(t)), "frame references are not 0..T-1")
            else:
                problems.append(f"{where}: /observations/images/{camera} has dtype {image.dtype}")
        for name in ("/action", "/base_action", "/residual_action"):
            check_dataset(problems, where, f, name, REAL, (t, d_width))
        for name in ("/residual_active", "/policy_stall", "/done"):
            check_dataset(problems, where, f, name, BOOL, (t,))
        check_dataset(problems, where, f, "/command_hold", BOOL, (t, len(arms)))
        for arm in arms:
            check_dataset(problems, where, f, f"/command/{arm}", REAL, (t, None))
        check_dataset(problems, where, f, "/stage", np.dtype("int32"), (t,))
        check_dataset(problems, where, f, "/reward", REAL, (t,))
        for name in a["classifier_names"]:
            check_dataset(problems, where, f, f"/classifier/{name}", REAL, (t,))
        counts = check_dataset(problems, where, f, "/safety_event_count", np.dtype("int32"), (t,))
        events = f.get("/safety_events")
        if events is None:
            problems.append(f"{where}: missing dataset /safety_events")
        else:
            names = events.dtype.names or ()
            expect(problems, where, names == ("step", "kind", "stage", "arm", "element", "requested", "applied"),
                   f"/safety_events fields {names}")
            if counts is not None:
                expect(problems, where, len(events) <= int(counts[:].sum()), "more safety event rows than counted events")
                expect(problems, where, int(counts[:].sum()) == int(a["safety_events"]),
                       f"safety_event_count sums to {int(counts[:].sum())}, attribute says {int(a['safety_events'])}")

        # Agreement with the index line.
        expect(problems, where, t == entry["length"], f"length {t} ≠ index {entry['length']}")
        expect(problems, where, bool(a["success"]) == entry["success"], "success disagrees with the index")
        expect(problems, where, str(a["outcome"]) == entry["outcome"], "outcome disagrees with the index")
        handoff = int(a["handoff_step"])
        expect(problems, where, (None if handoff < 0 else handoff) == entry["handoff_step"], "handoff_step disagrees")
        expect(problems, where, int(a["episode_index"]) == entry["episode_index"], "episode_index disagrees")
        expect(problems, where, json.loads(str(a["index_entry"]))["length"] == t, "index_entry length disagrees")
        if t > 0:
            ts = f["/timestamp"][:]
            expect(problems, where, bool(np.all(np.diff(ts) > 0)), "timestamps do not increase")
            done = f["/done"][:]
            expect(problems, where, bool(done[-1]) and not bool(done[:-1].any()), "done is not true on exactly the last step")
            active = f["/residual_active"][:]
            stage_names = list(a["stage_names"])
            if handoff < 0:
                expect(problems, where, not bool(active.any()), "residual_active set without a handoff")
            elif stage_names == ["task"]:
                expect(problems, where, bool(np.array_equal(active, np.arange(t) >= handoff)), "residual_active ≠ step ≥ handoff")
            else:
                # Stages may keep the residual off (residual: false, scripted motions).
                expect(problems, where, not bool((active & (np.arange(t) < handoff)).any()), "residual_active before the handoff")
            stage = f["/stage"][:]
            expect(problems, where, bool(((stage >= 0) & (stage < len(stage_names))).all()), "/stage outside stage_names")
            expect(problems, where, 0 <= int(a["final_stage"]) < len(stage_names) and int(stage[-1]) == int(a["final_stage"]),
                   "final_stage disagrees with /stage")
            counts = [np.asarray(a[k]) for k in ("stage_attempts", "stage_successes", "stage_failures", "stage_timeouts", "stage_steps")]
            expect(problems, where, all(len(c) == len(stage_names) for c in counts), "stage_* attributes of another length than stage_names")
            expect(problems, where, int(counts[4].sum()) <= t, f"stage_steps sum to {int(counts[4].sum())} > length {t}")
            for k in range(len(stage_names)):
                expect(problems, where, counts[1][k] + counts[2][k] + counts[3][k] <= counts[0][k],
                       f"stage {stage_names[k]}: more endings than attempts")
                seen = bool((stage == k).any())
                expect(problems, where, seen == (counts[0][k] > 0) or counts[4][k] == 0,
                       f"stage {stage_names[k]}: /stage and stage_attempts disagree")
            if entry.get("stage_stats") is not None:
                expect(problems, where, [s["attempts"] for s in entry["stage_stats"]] == counts[0].tolist(),
                       "index stage_stats disagree with stage_attempts")
            reward = f["/reward"][:]
            expect(problems, where, float(reward.sum()) == (1.0 if entry["success"] else 0.0), f"reward sums to {reward.sum()}")
        return {"episode": entry["episode_index"], "length": t, "outcome": str(a["outcome"]),
                "aborted_reason": str(a["aborted_reason"]), "frames_missing": int(a["frames_missing"]),
                "stages": list(a["stage_names"]), "stage_attempts": np.asarray(a["stage_attempts"]).tolist(),
                "stage_successes": np.asarray(a["stage_successes"]).tolist(),
                "stage_sequence": [int(s) for i, s in enumerate(f["/stage"][:]) if i == 0 or s != f["/stage"][i - 1]] if t > 0 else []}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--dump", action="append", default=[])
    args = parser.parse_args()
    index_path = os.path.join(args.run, "index.jsonl")
    problems, summary, dump = [], [], {}
    entries = []
    with open(index_path) as index:
        for number, line in enumerate(index, 1):
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as error:
                problems.append(f"index.jsonl:{number}: not JSON ({error})")
    for entry in entries:
        result = check_episode(args.run, entry, problems)
        if result:
            summary.append(result)
    for request in args.dump:
        episode, _, names = request.partition(":")
        entry = next((e for e in entries if str(e["episode_index"]) == episode), None)
        if entry is None:
            problems.append(f"--dump: no episode {episode}")
            continue
        with h5py.File(os.path.join(args.run, entry["file"]), "r") as f:
            for name in names.split(","):
                values = f[name][:]
                if np.issubdtype(values.dtype, np.floating):  # NaN (unknown) as JSON null
                    values = np.where(np.isnan(values), None, values.astype(object))
                dump[f"{episode}:{name}"] = values.tolist()
    json.dump({"episodes": len(entries), "problems": problems, "summary": summary, "dump": dump}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
