"""Black-76 implied volatility, vectorised, with a reason for every value it cannot give."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pricing._solver import normalised_implied_volatility
from pricing.black76 import as_bool, as_float

FloatArray = NDArray[np.float64]
StrArray = NDArray[np.str_]

OK = ""
NON_FINITE = "non_finite"
INVALID_INPUT = "invalid_input"  # forward or strike not positive
EXPIRED = "expired"
BELOW_INTRINSIC = "below_intrinsic"  # at or below the discounted intrinsic value: no time value to invert
ABOVE_MAXIMUM = "above_maximum"  # at or above e^{-rT}F (call) or e^{-rT}K (put)
NO_CONVERGENCE = "no_convergence"
REASONS = (OK, NON_FINITE, INVALID_INPUT, EXPIRED, BELOW_INTRINSIC, ABOVE_MAXIMUM, NO_CONVERGENCE)
_REASONS = np.array(REASONS, dtype="<U16")
_CODE = {reason: np.int8(code) for code, reason in enumerate(REASONS)}
CHUNK = 16384


def _solve_chunk(
    p: FloatArray, f: FloatArray, k: FloatArray, tt: FloatArray, rr: FloatArray, call: NDArray[np.bool_]
) -> tuple[FloatArray, NDArray[np.int8]]:
    n = p.size
    sigma = np.full(n, np.nan)
    code = np.zeros(n, dtype=np.int8)
    finite = np.isfinite(p) & np.isfinite(f) & np.isfinite(k) & np.isfinite(tt) & np.isfinite(rr)
    code[~finite] = _CODE[NON_FINITE]
    pending = finite
    invalid = pending & ((f <= 0) | (k <= 0))
    code[invalid] = _CODE[INVALID_INPUT]
    pending &= ~invalid
    expired = pending & (tt <= 0)
    code[expired] = _CODE[EXPIRED]
    pending &= ~expired

    idx = np.flatnonzero(pending)
    if idx.size == 0:
        return sigma, code
    fi, ki, ti, ci = f[idx], k[idx], tt[idx], call[idx]
    with np.errstate(all="ignore"):
        undiscounted = p[idx] * np.exp(rr[idx] * ti)
        intrinsic = np.where(ci, np.maximum(fi - ki, 0.0), np.maximum(ki - fi, 0.0))
        maximum = np.where(ci, fi, ki)
        x = -np.abs(np.log(fi / ki))
        beta = (undiscounted - intrinsic) / (np.sqrt(fi) * np.sqrt(ki))
    # Finite inputs can still overflow (e^{rT} for absurd rates): report them as non-finite, not as a solver failure.
    overflow = ~np.isfinite(beta) | ~np.isfinite(x)
    code[idx[overflow]] = _CODE[NON_FINITE]
    below = ~overflow & (beta <= 0)
    above = ~overflow & ~below & ((undiscounted >= maximum) | (beta >= np.exp(0.5 * x)))
    code[idx[below]] = _CODE[BELOW_INTRINSIC]
    code[idx[above]] = _CODE[ABOVE_MAXIMUM]
    solvable = ~overflow & ~below & ~above
    if solvable.any():
        s, converged = normalised_implied_volatility(beta[solvable], x[solvable])
        target = idx[solvable]
        good = converged & np.isfinite(s) & (s > 0)
        sigma[target[good]] = s[good] / np.sqrt(ti[solvable][good])
        code[target[~good]] = _CODE[NO_CONVERGENCE]
    return sigma, code


def _solve(
    price: ArrayLike, forward: ArrayLike, strike: ArrayLike, t: ArrayLike, r: ArrayLike, is_call: ArrayLike
) -> tuple[FloatArray, NDArray[np.int8], tuple[int, ...]]:
    arrays = np.broadcast_arrays(
        as_float(price), as_float(forward), as_float(strike), as_float(t), as_float(r), as_bool(is_call)
    )
    shape = arrays[0].shape
    p, f, k, tt, rr = (np.ravel(a) for a in arrays[:5])
    call = np.ravel(arrays[5])
    sigma = np.empty(p.size)
    code = np.empty(p.size, dtype=np.int8)
    # Blocks that fit in the L2 cache: the solver makes many passes, and this halves the time on 100k options.
    # Extreme but finite inputs may overflow on the way; each element's reason code reports the outcome instead.
    with np.errstate(all="ignore"):
        for start in range(0, p.size, CHUNK):
            part = slice(start, start + CHUNK)
            sigma[part], code[part] = _solve_chunk(p[part], f[part], k[part], tt[part], rr[part], call[part])
    return sigma, code, shape


def implied_volatility_with_reason(
    price: ArrayLike, forward: ArrayLike, strike: ArrayLike, t: ArrayLike, r: ArrayLike, is_call: ArrayLike
) -> tuple[FloatArray, StrArray]:
    """Implied sigma per option and why it is NaN where it is ("" where it is not). Never raises on bad values."""
    sigma, code, shape = _solve(price, forward, strike, t, r, is_call)
    return sigma.reshape(shape), _REASONS[code].reshape(shape)


def implied_volatility(
    price: ArrayLike, forward: ArrayLike, strike: ArrayLike, t: ArrayLike, r: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """Black-76 implied volatility (annualised, t in years); NaN where no volatility reproduces the price.

    is_call is a boolean (array). Accurate to about 1e-12 in sigma wherever the option has a tick of time value.
    """
    sigma, _, shape = _solve(price, forward, strike, t, r, is_call)
    return sigma.reshape(shape)
