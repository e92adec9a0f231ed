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
    """Column-wise bands over sessions (one row per session); None where a column has no value.

    Whole-matrix numpy reductions (one pass per statistic, not one per column: an overlay has ~375 columns)."""
    out = Bands(mean=[], upper=[], lower=[], min=[], max=[])
    if not rows:
        return out
    matrix = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    finite = np.isfinite(matrix)
    counts = finite.sum(axis=0)
    seen = counts > 0
    safe = np.where(seen, counts, 1)
    mean = np.where(finite, matrix, 0.0).sum(axis=0) / safe
    std = np.sqrt((np.where(finite, matrix - mean, 0.0) ** 2).sum(axis=0) / safe)
    low = np.where(finite, matrix, np.inf).min(axis=0)
    high = np.where(finite, matrix, -np.inf).max(axis=0)
    for i in range(matrix.shape[1]):
        if not seen[i]:
            for series in (out["mean"], out["upper"], out["lower"], out["min"], out["max"]):
                series.append(None)
            continue
        m, sd = float(mean[i]), float(std[i])
        out["mean"].append(m)
        out["upper"].append(m + sd)
        out["lower"].append(m - sd)
        out["min"].append(float(low[i]))
        out["max"].append(float(high[i]))
    return out


def _window_correlation(wa: np.ndarray, wb: np.ndarray) -> float | None:
    ok = np.isfinite(wa) & np.isfinite(wb)
    wa, wb = wa[ok], wb[ok]
    if wa.size < 3 or wa.std() == 0 or wb.std() == 0:
        return None
    return float(np.corrcoef(wa, wb)[0, 1])


def rolling_correlation(x: ArrayLike, y: ArrayLike, window: int) -> list[float | None]:
    """Pearson correlation of x and y over each trailing window (None until the window is full or flat).

    Windows of finite, non-constant values are computed together (one numpy pass over all of them); the others
    (a gap, a flat series) one by one, as ``np.corrcoef`` on the finite pairs."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    out: list[float | None] = [None] * min(max(window - 1, 0), a.size)
    if a.size < window or window < 3:
        return out + [
            _window_correlation(a[e - window : e], b[e - window : e]) for e in range(len(out) + 1, a.size + 1)
        ]
    wa = np.lib.stride_tricks.sliding_window_view(a, window)
    wb = np.lib.stride_tricks.sliding_window_view(b, window)
    plain = (
        np.isfinite(wa).all(axis=1)
        & np.isfinite(wb).all(axis=1)
        & (wa.max(axis=1) > wa.min(axis=1))
        & (wb.max(axis=1) > wb.min(axis=1))
    )
    da = wa - wa.mean(axis=1, keepdims=True)
    db = wb - wb.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip((da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1)), -1.0, 1.0)
    for i in range(wa.shape[0]):
        out.append(float(r[i]) if plain[i] else _window_correlation(wa[i], wb[i]))
    return out
