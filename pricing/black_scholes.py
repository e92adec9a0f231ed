"""Black-Scholes on the spot at a fixed rate: the IV convention of NSE's option chain (docs/conventions.md §2.1).

NSE's option chain solves Black-Scholes on the spot index with a constant 10 % rate and no dividends.
That equals Black-76 on the synthetic forward S·e^{rT}, so both functions delegate to the Black-76 code.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing.black76 import as_float, black76_price
from pricing.implied_vol import implied_volatility

FloatArray = NDArray[np.float64]
NSE_RATE = 0.10


def _synthetic_forward(spot: ArrayLike, t: ArrayLike, r: ArrayLike) -> FloatArray:
    return np.asarray(as_float(spot) * np.exp(as_float(r) * np.maximum(as_float(t), 0.0)), dtype=np.float64)


def bs_price(
    spot: ArrayLike, strike: ArrayLike, t: ArrayLike, sigma: ArrayLike, is_call: ArrayLike, r: ArrayLike = NSE_RATE
) -> FloatArray:
    """Black-Scholes price on the spot (no dividends), t in years, r continuously compounded."""
    return black76_price(_synthetic_forward(spot, t, r), strike, t, r, sigma, is_call)


def bs_implied_volatility(
    price: ArrayLike, spot: ArrayLike, strike: ArrayLike, t: ArrayLike, is_call: ArrayLike, r: ArrayLike = NSE_RATE
) -> FloatArray:
    """Black-Scholes implied volatility on the spot; NaN where no volatility reproduces the price."""
    return implied_volatility(price, _synthetic_forward(spot, t, r), strike, t, r, is_call)
