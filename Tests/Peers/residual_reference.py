"""Reference peer for the residual tests (numpy only).

  write OUT --seed S --state-dim N --action-dim M --hidden 256,256,256 --activation tanh|relu
        --layer-norm true|false --log-std none|parameter|head --dtype F32|F64 --xi X --inputs K
        [--obs-clip C] [--no-normalizer] [--zero-mu]
      Writes a residual-mlp/1 file with random weights through residual_export_example.py and
      prints JSON {"inputs": [{"state": [...], "action": [...]}], "mu": [[...]],
      "log_std": [[...]] | null, "a_delta": [[...]]} computed by its forward().
  read PATH
      Prints JSON {"metadata": {...}, "tensors": {name: {"shape": [...], "values": [...]}}}.
"""
import argparse
import json
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from residual_export_example import export_residual_mlp, forward, read_safetensors  # noqa: E402


def write(args):
    rng = np.random.default_rng(args.seed)
    hidden = [int(h) for h in args.hidden.split(",")]
    n, m = args.state_dim, args.action_dim
    params = {}
    fan_in = n + m
    for i, units in enumerate(hidden):
        bound = 1 / np.sqrt(fan_in)
        params[f"layers.{i}.weight"] = rng.uniform(-bound, bound, (units, fan_in))
        params[f"layers.{i}.bias"] = rng.uniform(-bound, bound, units)
        if args.layer_norm == "true":
            params[f"layers.{i}.ln.weight"] = rng.uniform(0.5, 1.5, units)
            params[f"layers.{i}.ln.bias"] = rng.uniform(-0.2, 0.2, units)
        fan_in = units
    params["mu.weight"] = np.zeros((m, fan_in)) if args.zero_mu else rng.uniform(-0.5, 0.5, (m, fan_in))
    params["mu.bias"] = np.zeros(m) if args.zero_mu else rng.uniform(-0.1, 0.1, m)
    if args.log_std == "parameter":
        params["log_std"] = rng.uniform(-2.0, -0.5, m)
    elif args.log_std == "head":
        params["log_std_head.weight"] = rng.uniform(-0.1, 0.1, (m, fan_in))
        params["log_std_head.bias"] = rng.uniform(-1.5, -1.0, m)
    if not args.no_normalizer:
        params["obs_mean"] = rng.normal(0, 0.5, n + m)
        params["obs_std"] = rng.uniform(0.5, 2.0, n + m)
    dtype = {"F32": np.float32, "F64": np.float64}[args.dtype]
    # Round through the file's dtype so the reference uses exactly the stored values.
    params = {k: np.asarray(v, dtype=dtype) for k, v in params.items()}
    extra = {"trained_by": "residual_reference.py"}
    if args.obs_clip is not None:
        extra["pld.obs_clip"] = repr(args.obs_clip)
    export_residual_mlp(args.out, params, n, m, hidden, activation=args.activation,
                        layer_norm=args.layer_norm == "true", log_std=args.log_std, dtype=dtype, extra_metadata=extra)
    _, metadata = read_safetensors(args.out)
    out = {"inputs": [], "mu": [], "log_std": [] if args.log_std != "none" else None, "a_delta": []}
    for _ in range(args.inputs):
        state = rng.normal(0, 1.5, n)
        action = rng.uniform(-1, 1, m)
        mu, log_std, a = forward(params, metadata, state, action, args.xi)
        out["inputs"].append({"state": state.tolist(), "action": action.tolist()})
        out["mu"].append(mu.tolist())
        out["a_delta"].append(a.tolist())
        if log_std is not None:
            out["log_std"].append(np.asarray(log_std).tolist())
    print(json.dumps(out))


def read(args):
    tensors, metadata = read_safetensors(args.path)
    print(json.dumps({"metadata": metadata,
                      "tensors": {k: {"shape": list(v.shape), "values": v.ravel().tolist()} for k, v in tensors.items()}}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--state-dim", type=int, default=32)
    w.add_argument("--action-dim", type=int, default=7)
    w.add_argument("--hidden", default="256,256,256")
    w.add_argument("--activation", default="tanh", choices=["tanh", "relu"])
    w.add_argument("--layer-norm", default="true", choices=["true", "false"])
    w.add_argument("--log-std", default="none", choices=["none", "parameter", "head"])
    w.add_argument("--dtype", default="F32", choices=["F32", "F64"])
    w.add_argument("--xi", type=float, default=0.5)
    w.add_argument("--inputs", type=int, default=16)
    w.add_argument("--obs-clip", type=float, default=None)
    w.add_argument("--no-normalizer", action="store_true")
    w.add_argument("--zero-mu", action="store_true")
    w.set_defaults(run=write)
    r = sub.add_parser("read")
    r.add_argument("path")
    r.set_defaults(run=read)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
