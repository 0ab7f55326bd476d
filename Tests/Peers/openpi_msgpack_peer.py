#!/usr/bin/env python3
"""Python side of the Wire msgpack/openpi interoperability tests (Tests/WireTests/OpenPIPeerTests.swift).

Uses the real openpi client codec (openpi_client.msgpack_numpy, openpi-client 0.1.2) so the
Swift encoder and decoder are checked against what an openpi policy server runs.

Commands (every failure exits non-zero with a message on stderr):
  check-libero FILE   decode a LIBERO-style observation written by Swift, compare every key
                      with the contents regenerated here, print a JSON summary on stdout
  check-aloha FILE    the same for an ALOHA-style observation (nested "images" dict, CHW)
  encode-reply DTYPE FILE
                      write a policy reply {"actions": DTYPE (10, 8), "policy_timing": {...},
                      "server_timing": {...}} packed with msgpack_numpy.packb
  encode-misc FILE    write a dict of other numpy/msgpack shapes (scalars, 0-d, bool, f2, ...)
  pack-reference FILE write msgpack_numpy.packb of a fixed mixed dict that the Swift test
                      rebuilds and must encode to the same bytes

The content formulas below are mirrored in the Swift tests; keep them in sync.
"""

import json
import sys

import numpy as np
from openpi_client import msgpack_numpy


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def image(k: int, shape) -> np.ndarray:
    """Test image k: byte i of the C-order data is (i * 7 + k * 101) % 251."""
    n = int(np.prod(shape))
    return ((np.arange(n, dtype=np.int64) * 7 + k * 101) % 251).astype(np.uint8).reshape(shape)


def state(n: int) -> np.ndarray:
    """Test state: element i is 0.5 * i - 1.25 (exact in float32)."""
    return (np.arange(n, dtype=np.float32) * np.float32(0.5) - np.float32(1.25)).astype(np.float32)


def fail(message: str) -> None:
    print(f"peer check failed: {message}", file=sys.stderr)
    sys.exit(1)


def expect_array(name: str, got, want: np.ndarray) -> dict:
    if not isinstance(got, np.ndarray):
        fail(f"{name}: expected an ndarray, got {type(got).__name__} (were the marker keys bin?)")
    if got.dtype != want.dtype:
        fail(f"{name}: dtype {got.dtype.str}, want {want.dtype.str}")
    if got.shape != want.shape:
        fail(f"{name}: shape {got.shape}, want {want.shape}")
    if not np.array_equal(got, want):
        fail(f"{name}: contents differ")
    raw = got.tobytes()
    return {
        "dtype": got.dtype.str,
        "shape": list(got.shape),
        "fnv1a64": fnv1a64(raw),
        "sum": int(got.astype(np.int64).sum()) if got.dtype.kind in "iub" else float(got.astype(np.float64).sum()),
    }


def read(path: str):
    with open(path, "rb") as f:
        return msgpack_numpy.unpackb(f.read())


def check_libero(path: str) -> None:
    obs = read(path)
    if not isinstance(obs, dict):
        fail(f"top level is {type(obs).__name__}")
    want_keys = ["observation/image", "observation/wrist_image", "observation/state", "prompt"]
    if list(obs.keys()) != want_keys:
        fail(f"keys {list(obs.keys())}, want {want_keys}")
    summary = {
        "observation/image": expect_array("observation/image", obs["observation/image"], image(0, (224, 224, 3))),
        "observation/wrist_image": expect_array(
            "observation/wrist_image", obs["observation/wrist_image"], image(1, (224, 224, 3))
        ),
        "observation/state": expect_array("observation/state", obs["observation/state"], state(8)),
    }
    if obs["prompt"] != "pick up the black bowl and place it on the plate":
        fail(f"prompt {obs['prompt']!r}")
    print(json.dumps({"ok": True, "keys": list(obs.keys()), "arrays": summary, "prompt": obs["prompt"]}))


