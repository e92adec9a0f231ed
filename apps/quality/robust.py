"""Robust z-scores: the median and the median absolute deviation (MAD) of a window, so one outlier in the
window cannot hide the next (a mean and standard deviation would be dragged by it). Pure Python, no Django.

z = 0.6745 · (x - median) / MAD, where 0.6745 makes z comparable to a standard score for normal data
(Iglewicz and Hoaglin's modified z-score). When MAD is 0 (at least half the window is one value) the mean
absolute deviation · 1.2533 stands in; when that is 0 too, any different x is infinitely far.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

CONSISTENCY = 0.6745
MEAN_AD_TO_SIGMA = 1.2533
MIN_WINDOW = 20
"""Fewer observations than this say too little about what is normal."""


@dataclass(frozen=True)
class RobustScore:
    z: float
    median: float
    mad: float
    n: int


def robust_z(window: Sequence[float], x: float) -> RobustScore | None:
    """The robust z of ``x`` against ``window`` (the observations before it), or None when the window is short."""
    values = [v for v in window if math.isfinite(v)]
    if len(values) < MIN_WINDOW or not math.isfinite(x):
        return None
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    if mad > 0:
        return RobustScore(z=CONSISTENCY * (x - median) / mad, median=median, mad=mad, n=len(values))
    mean_ad = statistics.fmean(abs(v - median) for v in values)
    if mean_ad > 0:
        return RobustScore(z=(x - median) / (MEAN_AD_TO_SIGMA * mean_ad), median=median, mad=0.0, n=len(values))
    z = 0.0 if x == median else math.copysign(math.inf, x - median)
    return RobustScore(z=z, median=median, mad=0.0, n=len(values))
