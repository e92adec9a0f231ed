"""OI build-up classification per contract (docs/conventions.md §3.3), with a dead band.

ΔP = last - previous close, ΔOI = OI - previous session's closing OI. A contract is "neutral" when
|ΔOI| < 0.5 % of its OI or |ΔP| < 1 tick; otherwise the signs of ΔP and ΔOI pick the label. Missing inputs → "".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

LONG_BUILDUP = "long_buildup"
SHORT_BUILDUP = "short_buildup"
SHORT_COVERING = "short_covering"
LONG_UNWINDING = "long_unwinding"
NEUTRAL = "neutral"
UNKNOWN = ""

OI_DEAD_BAND = 0.005
"""|ΔOI| below this fraction of the current OI is noise."""
PRICE_DEAD_BAND_TICKS = 1.0
"""|ΔP| below this many ticks is noise."""


def classify_buildup(
    price_change: ArrayLike,
    oi_change: ArrayLike,
    oi: ArrayLike,
    tick: ArrayLike,
    *,
    oi_band: float = OI_DEAD_BAND,
    price_band_ticks: float = PRICE_DEAD_BAND_TICKS,
) -> NDArray:
    """Vectorised labels (object array of strings); NaN ΔP or ΔOI gives "" (not computable)."""
    dp = np.asarray(price_change, dtype=float)
    doi = np.asarray(oi_change, dtype=float)
    current = np.asarray(oi, dtype=float)
    ticks = np.asarray(tick, dtype=float)
    dp, doi, current, ticks = np.broadcast_arrays(dp, doi, current, ticks)
    labels = np.full(dp.shape, NEUTRAL, dtype=object)
    known = np.isfinite(dp) & np.isfinite(doi)
    moved = known & (np.abs(doi) >= oi_band * np.abs(current)) & (np.abs(dp) >= price_band_ticks * ticks - 1e-9)
    moved &= (doi != 0) & (dp != 0)
    labels[moved & (dp > 0) & (doi > 0)] = LONG_BUILDUP
    labels[moved & (dp < 0) & (doi > 0)] = SHORT_BUILDUP
    labels[moved & (dp > 0) & (doi < 0)] = SHORT_COVERING
    labels[moved & (dp < 0) & (doi < 0)] = LONG_UNWINDING
    labels[~known] = UNKNOWN
    return labels
