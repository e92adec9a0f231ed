"""Constant-maturity ATM IV: interpolate in total variance between the expiries around the target maturity."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

THIRTY_DAYS = 30.0 / 365.0


def constant_maturity_iv(points: Sequence[tuple[float, float]], target: float = THIRTY_DAYS) -> float | None:
    """sigma at ``target`` years from (t, sigma) pairs.

    Between two expiries t1 ≤ target ≤ t2: w = sigma²t is interpolated linearly in t and sigma = √(w/target).
    Outside the listed range the nearest expiry's sigma is used (flat extrapolation). None with no usable point.
    """
    usable = sorted((t, s) for t, s in points if t > 0 and s is not None and math.isfinite(s) and s > 0)
    if not usable:
        return None
    if target <= usable[0][0]:
        return usable[0][1]
    if target >= usable[-1][0]:
        return usable[-1][1]
    for (t1, s1), (t2, s2) in itertools.pairwise(usable):
        if t1 <= target <= t2:
            if t2 == t1:
                return s1
            w1, w2 = s1 * s1 * t1, s2 * s2 * t2
            w = w1 + (w2 - w1) * (target - t1) / (t2 - t1)
            return math.sqrt(max(w, 0.0) / target)
    return None  # pragma: no cover - the loop always brackets a target inside the range
