"""A tiny vectorised Black-76 pricer for the simulated market (the analytics package has its own).

``F`` forward, ``K`` strike, ``T`` years, ``r`` continuously compounded rate, ``sigma`` volatility (decimal).
At or after expiry (T <= 0) the price is the intrinsic value. Pure numpy/scipy, no Django.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr


def black76_price(
    forward: ArrayLike, strike: float, years: ArrayLike, rate: float, sigma: ArrayLike, *, is_call: bool
) -> NDArray[np.float64]:
    f = np.asarray(forward, dtype=float)
    t = np.maximum(np.asarray(years, dtype=float), 0.0)
    vol = np.maximum(np.asarray(sigma, dtype=float), 1e-6)
    intrinsic = np.maximum(f - strike, 0.0) if is_call else np.maximum(strike - f, 0.0)
    sqrt_t = np.sqrt(np.maximum(t, 1e-12))
    d1 = (np.log(f / strike) + 0.5 * vol * vol * t) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    discount = np.exp(-rate * t)
    if is_call:
        price = discount * (f * ndtr(d1) - strike * ndtr(d2))
    else:
        price = discount * (strike * ndtr(-d2) - f * ndtr(-d1))
    result: NDArray[np.float64] = np.where(t > 0, price, intrinsic)
    return result
