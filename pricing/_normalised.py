"""The normalised Black function b(x, s) and its vega, vectorised.

With x = ln(F/K) and s = sigma*sqrt(T), an undiscounted Black call divided by sqrt(F*K) is

    b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2).

Everything the implied-volatility solver needs is expressed through b for out-of-the-money calls
(x <= 0); in-the-money options and puts are mapped there by put-call parity. The evaluation regions
follow Peter Jäckel, "Let's Be Rational" (2013-2014, www.jaeckel.org), whose notice is preserved here:

    Copyright © 2013-2014 Peter Jäckel. Permission to use, copy, modify, and distribute this software is
    freely granted, provided that this notice is preserved. The Software is provided "as is" without
    warranty of any kind.

Jäckel's 17th-order asymptotic expansion (for h < -10, i.e. normalised prices below ~1e-22) is not
ported: those prices are far below one tick, and the erfcx form is used there instead.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import erfcx, ndtr

FloatArray = NDArray[np.float64]

ONE_OVER_SQRT_TWO = 0.7071067811865475244008443621048490392848359376887
ONE_OVER_SQRT_TWO_PI = 0.3989422804014326779399460599343818684758586311649
SQRT_TWO_PI = 2.506628274631000502415765284811045253006986740610
DBL_EPSILON = float(np.finfo(np.float64).eps)
# Below t = s/2 < 2*eps^(1/16) ≈ 0.21 the small-t series is more accurate than differencing two erfcx values.
SMALL_T_THRESHOLD = 2.0 * DBL_EPSILON**0.0625
TAIL_H = -8.0


def normalised_vega(x: FloatArray, s: FloatArray) -> FloatArray:
    """db/ds = φ(x/s + s/2)·e^{x/2} = exp(-(h² + t²)/2)/√(2π)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        h = x / s
        t = 0.5 * s
        v = ONE_OVER_SQRT_TWO_PI * np.exp(-0.5 * (h * h + t * t))
    # At the money (x = 0) the limit s -> 0 is 1/√(2π), not 0: the ATM initial guess starts there.
    return np.where(x == 0, ONE_OVER_SQRT_TWO_PI * np.exp(-0.125 * s * s), np.where(s > 0, v, 0.0))


def normalised_intrinsic_call(x: FloatArray) -> FloatArray:
    """max(e^{x/2} - e^{-x/2}, 0) computed without cancellation for small |x|."""
    x2 = x * x
    series = x * (1.0 + x2 * (1.0 / 24.0 + x2 * (1.0 / 1920.0 + x2 * (1.0 / 322560.0 + x2 / 92897280.0))))
    direct = 2.0 * np.sinh(0.5 * x)
    value = np.where(x2 < 98.0 * DBL_EPSILON**0.25, series, direct)
    return np.maximum(value, 0.0)


def small_t_expansion(h: FloatArray, t: FloatArray) -> FloatArray:
    """Jäckel's twelfth-order expansion of Y(h+t) - Y(h-t) in t, for h <= 0 and small t."""
    a = 1.0 + h * (0.5 * SQRT_TWO_PI) * erfcx(-ONE_OVER_SQRT_TWO * h)
    w = t * t
    h2 = h * h
    c6 = (-89055 + 135135 * a + h2 * (-82845 + 270270 * a + h2 * (-20370 + 135135 * a + h2 * (
        -1926 + 25740 * a + h2 * (-75 + 2145 * a + h2 * (-1 + 78 * a + a * h2)))))) / 6227020800.0  # fmt: skip
    c5 = (-6555 + 10395 * a + h2 * (-4680 + 17325 * a + h2 * (-840 + 6930 * a + h2 * (
        -52 + 990 * a + h2 * (-1 + 55 * a + a * h2))))) / 39916800.0  # fmt: skip
    c4 = (-561 + 945 * a + h2 * (-285 + 1260 * a + h2 * (-33 + 378 * a + h2 * (-1 + 36 * a + a * h2)))) / 362880.0
    c3 = (-57 + 105 * a + h2 * (-18 + 105 * a + h2 * (-1 + 21 * a + a * h2))) / 5040.0
    c2 = (-7 + 15 * a + h2 * (-1 + 10 * a + a * h2)) / 120.0
    c1 = (-1 + 3 * a + a * h2) / 6.0
    expansion = 2.0 * t * (a + w * (c1 + w * (c2 + w * (c3 + w * (c4 + w * (c5 + w * c6))))))
    b = ONE_OVER_SQRT_TWO_PI * np.exp(-0.5 * (h * h + t * t)) * expansion
    return np.abs(np.maximum(b, 0.0))


def _using_erfcx(h: FloatArray, t: FloatArray) -> FloatArray:
    """b = ½·exp(-(h²+t²)/2)·[erfcx(-(h+t)/√2) - erfcx(-(h-t)/√2)]: one exponential, no tail underflow."""
    b = (
        0.5
        * np.exp(-0.5 * (h * h + t * t))
        * (erfcx(-ONE_OVER_SQRT_TWO * (h + t)) - erfcx(-ONE_OVER_SQRT_TWO * (h - t)))
    )
    return np.abs(np.maximum(b, 0.0))


def _using_ndtr(x: FloatArray, s: FloatArray) -> FloatArray:
    """Plain form; the most accurate when the first term dominates (h + t > 0.85)."""
    h = x / s
    t = 0.5 * s
    b_max = np.exp(0.5 * x)
    b = ndtr(h + t) * b_max - ndtr(h - t) / b_max
    return np.abs(np.maximum(b, 0.0))


def normalised_black_otm_call(x: FloatArray, s: FloatArray) -> FloatArray:
    """b(x, s) for x <= 0 (out-of-the-money call), s >= 0; 1-D float arrays of equal length.

    The plain N(·) form is used except in the far tail (h = x/s < -8), where the erfcx form avoids
    underflow. Both lose relative accuracy in b as t = s/2 -> 0 (about eps·max(1,|h|)/t), but the implied
    s inherits only an absolute error of order eps, because the sensitivity of s to relative changes of b
    shrinks in the same proportion (s·b'/b ≈ max(1, h²)); this is why Jäckel's small-t series is not needed
    for 1e-10 accuracy in sigma and is kept only as a reference (``small_t_expansion``).
    """
    out = np.zeros_like(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = x / s
    positive = s > 0
    tail = positive & (h < TAIL_H)
    body = positive & ~tail
    if tail.all():
        return _using_erfcx(h, 0.5 * s)
    if body.all():
        return _using_ndtr(x, s)
    if tail.any():
        out[tail] = _using_erfcx(h[tail], 0.5 * s[tail])
    if body.any():
        out[body] = _using_ndtr(x[body], s[body])
    return out
