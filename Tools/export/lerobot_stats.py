"""Per-episode and dataset statistics in LeRobot's layout.

Contract:
- `numeric_stats(values, quantiles)`: over axis 0 of an (n,) or (n, d) array, computed in
  float64 (bools as 0/1): min, max, mean, std (population, ddof 0), each of shape (d,) ((1,) for
  an (n,) array), and count = [n]; with `quantiles`, also q01 q10 q50 q90 q99 as
  `numpy.quantile` (linear interpolation) gives them.
- `ImageStats`: fed the sampled (H, W, 3) uint8 frames of one episode, gives the same keys per
  colour channel with values / 255, each of shape (3, 1, 1), count = [frames fed]. It keeps a
  256-bin histogram per channel, so the numbers are exact for the fed pixels at any frame size.
- `sample_indices(n)`: the frames of an n-frame episode the image stats use (all up to 100;
  beyond, about n**0.75 evenly spaced, at most 10000).
- `aggregate(per_episode)`: dataset statistics from per-episode ones: min of the mins, max of
  the maxes, count-weighted mean, pooled std (both exact for the union of the episodes' data),
  summed count; quantiles as the count-weighted mean of the episodes' quantiles (an estimate).
- `to_json(stats)`: the same as nested lists (count as integers)."""

from typing import Dict, List

import numpy as np

QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
BASIC = ("min", "max", "mean", "std", "count")

Stats = Dict[str, np.ndarray]


def stat_names(quantiles: bool) -> List[str]:
    return list(BASIC) + (list(QUANTILES) if quantiles else [])


def sample_indices(n: int) -> np.ndarray:
    if n <= 100:
        return np.arange(n, dtype=np.int64)
    k = min(max(100, int(n ** 0.75)), 10000)
    return np.unique(np.round(np.linspace(0, n - 1, k)).astype(np.int64))


def numeric_stats(values: np.ndarray, quantiles: bool) -> Stats:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    x = x.reshape(len(x), -1)
    out = {
        "min": x.min(axis=0),
        "max": x.max(axis=0),
        "mean": x.mean(axis=0),
        "std": x.std(axis=0),
        "count": np.array([len(x)], dtype=np.int64),
    }
    if quantiles:
        for name, q in QUANTILES.items():
            out[name] = np.quantile(x, q, axis=0)
    return out


class ImageStats:
    """Per-channel statistics of the frames fed to `add`, from 256-bin histograms."""

    def __init__(self) -> None:
        self.hist = np.zeros((3, 256), dtype=np.int64)
        self.frames = 0

    def add(self, frame: np.ndarray) -> None:
        for c in range(3):
            self.hist[c] += np.bincount(frame[..., c].ravel(), minlength=256)
        self.frames += 1

    def result(self, quantiles: bool) -> Stats:
        if self.frames == 0:
            raise ValueError("no frames")
        values = np.arange(256, dtype=np.float64)
        n = self.hist.sum(axis=1).astype(np.float64)
        mean = (self.hist * values).sum(axis=1) / n
        var = (self.hist * (values[None, :] - mean[:, None]) ** 2).sum(axis=1) / n
        present = self.hist > 0
        vmin = np.array([values[p][0] for p in present])
        vmax = np.array([values[p][-1] for p in present])
        out = {"min": vmin, "max": vmax, "mean": mean, "std": np.sqrt(var)}
        if quantiles:
            for name, q in QUANTILES.items():
                out[name] = np.array([_hist_quantile(h, q) for h in self.hist])
        shaped = {k: (v / 255.0).reshape(3, 1, 1) for k, v in out.items()}
        shaped["count"] = np.array([self.frames], dtype=np.int64)
        return shaped


def _hist_quantile(hist: np.ndarray, q: float) -> float:
    """numpy.quantile's default (linear) quantile of the values a histogram over 0..255 counts."""
    n = int(hist.sum())
    cum = np.cumsum(hist)
    pos = q * (n - 1)
    lo = int(np.floor(pos))
    frac = pos - lo
    v_lo = int(np.searchsorted(cum, lo, side="right"))  # the value of rank lo (0-based)
    if frac == 0 or lo + 1 >= n:
        return float(v_lo)
    v_hi = int(np.searchsorted(cum, lo + 1, side="right"))
    return v_lo + frac * (v_hi - v_lo)


def aggregate(per_episode: List[Stats]) -> Stats:
    counts = np.array([int(s["count"][0]) for s in per_episode], dtype=np.float64)
    total = counts.sum()
    w = counts / total

    def weighted(key: str) -> np.ndarray:
        return sum(wi * s[key] for wi, s in zip(w, per_episode))

    mean = weighted("mean")
    var = sum(wi * (s["std"] ** 2 + (s["mean"] - mean) ** 2) for wi, s in zip(w, per_episode))
    out = {
        "min": np.min(np.stack([s["min"] for s in per_episode]), axis=0),
        "max": np.max(np.stack([s["max"] for s in per_episode]), axis=0),
        "mean": mean,
        "std": np.sqrt(np.maximum(var, 0.0)),
        "count": np.array([int(total)], dtype=np.int64),
    }
    for name in QUANTILES:
        if all(name in s for s in per_episode):
            out[name] = weighted(name)
    return out


def to_json(stats: Stats) -> Dict[str, list]:
    return {k: (v.astype(np.int64) if k == "count" else v.astype(np.float64)).tolist() for k, v in stats.items()}
