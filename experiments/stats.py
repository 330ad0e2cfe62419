"""Means and 95 % intervals: a bootstrap over rows nested in a bootstrap over seeds.

Every figure of the report is a ratio of sums over evaluation rows (nats over tokens,
recalled words over words), computed per seed and averaged over seeds. An interval
resamples the seeds with replacement and, within each drawn seed, the rows; statistics that
compare arms (a difference, a ratio) draw the same seeds and rows on both sides, so the
comparison is paired. numpy has no nested, paired bootstrap of ratio statistics
(scipy.stats.bootstrap resamples one level of independent observations), hence this file.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Part = tuple[np.ndarray, np.ndarray]  # numerators, denominators: [seeds, rows]


def part(nums: list[list[float]], dens: list[list[float]]) -> Part:
    return np.asarray(nums, dtype=np.float64), np.asarray(dens, dtype=np.float64)


def _values(p: Part, seeds: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per-seed ratio of sums for seed draws [..., S] and row draws [..., S, R]."""
    num, den = p
    s = np.minimum(seeds, num.shape[0] - 1)  # a seedless part (the base model) has one row
    n = num[s[..., None], rows].sum(-1)
    d = den[s[..., None], rows].sum(-1)
    return n / np.maximum(d, 1e-12)


def estimate(parts: list[Part], combine: Callable[..., np.ndarray] | None = None, *,
             draws: int = 1000, seed: int = 0) -> dict:
    """Mean over seeds of combine(per-seed ratios), with a 95 % percentile interval.

    All parts must share their row count (they measure the same rows); their seed counts
    are the same or 1.
    """
    combine = combine or (lambda v: v)
    n_seeds = max(p[0].shape[0] for p in parts)
    n_rows = parts[0][0].shape[1]
    if any(p[0].shape[1] != n_rows for p in parts):
        raise ValueError("paired parts must measure the same rows")
    ident_s = np.arange(n_seeds)
    ident_r = np.broadcast_to(np.arange(n_rows), (n_seeds, n_rows))
    per_seed = combine(*[_values(p, ident_s, ident_r) for p in parts])
    rng = np.random.default_rng(seed)
    s = rng.integers(0, n_seeds, size=(draws, n_seeds))
    r = rng.integers(0, n_rows, size=(draws, n_seeds, n_rows))
    boot = combine(*[_values(p, s, r) for p in parts]).mean(-1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"mean": float(per_seed.mean()), "lo": float(lo), "hi": float(hi),
            "seeds": [round(float(v), 5) for v in per_seed]}


def verdict(est: dict, low: float | None = None, high: float | None = None) -> str:
    """met / not met / undecided for a hope `low <= value <= high`, by the interval."""
    inside_lo = low is None or est["lo"] >= low
    inside_hi = high is None or est["hi"] <= high
    if inside_lo and inside_hi:
        return "met"
    if (low is not None and est["hi"] < low) or (high is not None and est["lo"] > high):
        return "not met"
    return "undecided"


def fmt(est: dict | None, digits: int = 3) -> str:
    if est is None:
        return "–"
    return f"{est['mean']:.{digits}f} [{est['lo']:.{digits}f}, {est['hi']:.{digits}f}]"
