"""Dealer gamma exposure (GEX) per strike and net.

Convention (SqueezeMetrics'): dealers are assumed long the calls and short the puts, i.e. the public writes calls and
buys puts, so call gamma counts positive and put gamma negative. GEX(K) = Γ·OI·F²·0.01 in ₹ of delta change per 1 %
move of the forward, with Γ per unit of forward (Black-76) and OI in units. Positive net GEX: dealers dampen moves;
negative: they amplify them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def gamma_exposure(*, gamma: ArrayLike, oi: ArrayLike, is_call: ArrayLike, forward: float | ArrayLike) -> NDArray:
    """Signed GEX per contract; NaN gamma counts as zero exposure."""
    g = np.nan_to_num(np.asarray(gamma, dtype=float))
    q = np.nan_to_num(np.asarray(oi, dtype=float))
    f = np.asarray(forward, dtype=float)
    sign = np.where(np.asarray(is_call, dtype=bool), 1.0, -1.0)
    return sign * g * q * f * f * 0.01


def gex_by_strike(strikes: ArrayLike, exposure: ArrayLike) -> tuple[NDArray, NDArray]:
    """Sum the per-contract exposure per strike: (sorted unique strikes, GEX per strike)."""
    k = np.asarray(strikes, dtype=float)
    unique, index = np.unique(k, return_inverse=True)
    totals = np.zeros(unique.shape, dtype=float)
    np.add.at(totals, index, np.asarray(exposure, dtype=float))
    return unique, totals
