"""Greek exposures by strike and the gamma flip, under the sign convention of GEX (apps.analytics.metrics.gex):
call exposure positive, put exposure negative, weighted by OI in units.

delta exposure = sign·delta·OI·F (₹ of underlying); gamma = sign·gamma·OI·F²·0.01 (₹ of delta per 1 % move);
vanna = sign·vanna·OI·F (₹ of delta per vol point); charm = sign·charm·OI·F (₹ of delta per calendar day).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing import black76_greeks

FLIP_RANGE = 0.10
"""The gamma flip is searched within ±10 % of the forward."""


def signed(values: ArrayLike, is_call: ArrayLike) -> NDArray:
    return np.where(np.asarray(is_call, dtype=bool), 1.0, -1.0) * np.nan_to_num(np.asarray(values, dtype=float))


def net_gamma_at(
    levels: ArrayLike, *, strikes: ArrayLike, oi: ArrayLike, is_call: ArrayLike, ivs: ArrayLike, t: float, r: float
) -> NDArray:
    """Net GEX if the forward were at each level, every option keeping its own IV (sticky strike)."""
    f = np.asarray(levels, dtype=float)[:, None]
    gamma = black76_greeks(f, np.asarray(strikes, dtype=float)[None, :], t, r, np.asarray(ivs)[None, :], is_call)[
        "gamma"
    ]
    exposure = signed(gamma, np.broadcast_to(np.asarray(is_call, dtype=bool), gamma.shape)) * np.asarray(oi)[None, :]
    return np.asarray((exposure * f * f * 0.01).sum(axis=1), dtype=float)


def gamma_flip(
    *, forward: float, strikes: ArrayLike, oi: ArrayLike, is_call: ArrayLike, ivs: ArrayLike, t: float, r: float
) -> float | None:
    """The forward level nearest the current one where net GEX changes sign (linear between 401 levels over
    ±10 %), or None when it keeps one sign over the range."""
    iv = np.asarray(ivs, dtype=float)
    ok = np.isfinite(iv) & (iv > 0)
    if not ok.any() or t <= 0:
        return None
    levels = np.linspace(forward * (1 - FLIP_RANGE), forward * (1 + FLIP_RANGE), 401)
    net = net_gamma_at(
        levels,
        strikes=np.asarray(strikes, dtype=float)[ok],
        oi=np.asarray(oi, dtype=float)[ok],
        is_call=np.asarray(is_call, dtype=bool)[ok],
        ivs=iv[ok],
        t=t,
        r=r,
    )
    crossings = np.flatnonzero(np.sign(net[:-1]) * np.sign(net[1:]) < 0)
    if not crossings.size:
        return None
    roots = [levels[i] - net[i] * (levels[i + 1] - levels[i]) / (net[i + 1] - net[i]) for i in crossings]
    return float(min(roots, key=lambda x: abs(x - forward)))
