"""Export a residual MLP for `pld run` in format `residual-mlp/1`, with numpy only.

The format (documented on `ResidualNetwork` in Sources/Policies/Residual/ResidualNetwork.swift):
a safetensors file whose `__metadata__` describes the architecture and whose tensors use the
PyTorch layout (a Linear weight is [out, in]). With PyTorch and the `safetensors` package the
export is `safetensors.torch.save_file(tensors, path, metadata=...)` with the same names; this
file shows it without either, and the tests use it as the independent reference:

    import numpy as np
    from residual_export_example import export_residual_mlp
    params = {                          # one actor, state 32 + action 7, 3 x 256
        "layers.0.weight": w0, "layers.0.bias": b0, "layers.0.ln.weight": g0, "layers.0.ln.bias": c0,
        ...,
        "mu.weight": wmu, "mu.bias": bmu, "log_std": log_std,
        "obs_mean": mean, "obs_std": std,  # over [state features, base action]
    }
    export_residual_mlp("residual.safetensors", params, state_dim=32, action_dim=7,
                        hidden=[256, 256, 256], activation="tanh", layer_norm=True,
                        log_std="parameter")

`forward()` below is the reference forward pass the Swift runtime must match.
"""
import json
import struct

import numpy as np

_DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2")}


def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> ndarray) and a string->string `metadata` map as safetensors."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name in sorted(tensors, key=lambda n: (-tensors[n].dtype.itemsize, n)):
        array = np.ascontiguousarray(tensors[name])
        dtype = {v: k for k, v in _DTYPES.items()}[array.dtype.newbyteorder("<")]
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Returns (tensors as float64 ndarrays, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=_DTYPES[info["dtype"]]).reshape(info["shape"]).astype(np.float64)
    return tensors, metadata


def export_residual_mlp(path, params, state_dim, action_dim, hidden, activation="tanh", layer_norm=True,
                        layer_norm_eps=1e-5, log_std="none", dtype=np.float32, extra_metadata=None):
    """Writes `params` (the tensor names of format residual-mlp/1) with the metadata describing them."""
    metadata = dict(extra_metadata or {})
    metadata.update({
        "pld.format": "residual-mlp/1",
        "pld.input_dim": str(state_dim + action_dim),
        "pld.action_dim": str(action_dim),
        "pld.hidden": json.dumps(list(hidden)),
        "pld.activation": activation,
        "pld.layer_norm": "true" if layer_norm else "false",
        "pld.layer_norm_eps": repr(float(layer_norm_eps)),
        "pld.log_std": log_std,
    })
    write_safetensors(path, {k: np.asarray(v, dtype=dtype) for k, v in params.items()}, metadata)


def forward(params, metadata, state, base_action, xi, noise=None):
    """Reference forward pass: returns (mu, log_std or None, a_delta) for one input.

    a_delta = xi * tanh(mu) (mean mode), or xi * tanh(mu + exp(clip(log_std)) * noise) when
    `noise` (standard normal, one per action dim) is given.
    """
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    x = np.concatenate([np.asarray(state, np.float64), np.asarray(base_action, np.float64)])
    if "obs_mean" in p:
        x = (x - p["obs_mean"]) / p["obs_std"]
    if "pld.obs_clip" in metadata:
        c = float(metadata["pld.obs_clip"])
        x = np.clip(x, -c, c)
    hidden = json.loads(metadata["pld.hidden"])
    eps = float(metadata.get("pld.layer_norm_eps", "1e-5"))
    h = x
    for i in range(len(hidden)):
        z = p[f"layers.{i}.weight"] @ h + p.get(f"layers.{i}.bias", 0.0)
        if metadata.get("pld.layer_norm", "true") == "true":
            mean = z.mean()
            var = ((z - mean) ** 2).mean()
            z = (z - mean) / np.sqrt(var + eps) * p.get(f"layers.{i}.ln.weight", 1.0) + p.get(f"layers.{i}.ln.bias", 0.0)
        h = np.tanh(z) if metadata.get("pld.activation", "tanh") == "tanh" else np.maximum(z, 0.0)
    mu = p["mu.weight"] @ h + p.get("mu.bias", 0.0)
    kind = metadata.get("pld.log_std", "none")
    log_std = None
    if kind == "parameter":
        log_std = p["log_std"]
    elif kind == "head":
        log_std = p["log_std_head.weight"] @ h + p.get("log_std_head.bias", 0.0)
    pre = mu
    if noise is not None and log_std is not None:
        lo, hi = float(metadata.get("pld.log_std_min", "-20")), float(metadata.get("pld.log_std_max", "2"))
        pre = mu + np.exp(np.clip(log_std, lo, hi)) * np.asarray(noise, np.float64)
    return mu, log_std, xi * np.tanh(pre)
