"""25-delta risk reversal and butterfly with forward, undiscounted deltas (docs/conventions.md §3.7).

RR25 = sigma(Δc = +0.25) - sigma(Δp = -0.25); BF25 = (sigma25c + sigma25p)/2 - sigma_ATM.
IV is interpolated linearly in delta between
listed strikes; no extrapolation beyond the quoted deltas (the value is None then).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr


def forward_delta(forward: float, strikes: ArrayLike, t: float, sigma: ArrayLike, *, is_call: bool) -> NDArray:
    """Undiscounted Black-76 delta: N(d1) for calls, N(d1) - 1 for puts; NaN where sigma or t is not positive."""
    k = np.asarray(strikes, dtype=float)
    vol = np.asarray(sigma, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = vol * np.sqrt(t)
        d1 = (np.log(forward / k) + 0.5 * sd * sd) / sd
        delta = ndtr(d1) if is_call else ndtr(d1) - 1.0
    return np.where((vol > 0) & (t > 0) & np.isfinite(vol), delta, np.nan)


def iv_at_delta(deltas: ArrayLike, ivs: ArrayLike, target: float) -> float | None:
    """IV at ``target`` delta by linear interpolation between the two bracketing points, or None if not bracketed."""
    d = np.asarray(deltas, dtype=float)
    v = np.asarray(ivs, dtype=float)
    ok = np.isfinite(d) & np.isfinite(v)
    d, v = d[ok], v[ok]
    if d.size == 0 or target < d.min() or target > d.max():
        return None
    order = np.argsort(d, kind="stable")
    return float(np.interp(target, d[order], v[order]))


def risk_reversal_butterfly(
    *,
    strikes: ArrayLike,
    call_iv: ArrayLike,
    put_iv: ArrayLike,
    forward: float,
    t: float,
    atm_iv: float | None,
    target: float = 0.25,
) -> tuple[float | None, float | None]:
    """(RR, BF) at ``target`` delta from per-strike call and put IVs (NaN where unsolved)."""
    k = np.asarray(strikes, dtype=float)
    civ = np.asarray(call_iv, dtype=float)
    piv = np.asarray(put_iv, dtype=float)
    sigma_call = iv_at_delta(forward_delta(forward, k, t, civ, is_call=True), civ, target)
    sigma_put = iv_at_delta(forward_delta(forward, k, t, piv, is_call=False), piv, -target)
    if sigma_call is None or sigma_put is None:
        return None, None
    rr = sigma_call - sigma_put
    bf = None if atm_iv is None or not np.isfinite(atm_iv) else (sigma_call + sigma_put) / 2.0 - atm_iv
    return rr, bf
