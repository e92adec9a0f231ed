"""Time-series helpers for the price toggle and history views: TWAP, percentile, bands, rolling correlation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike


def time_weighted_average(times: Sequence[float], values: Sequence[float], *, end: float) -> float | None:
    """Σ v_i·(t_{i+1} - t_i) / Σ (t_{i+1} - t_i), the last value holding until ``end`` (seconds or any unit).

    Missing values (NaN) are skipped with their interval. None when no time has elapsed with a value.
    """
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.size == 0:
        return None
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    widths = np.diff(np.append(t, max(end, t[-1])))
    ok = np.isfinite(v) & (widths > 0)
    total = widths[ok].sum()
    if total <= 0:
        finite = v[np.isfinite(v)]
        return float(finite[-1]) if finite.size else None
    return float((v[ok] * widths[ok]).sum() / total)


def percentile_of(value: float, sample: ArrayLike) -> float | None:
    """Percent of the sample strictly below ``value`` plus half the ties (mid-rank), in [0, 100]."""
    s = np.asarray(sample, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0 or not math.isfinite(value):
        return None
    below = float((s < value).sum())
    equal = float((s == value).sum())
    return 100.0 * (below + 0.5 * equal) / s.size


class Bands(TypedDict):
    """Per column: the mean, mean ± 1sigma (population), min and max over sessions."""

    mean: list[float | None]
    upper: list[float | None]
    lower: list[float | None]
    min: list[float | None]
    max: list[float | None]


def band_stats(rows: Sequence[Sequence[float | None]]) -> Bands:
    """Column-wise bands over sessions (one row per session); None where a column has no value."""
    out = Bands(mean=[], upper=[], lower=[], min=[], max=[])
    if not rows:
        return out
    matrix = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    for column in matrix.T:
        finite = column[np.isfinite(column)]
        if finite.size == 0:
            for series in (out["mean"], out["upper"], out["lower"], out["min"], out["max"]):
                series.append(None)
            continue
        mean, std = float(finite.mean()), float(finite.std())
        out["mean"].append(mean)
        out["upper"].append(mean + std)
        out["lower"].append(mean - std)
        out["min"].append(float(finite.min()))
        out["max"].append(float(finite.max()))
    return out


def rolling_correlation(x: ArrayLike, y: ArrayLike, window: int) -> list[float | None]:
    """Pearson correlation of x and y over each trailing window (None until the window is full or flat)."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    out: list[float | None] = []
    for end in range(1, a.size + 1):
        if end < window:
            out.append(None)
            continue
        wa, wb = a[end - window : end], b[end - window : end]
        ok = np.isfinite(wa) & np.isfinite(wb)
        wa, wb = wa[ok], wb[ok]
        if wa.size < 3 or wa.std() == 0 or wb.std() == 0:
            out.append(None)
            continue
        out.append(float(np.corrcoef(wa, wb)[0, 1]))
    return out