def check_aloha(path: str) -> None:
    obs = read(path)
    if list(obs.keys()) != ["state", "images", "prompt"]:
        fail(f"keys {list(obs.keys())}")
    images = obs["images"]
    if not isinstance(images, dict) or list(images.keys()) != ["cam_high", "cam_left_wrist", "cam_right_wrist"]:
        fail(f"images {images!r:.200}")
    summary = {"state": expect_array("state", obs["state"], state(14))}
    for k, name in enumerate(images.keys()):
        summary[f"images/{name}"] = expect_array(name, images[name], image(k, (3, 224, 224)))
    if obs["prompt"] != "fold the towel":
        fail(f"prompt {obs['prompt']!r}")
    print(json.dumps({"ok": True, "keys": list(obs.keys()), "arrays": summary}))


def actions(dtype: str) -> np.ndarray:
    """Test action chunk: element i of the (10, 8) chunk is 0.25 * i - 10 (exact in f4 and f8)."""
    return (np.arange(80, dtype=np.float64).reshape(10, 8) * 0.25 - 10.0).astype(dtype)


def encode_reply(dtype: str, path: str) -> None:
    reply = {
        "actions": actions(dtype),
        "policy_timing": {"infer_ms": 12.5},
        "server_timing": {"infer_ms": 20.25, "prev_total_ms": 30.5},
    }
    with open(path, "wb") as f:
        f.write(msgpack_numpy.packb(reply))


def encode_misc(path: str) -> None:
    misc = {
        "scalar_f32": np.float32(0.1),
        "scalar_i64": np.int64(-7),
        "scalar_bool": np.bool_(True),
        "zero_d": np.array(3.5, dtype=np.float64),
        "empty": np.zeros((0, 8), dtype=np.float32),
        "mask": np.array([True, False, True]),
        "half": np.array([1.0, -2.5, 65504.0], dtype=np.float16),
        "i32": np.array([[1, -2], [3, -4]], dtype=np.int32),
        "i64": np.array([2**40, -(2**40)], dtype=np.int64),
        "i16": np.array([-300, 300], dtype=np.int16),
        "u16": np.array([65535], dtype=np.uint16),
        "i8": np.array([-128, 127], dtype=np.int8),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
        "str_marker": {"__ndarray__": True, "data": b"\x00\x00\x80\x3f", "dtype": "<f4", "shape": [1]},
        "list": [1, "two", 3.0, None, b"\x01\x02"],
        "big": 2**64 - 1,
    }
    with open(path, "wb") as f:
        f.write(msgpack_numpy.packb(misc))


def pack_reference(path: str) -> None:
    ref = {
        "state": state(14),
        "images": {"cam_high": image(0, (3, 4, 5)), "cam_low": image(1, (3, 4, 5))},
        "prompt": "fold the towel",
        "ints": [0, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1,
                 -1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63)],
        "floats": [12.5, -0.0, 1e300],
        "strs": ["x" * 31, "x" * 32, "x" * 255, "x" * 256, "é" * 16],
        "bins": [b"", b"\xff" * 255, b"\x00" * 256],
        "lists": [list(range(15)), list(range(16))],
        "none": None,
        "flag": True,
        "gain": np.float32(0.1),
        "step": np.int64(7),
    }
    with open(path, "wb") as f:
        f.write(msgpack_numpy.packb(ref))


def main(argv) -> None:
    if len(argv) < 2:
        fail(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "check-libero" and len(args) == 1:
        check_libero(args[0])
    elif cmd == "check-aloha" and len(args) == 1:
        check_aloha(args[0])
    elif cmd == "encode-reply" and len(args) == 2:
        encode_reply(args[0], args[1])
    elif cmd == "encode-misc" and len(args) == 1:
        encode_misc(args[0])
    elif cmd == "pack-reference" and len(args) == 1:
        pack_reference(args[0])
    else:
        fail(f"unknown command or arguments: {argv[1:]}")


if __name__ == "__main__":
    main(sys.argv)
