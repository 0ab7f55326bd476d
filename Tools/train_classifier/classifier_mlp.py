"""Reward classifiers for `pld run` in format `classifier-mlp/1`, with numpy only.

The format is documented on `MLPClassifier` (Sources/Tasks/MLPClassifier.swift): a safetensors
file whose metadata names the architecture and whose tensors use the PyTorch layout (a Linear
weight is [out, in]). The network is HIL-SERL's classifier head without its image encoder:
hidden layers Linear -> LayerNorm -> ReLU, then one logit; score = sigmoid(logit).

`forward()` is the reference forward pass the Swift runtime must match (its test calls
`reference` below); `train()` fits one on recorded episodes (see train_classifier.py).
"""
import json
import struct

import numpy as np

FORMAT = "classifier-mlp/1"


def write_safetensors(path, tensors, metadata):
    """Writes name -> float32 ndarray and a string->string metadata map as safetensors."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(tensors[name])), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def init_params(input_dim, hidden, rng):
    """PyTorch's default Linear init, LayerNorm gamma 1 / beta 0."""
    params, width = {}, input_dim
    for i, units in enumerate(hidden):
        bound = 1 / np.sqrt(width)
        params[f"layers.{i}.weight"] = rng.uniform(-bound, bound, (units, width))
        params[f"layers.{i}.bias"] = rng.uniform(-bound, bound, units)
        params[f"layers.{i}.ln.weight"] = np.ones(units)
        params[f"layers.{i}.ln.bias"] = np.zeros(units)
        width = units
    bound = 1 / np.sqrt(width)
    params["out.weight"] = rng.uniform(-bound, bound, (1, width))
    params["out.bias"] = np.zeros(1)
    return params


def forward(params, x, hidden, eps=1e-5, cache=None):
    """Scores for inputs x [n, input_dim] (already normalised by obs_mean/obs_std if present)."""
    h = x
    for i in range(len(hidden)):
        z = h @ params[f"layers.{i}.weight"].T + params[f"layers.{i}.bias"]
        mu = z.mean(axis=1, keepdims=True)
        var = z.var(axis=1, keepdims=True)
        zhat = (z - mu) / np.sqrt(var + eps)
        y = zhat * params[f"layers.{i}.ln.weight"] + params[f"layers.{i}.ln.bias"]
        a = np.maximum(y, 0)
        if cache is not None:
            cache.append((h, zhat, var, y))
        h = a
    logit = h @ params["out.weight"].T[:, 0] + params["out.bias"][0]
    if cache is not None:
        cache.append(h)
    return 1 / (1 + np.exp(-logit)), logit


def backward(params, cache, logit, labels, hidden, eps=1e-5):
    """Gradients of the mean binary cross-entropy with logits."""
    n = len(labels)
    grads = {}
    dlogit = (1 / (1 + np.exp(-logit)) - labels) / n
    h_last = cache[-1]
    grads["out.weight"] = (dlogit @ h_last)[None, :]
    grads["out.bias"] = np.array([dlogit.sum()])
    dh = dlogit[:, None] * params["out.weight"][0][None, :]
    for i in reversed(range(len(hidden))):
        h_in, zhat, var, y = cache[i]
        dy = dh * (y > 0)
        grads[f"layers.{i}.ln.weight"] = (dy * zhat).sum(axis=0)
        grads[f"layers.{i}.ln.bias"] = dy.sum(axis=0)
        dzhat = dy * params[f"layers.{i}.ln.weight"]
        units = zhat.shape[1]
        dz = (units * dzhat - dzhat.sum(axis=1, keepdims=True) - zhat * (dzhat * zhat).sum(axis=1, keepdims=True)) / (units * np.sqrt(var + eps))
        grads[f"layers.{i}.weight"] = dz.T @ h_in
        grads[f"layers.{i}.bias"] = dz.sum(axis=0)
        dh = dz @ params[f"layers.{i}.weight"]
    return grads


def train(inputs, labels, hidden=(64, 64), steps=3000, batch=256, lr=1e-3, seed=0, log=None):
    """Fits a classifier with Adam on balanced batches (HIL-SERL: half positives, half
    negatives). Returns (params, mean, std)."""
    rng = np.random.default_rng(seed)
    inputs = np.asarray(inputs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    mean = inputs.mean(axis=0)
    std = inputs.std(axis=0)
    std[std < 1e-6] = 1.0
    x = (inputs - mean) / std
    pos, neg = np.flatnonzero(labels > 0.5), np.flatnonzero(labels <= 0.5)
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError(f"need both positive and negative examples (found {len(pos)} positive, {len(neg)} negative)")
    params = init_params(x.shape[1], hidden, rng)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    for step in range(1, steps + 1):
        idx = np.concatenate([rng.choice(pos, batch // 2), rng.choice(neg, batch - batch // 2)])
        cache = []
        _, logit = forward(params, x[idx], hidden, cache=cache)
        grads = backward(params, cache, logit, labels[idx], hidden)
        for k in params:
            m[k] = 0.9 * m[k] + 0.1 * grads[k]
            v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
            params[k] -= lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)
        if log and (step % 500 == 0 or step == steps):
            scores, _ = forward(params, x, hidden)
            accuracy = ((scores > 0.5) == (labels > 0.5)).mean()
            log(f"step {step}: accuracy {accuracy:.4f} on {len(labels)} frames")
    return params, mean, std


def save(path, params, mean, std, hidden):
    tensors = dict(params)
    tensors["obs_mean"] = mean
    tensors["obs_std"] = std
    metadata = {
        "pld.format": FORMAT, "pld.input_dim": str(len(mean)), "pld.hidden": json.dumps(list(hidden)),
        "pld.activation": "relu", "pld.layer_norm": "true", "pld.layer_norm_eps": "1e-05",
    }
    write_safetensors(path, tensors, metadata)


def predict(params, mean, std, hidden, inputs):
    """Scores for raw (unnormalised) inputs, as `pld run` computes them (float32 weights)."""
    p32 = {k: np.asarray(v, dtype=np.float32).astype(np.float64) for k, v in params.items()}
    m32 = np.asarray(mean, dtype=np.float32).astype(np.float64)
    s32 = np.asarray(std, dtype=np.float32).astype(np.float64)
    return forward(p32, (np.asarray(inputs, dtype=np.float64) - m32) / s32, hidden)[0]
