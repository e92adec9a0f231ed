"""Open-interest and volume metrics over one expiry's listed strikes (docs/conventions.md §3.1, §3.2)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is not positive (an undefined ratio)."""
    if not math.isfinite(numerator) or not math.isfinite(denominator) or denominator <= 0:
        return None
    return numerator / denominator


def put_call_ratio(call_values: ArrayLike, put_values: ArrayLike) -> float | None:
    """Σ puts / Σ calls, ignoring missing (NaN) entries; None when the call sum is ≤ 0 (ΔOI PCR can be)."""
    calls = np.asarray(call_values, dtype=float)
    puts = np.asarray(put_values, dtype=float)
    return ratio(float(np.nansum(puts)), float(np.nansum(calls)))


def max_pain(strikes: ArrayLike, call_oi: ArrayLike, put_oi: ArrayLike, forward: float) -> float | None:
    """The settlement price (among the listed strikes) that minimises the intrinsic value owed to holders.

    pain(S) = Σ OIc(K)·max(S - K, 0) + Σ OIp(K)·max(K - S, 0) over the union of strikes; OI in units so that
    contracts with different lot sizes weigh right. Ties: the candidate nearest the forward, then the lower strike.
    """
    k = np.asarray(strikes, dtype=float)
    c = np.nan_to_num(np.asarray(call_oi, dtype=float))
    p = np.nan_to_num(np.asarray(put_oi, dtype=float))
    if k.size == 0:
        return None
    candidates = np.unique(k)
    s = candidates[:, None]
    pain = (c[None, :] * np.maximum(s - k[None, :], 0.0)).sum(axis=1) + (
        p[None, :] * np.maximum(k[None, :] - s, 0.0)
    ).sum(axis=1)
    lowest = pain.min()
    # Pain sums are exact in float for integer OI x strike gaps up to 2**53; compare with a relative tolerance anyway.
    tied = candidates[np.isclose(pain, lowest, rtol=1e-12, atol=0.0)]
    distance = np.abs(tied - forward)
    nearest = tied[np.isclose(distance, distance.min(), rtol=0.0, atol=1e-9)]
    return float(nearest.min())


def oi_walls(strikes: ArrayLike, call_oi: ArrayLike, put_oi: ArrayLike) -> tuple[float | None, float | None]:
    """(call wall, put wall): the strike with the largest call OI and the strike with the largest put OI.

    Ties go to the lower strike (the first in ascending order). None when a side has no positive OI.
    """
    k = np.asarray(strikes, dtype=float)
    order = np.argsort(k, kind="stable")
    k = k[order]
    walls: list[float | None] = []
    for oi in (call_oi, put_oi):
        values = np.nan_to_num(np.asarray(oi, dtype=float))[order]
        walls.append(float(k[int(np.argmax(values))]) if values.size and values.max() > 0 else None)
    return walls[0], walls[1]
