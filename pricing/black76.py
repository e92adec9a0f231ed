"""Black-76 prices and analytic greeks on the forward, discounted at r (docs/conventions.md §2.2)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

FloatArray = NDArray[np.float64]
ONE_OVER_SQRT_TWO_PI = 0.3989422804014326779399460599343818684758586311649
DAYS_PER_YEAR = 365.0
GREEKS = ("delta", "gamma", "theta", "vega", "rho")
CHUNK = 16384


def as_float(value: ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def as_bool(value: ArrayLike) -> NDArray[np.bool_]:
    """is_call as booleans. Strings are refused: numpy would read both "c" and "p" (or "CE", "PE") as True."""
    raw = np.asarray(value)
    if raw.dtype.kind in "USO":
        raise TypeError(f"is_call must be boolean (True for calls), got {raw.dtype} values such as {raw.ravel()[:1]}")
    return raw.astype(bool, copy=False)


def _d1_d2(forward: FloatArray, strike: FloatArray, vol_sqrt_t: FloatArray) -> tuple[FloatArray, FloatArray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.log(forward / strike) / vol_sqrt_t + 0.5 * vol_sqrt_t
    return d1, d1 - vol_sqrt_t


def _price_parts(
    forward: FloatArray, strike: FloatArray, t: FloatArray, r: FloatArray, sigma: FloatArray, is_call: ArrayLike
) -> dict[str, Any]:
    """Price and the intermediate terms the greeks reuse (one pass over the arrays)."""
    call = as_bool(is_call)
    with np.errstate(invalid="ignore"):
        sqrt_t = np.sqrt(np.maximum(t, 0.0))
    vol_sqrt_t = sigma * sqrt_t
    discount = np.exp(-r * np.maximum(t, 0.0))
    d1, d2 = _d1_d2(forward, strike, vol_sqrt_t)
    # Price the out-of-the-money side directly and add the intrinsic value by parity: the time value of a
    # deep in-the-money option then keeps its relative accuracy instead of being a difference of two large terms.
    theta_otm = np.where(strike >= forward, 1.0, -1.0)
    otm = theta_otm * (forward * ndtr(theta_otm * d1) - strike * ndtr(theta_otm * d2))
    sign = np.where(call, 1.0, -1.0)
    intrinsic = np.maximum(sign * (forward - strike), 0.0)
    live = vol_sqrt_t > 0
    price = discount * np.where(live, np.maximum(otm, 0.0) + intrinsic, intrinsic)
    return {
        "call": call,
        "sign": sign,
        "sqrt_t": sqrt_t,
        "discount": discount,
        "d1": d1,
        "d2": d2,
        "live": live,
        "price": price,
    }


def black76_price(
    forward: ArrayLike, strike: ArrayLike, t: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """Black-76 price e^{-rT}[F·N(d1) - K·N(d2)] (call) / e^{-rT}[K·N(-d2) - F·N(-d1)] (put).

    t in years; at t <= 0 or sigma = 0 the (discounted) intrinsic value. Inputs broadcast.
    """
    f, k, tt, rr, sg = (as_float(v) for v in (forward, strike, t, r, sigma))
    return np.asarray(_price_parts(f, k, tt, rr, sg, is_call)["price"], dtype=np.float64)


def _greeks_flat(
    f: FloatArray, k: FloatArray, tt: FloatArray, rr: FloatArray, sg: FloatArray, call: NDArray[np.bool_]
) -> dict[str, FloatArray]:
    parts = _price_parts(f, k, tt, rr, sg, call)
    d1, d2, discount, sqrt_t, price = parts["d1"], parts["d2"], parts["discount"], parts["sqrt_t"], parts["price"]
    pdf_d1 = ONE_OVER_SQRT_TWO_PI * np.exp(-0.5 * d1 * d1)
    call_delta = discount * ndtr(d1)
    delta = np.where(call, call_delta, call_delta - discount)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = discount * pdf_d1 / (f * sg * sqrt_t)
        time_decay = f * discount * pdf_d1 * sg / (2.0 * sqrt_t)
    # Θ = rV - F e^{-rT} φ(d1) sigma/(2√T) for calls and puts alike (the r-terms of §2.2 sum to r·V).
    theta = (rr * price - time_decay) / DAYS_PER_YEAR
    vega = f * discount * pdf_d1 * sqrt_t / 100.0
    rho = -tt * price / 100.0
    live = parts["live"] & np.isfinite(d2)
    return {
        name: np.where(live, value, np.nan)
        for name, value in (("delta", delta), ("gamma", gamma), ("theta", theta), ("vega", vega), ("rho", rho))
    }


def black76_greeks(
    forward: ArrayLike, strike: ArrayLike, t: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> dict[str, FloatArray]:
    """Analytic Black-76 greeks with respect to the forward.

    delta, gamma per unit of F; theta per calendar day (per-year value / 365); vega per vol point (/100);
    rho per percentage point of rate (/100) with F held fixed, i.e. -t·price/100. NaN where t <= 0 or
    sigma <= 0 (the option has no time value left to differentiate).
    """
    arrays = np.broadcast_arrays(
        as_float(forward), as_float(strike), as_float(t), as_float(r), as_float(sigma), as_bool(is_call)
    )
    shape = arrays[0].shape
    flat = [np.ravel(a) for a in arrays]
    size = flat[0].size
    out = {name: np.empty(size) for name in GREEKS}
    # Cache-sized blocks, as in the implied-volatility solver: about twice as fast on large chains.
    for start in range(0, size, CHUNK):
        part = slice(start, start + CHUNK)
        f, k, tt, rr, sg = (a[part] for a in flat[:5])
        for name, value in _greeks_flat(f, k, tt, rr, sg, flat[5][part]).items():
            out[name][part] = value
    return {name: value.reshape(shape) for name, value in out.items()}


SECOND_ORDER = ("vanna", "charm", "vomma", "speed", "zomma", "color")


def _second_order_flat(
    f: FloatArray, k: FloatArray, tt: FloatArray, rr: FloatArray, sg: FloatArray, call: NDArray[np.bool_]
) -> dict[str, FloatArray]:
    parts = _price_parts(f, k, tt, rr, sg, call)
    d1, d2, discount, sqrt_t = parts["d1"], parts["d2"], parts["discount"], parts["sqrt_t"]
    pdf_d1 = ONE_OVER_SQRT_TWO_PI * np.exp(-0.5 * d1 * d1)
    call_delta = discount * ndtr(d1)
    delta = np.where(call, call_delta, call_delta - discount)
    with np.errstate(divide="ignore", invalid="ignore"):
        vol_sqrt_t = sg * sqrt_t
        gamma = discount * pdf_d1 / (f * vol_sqrt_t)
        vega = f * discount * pdf_d1 * sqrt_t  # per unit of sigma here; scaled below
        # ∂d1/∂sigma = -d2/sigma and ∂d1/∂T = -d2/(2T): every formula below follows from these two.
        vanna = -discount * pdf_d1 * d2 / sg
        vomma = vega * d1 * d2 / sg
        speed = -gamma / f * (1.0 + d1 / vol_sqrt_t)
        zomma = gamma * (d1 * d2 - 1.0) / sg
        # Calendar decay, with the sign of theta: minus the derivative in time to expiry.
        charm = rr * delta + discount * pdf_d1 * d2 / (2.0 * tt)
        color = gamma * (rr + (1.0 - d1 * d2) / (2.0 * tt))
    live = parts["live"] & np.isfinite(d2)
    scaled = (
        ("vanna", vanna / 100.0),
        ("charm", charm / DAYS_PER_YEAR),
        ("vomma", vomma / 10000.0),
        ("speed", speed),
        ("zomma", zomma / 100.0),
        ("color", color / DAYS_PER_YEAR),
    )
    return {name: np.where(live, value, np.nan) for name, value in scaled}


def black76_second_order(
    forward: ArrayLike, strike: ArrayLike, t: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> dict[str, FloatArray]:
    """Analytic second-order Black-76 greeks with respect to the forward, in the units of the first-order ones.

    vanna = ∂delta/∂sigma per vol point; charm = delta's change per calendar day (-∂delta/∂T / 365);
    vomma = ∂vega/∂sigma, vega per vol point per vol point; speed = ∂gamma/∂F per unit of F;
    zomma = ∂gamma/∂sigma per vol point; color = gamma's change per calendar day (-∂gamma/∂T / 365).
    Only charm differs between a call and a put. NaN where t <= 0 or sigma <= 0.
    """
    arrays = np.broadcast_arrays(
        as_float(forward), as_float(strike), as_float(t), as_float(r), as_float(sigma), as_bool(is_call)
    )
    shape = arrays[0].shape
    flat = [np.ravel(a) for a in arrays]
    size = flat[0].size
    out = {name: np.empty(size) for name in SECOND_ORDER}
    for start in range(0, size, CHUNK):
        part = slice(start, start + CHUNK)
        f, k, tt, rr, sg = (a[part] for a in flat[:5])
        for name, value in _second_order_flat(f, k, tt, rr, sg, flat[5][part]).items():
            out[name][part] = value
    return {name: value.reshape(shape) for name, value in out.items()}
