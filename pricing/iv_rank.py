"""IV rank and IV percentile over a constant-maturity IV series (docs/conventions.md §3.4).

The series is ordered oldest to newest and its last value is today; its length L is the lookback
(252 sessions by docs/conventions.md §3.4), today included. Non-finite history values are ignored.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from pricing.black76 import as_float


def iv_rank(series: ArrayLike) -> float:
    """100·(IV_t - min)/(max - min) over the whole series, today included; NaN if flat or today is missing."""
    values = as_float(series).ravel()
    if values.size == 0 or not math.isfinite(values[-1]):
        return math.nan
    window = values[np.isfinite(values)]
    low, high = float(window.min()), float(window.max())
    if high <= low:
        return math.nan
    return 100.0 * (float(values[-1]) - low) / (high - low)


def iv_percentile(series: ArrayLike) -> float:
    """100·#{previous values strictly below today}/(number of previous values); NaN without history."""
    values = as_float(series).ravel()
    if values.size < 2 or not math.isfinite(values[-1]):
        return math.nan
    previous = values[:-1]
    previous = previous[np.isfinite(previous)]
    if previous.size == 0:
        return math.nan
    return 100.0 * float(np.count_nonzero(previous < values[-1])) / previous.size
