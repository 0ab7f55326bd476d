#!/usr/bin/env python3
"""Train a reward classifier (`kind: mlp`, format classifier-mlp/1) on episodes `pld run` recorded.

    python3 Tools/train_classifier/train_classifier.py train --run runs/yam_sim --out gpu_in_slot1.safetensors \\
        --input observations/features/task_state --input observations/gripper:0 \\
        --label classifier/gpu_in_slot1 [--hidden 64,64] [--steps 3000]

Inputs are HDF5 datasets of every closed episode in the run (index.jsonl), concatenated per
frame in the order given (`:k` picks column k of a 2-D dataset); list them in the same order as
the classifier's `inputs` in the robot config (an arm's gripper is `observations/gripper:<arm
index>`, a feature `observations/features/<name>`). Labels come from a dataset that scores each
frame in [0, 1] (>= 0.5 is positive): in simulation the ground-truth rules classifiers the run
recorded (`classifier/<name>`); on hardware, frames an operator marked (HIL-SERL's
record_success_fail). Training uses balanced batches (half positives), Adam, BCE.

    python3 Tools/train_classifier/train_classifier.py reference OUT.safetensors --input-dim 7 --hidden 16,8 --seed 3

writes a random classifier and prints JSON {"inputs": [...], "scores": [...]} from the numpy
forward pass: the reference the Swift runtime's MLPClassifier is tested against.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import classifier_mlp  # noqa: E402


def fail(message):
    print(f"train_classifier: error: {message}", file=sys.stderr)
    sys.exit(1)


def read_column(h5, spec, path):
    name, _, column = spec.partition(":")
    if name not in h5:
        fail(f"{path}: no dataset /{name}")
    data = np.asarray(h5[name][()], dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if column:
        k = int(column)
        if k >= data.shape[1]:
            fail(f"{path}: /{name} has {data.shape[1]} columns; column {k} asked")
        data = data[:, k:k + 1]
    return data.reshape(len(data), -1)


def load_run(run, input_specs, label_spec):
    import h5py

    index_path = os.path.join(run, "index.jsonl")
    if not os.path.exists(index_path):
        fail(f"{run}: no index.jsonl (is this a run directory?)")
    xs, ys = [], []
    with open(index_path) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    for entry in entries:
        path = os.path.join(run, entry["file"])
        with h5py.File(path, "r") as h5:
            columns = [read_column(h5, spec, path) for spec in input_specs]
            labels = read_column(h5, label_spec, path)[:, 0]
        lengths = {len(c) for c in columns} | {len(labels)}
        if len(lengths) != 1:
            fail(f"{path}: datasets of different lengths {sorted(lengths)}")
        keep = np.isfinite(labels) & np.all(np.isfinite(np.hstack(columns)), axis=1)
        xs.append(np.hstack(columns)[keep])
        ys.append(labels[keep] >= 0.5)
    if not xs:
        fail(f"{run}: no closed episodes in index.jsonl")
    return np.vstack(xs), np.concatenate(ys).astype(np.float64), len(entries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--run", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--input", action="append", required=True)
    t.add_argument("--label", required=True)
    t.add_argument("--hidden", default="64,64")
    t.add_argument("--steps", type=int, default=3000)
    t.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("reference")
    r.add_argument("out")
    r.add_argument("--input-dim", type=int, required=True)
    r.add_argument("--hidden", default="16,8")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--count", type=int, default=32)
    args = parser.parse_args()
    hidden = [int(h) for h in args.hidden.split(",") if h]

    if args.command == "reference":
        rng = np.random.default_rng(args.seed)
        params = classifier_mlp.init_params(args.input_dim, hidden, rng)
        for k in params:  # non-trivial LayerNorm affine terms and output bias
            if k.endswith("ln.weight"):
                params[k] = rng.uniform(0.5, 1.5, params[k].shape)
            elif k.endswith("ln.bias") or k == "out.bias":
                params[k] = rng.normal(0, 0.3, params[k].shape)
        mean = rng.normal(0, 1, args.input_dim)
        std = rng.uniform(0.5, 2, args.input_dim)
        classifier_mlp.save(args.out, params, mean, std, hidden)
        inputs = rng.normal(0, 2, (args.count, args.input_dim))
        scores = classifier_mlp.predict(params, mean, std, hidden, inputs)
        print(json.dumps({"inputs": inputs.tolist(), "scores": scores.tolist()}))
        return

    x, y, episodes = load_run(args.run, args.input, args.label)
    print(f"train_classifier: {len(y)} frames from {episodes} episodes, {int(y.sum())} positive", file=sys.stderr)
    try:
        params, mean, std = classifier_mlp.train(x, y, hidden=hidden, steps=args.steps, seed=args.seed,
                                                 log=lambda line: print(f"train_classifier: {line}", file=sys.stderr))
    except ValueError as error:
        fail(f"{args.run}: {error}")
    classifier_mlp.save(args.out, params, mean, std, hidden)
    scores = classifier_mlp.predict(params, mean, std, hidden, x)
    accuracy = float(((scores >= 0.5) == (y >= 0.5)).mean())
    print(json.dumps({"out": args.out, "frames": int(len(y)), "positives": int(y.sum()), "accuracy": accuracy,
                      "input_dim": int(x.shape[1]), "hidden": hidden}))


if __name__ == "__main__":
    main()
