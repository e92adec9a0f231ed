"""Normalised implied volatility s = sigma√T from a normalised out-of-the-money price, vectorised.

Vectorised port of the algorithm of Peter Jäckel, "Let's Be Rational" (Wilmott 2015; code at
www.jaeckel.org), whose notice is preserved:

    Copyright © 2013-2014 Peter Jäckel. Permission to use, copy, modify, and distribute this software is
    freely granted, provided that this notice is preserved. The Software is provided "as is" without
    warranty of any kind.

The price axis is cut into four segments around the inflection point s_c = √(2|x|). On each segment a
rational cubic interpolation of s(β) (or of a transformed map) gives an initial guess already good to a
few digits; third-order Householder steps on an objective chosen per segment (1/ln b in the lowest,
ln(b_max - b) in the highest, b itself in the middle) then reach machine precision, usually in two
steps. Every element keeps a bracket [lo, hi]; a step that leaves it is replaced by bisection, so the
loop cannot diverge. Elements are compacted as they converge, so the last iterations are cheap.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from pricing import _rational_cubic as rc
from pricing._normalised import (
    DBL_EPSILON,
    ONE_OVER_SQRT_TWO_PI,
    normalised_black_otm_call,
    normalised_vega,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

SQRT_THREE = 1.732050807568877293527446341505872366942805253810
TWO_PI = 6.283185307179586476925286766559005768394338798750
TWO_PI_OVER_SQRT_27 = 1.209199576156145233729385505094770488189377498728
PI_OVER_SIX = 0.523598775598298873077107230546583814032861566563
SQRT_PI_OVER_TWO = 1.253314137315500251207882642405522626503493370305
_TINY = float(np.finfo(np.float64).tiny)

LOWER, MIDDLE, UPPER = 0, 1, 2
# A Householder(3) step of relative size below STEP_TOLERANCE leaves an error of order STEP_TOLERANCE^4.
STEP_TOLERANCE = 1e-7
MAX_ITERATIONS = 64
# b(x, s) equals b_max in double precision long before s = 80 for any x; the upper bracket ends there.
S_CEILING = 80.0


def _f_lower_map(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    ax = np.abs(x)
    z = ax / (SQRT_THREE * s)
    y = z * z
    s2 = s * s
    big_phi = ndtr(-z)
    small_phi = ONE_OVER_SQRT_TWO_PI * np.exp(-0.5 * z * z)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fpp = (
            PI_OVER_SIX
            * y
            / (s2 * s)
            * big_phi
            * (8 * SQRT_THREE * s * ax + (3 * s2 * (s2 - 8) - 8 * x * x) * big_phi / small_phi)
            * np.exp(2 * y + 0.25 * s2)
        )
        fp = TWO_PI * y * big_phi * big_phi * np.exp(y + 0.125 * s2)
    f = TWO_PI_OVER_SQRT_27 * ax * big_phi**3
    return f, fp, fpp


def _f_upper_map(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    f = ndtr(-0.5 * s)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        w = (x / s) ** 2
        fp = -0.5 * np.exp(0.5 * w)
        fpp = SQRT_PI_OVER_TWO * np.exp(w + 0.125 * s * s) * w / s
    return f, fp, fpp


def _initial_guess(beta: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int8]]:
    """Return (s0, lo, hi, objective kind) per element; x <= 0 and 0 < beta < e^{x/2}."""
    n = beta.size
    s = np.empty(n)
    lo = np.full(n, _TINY)
    hi = np.full(n, S_CEILING)
    kind = np.full(n, MIDDLE, dtype=np.int8)
    b_max = np.exp(0.5 * x)
    s_c = np.sqrt(np.abs(2.0 * x))
    b_c = normalised_black_otm_call(x, s_c)
    v_c = normalised_vega(x, s_c)

    lower = np.flatnonzero(beta < b_c)
    if lower.size:
        xl, bl_beta, sc, bc, vc = x[lower], beta[lower], s_c[lower], b_c[lower], v_c[lower]
        s_l = sc - bc / vc
        b_l = normalised_black_otm_call(xl, s_l)
        lowest = bl_beta < b_l
        idx = lower[lowest]
        if idx.size:
            xx, bb, sl, bl = xl[lowest], bl_beta[lowest], s_l[lowest], b_l[lowest]
            f_l, fp_l, fpp_l = _f_lower_map(xx, sl)
            zero, one = np.zeros_like(bb), np.ones_like(bb)
            r_ll = rc.convex_parameter_right(zero, bl, zero, f_l, one, fp_l, fpp_l, True)
            f = rc.interpolate(bb, zero, bl, zero, f_l, one, fp_l, r_ll)
            ratio = bb / bl
            f = np.where(f > 0, f, (f_l * ratio + bl * (1 - ratio)) * ratio)
            with np.errstate(divide="ignore", invalid="ignore"):
                s[idx] = np.abs(xx / (SQRT_THREE * ndtri(np.cbrt(f / (TWO_PI_OVER_SQRT_27 * np.abs(xx))))))
            hi[idx] = sl
            kind[idx] = LOWER
        mid = ~lowest
        idx = lower[mid]
        if idx.size:
            xx, bb, sl, bl, sc_m, bc_m, vc_m = xl[mid], bl_beta[mid], s_l[mid], b_l[mid], sc[mid], bc[mid], vc[mid]
            v_l = normalised_vega(xx, sl)
            r_lm = rc.convex_parameter_right(bl, bc_m, sl, sc_m, 1 / v_l, 1 / vc_m, np.zeros_like(bb), False)
            s[idx] = rc.interpolate(bb, bl, bc_m, sl, sc_m, 1 / v_l, 1 / vc_m, r_lm)
            lo[idx] = sl
            hi[idx] = sc_m

    upper = np.flatnonzero(beta >= b_c)
    if upper.size:
        xu, bu, sc, bc, vc, bm = x[upper], beta[upper], s_c[upper], b_c[upper], v_c[upper], b_max[upper]
        s_h = np.where(vc > _TINY, sc + (bm - bc) / vc, sc)
        b_h = normalised_black_otm_call(xu, s_h)
        mid = bu <= b_h
        idx = upper[mid]
        if idx.size:
            xx, bb, sh, bh, sc_m, bc_m, vc_m = xu[mid], bu[mid], s_h[mid], b_h[mid], sc[mid], bc[mid], vc[mid]
            v_h = normalised_vega(xx, sh)
            r_hm = rc.convex_parameter_left(bc_m, bh, sc_m, sh, 1 / vc_m, 1 / v_h, np.zeros_like(bb), False)
            s[idx] = rc.interpolate(bb, bc_m, bh, sc_m, sh, 1 / vc_m, 1 / v_h, r_hm)
            lo[idx] = sc_m
            hi[idx] = sh
        top = ~mid
        idx = upper[top]
        if idx.size:
            xx, bb, sh, bh, bmax = xu[top], bu[top], s_h[top], b_h[top], bm[top]
            f_h, fp_h, fpp_h = _f_upper_map(xx, sh)
            zero = np.zeros_like(bb)
            half = np.full_like(bb, -0.5)
            r_hh = rc.convex_parameter_left(bh, bmax, f_h, zero, fp_h, half, fpp_h, True)
            f = rc.interpolate(bb, bh, bmax, f_h, zero, fp_h, half, r_hh)
            f = np.where(np.isfinite(fpp_h), f, -1.0)
            width = bmax - bh
            frac = (bb - bh) / width
            f = np.where(f > 0, f, (f_h * (1 - frac) + 0.5 * width * frac) * (1 - frac))
            s[idx] = -2.0 * ndtri(f)
            lo[idx] = sh
            hi[idx] = np.maximum(S_CEILING, 2.0 * sh)
            kind[idx] = np.where(bb > 0.5 * bmax, UPPER, MIDDLE)
    return s, lo, hi, kind


def _householder_step(
    kind: NDArray[np.int8], x: FloatArray, s: FloatArray, beta: FloatArray, b: FloatArray, bp: FloatArray
) -> FloatArray:
    """Householder(3) step for the objective of each element's segment; NaN where it cannot be taken."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        h = x / s
        b_halley = h * h / s - 0.25 * s
        b_hh3 = b_halley * b_halley - 3.0 * (h / s) ** 2 - 0.25
        newton = (beta - b) / bp
        halley = b_halley
        hh3 = b_hh3

        lower = kind == LOWER
        if lower.any():
            ln_b = np.log(b)
            ln_beta = np.log(beta)
            bpob = bp / b
            n_lower = (ln_beta - ln_b) * ln_b / ln_beta / bpob
            h_lower = b_halley - bpob * (1 + 2 / ln_b)
            hh3_lower = b_hh3 + 2 * bpob * bpob * (1 + 3 / ln_b * (1 + 1 / ln_b)) - 3 * b_halley * bpob * (1 + 2 / ln_b)
            ok = (b > 0) & (bp > 0)
            newton = np.where(lower, np.where(ok, n_lower, np.nan), newton)
            halley = np.where(lower, h_lower, halley)
            hh3 = np.where(lower, hh3_lower, hh3)

        upper = kind == UPPER
        if upper.any():
            b_max = np.exp(0.5 * x)
            gap = b_max - b
            g = np.log((b_max - beta) / gap)
            gp = bp / gap
            ok = (b < b_max) & (bp > _TINY)
            newton = np.where(upper, np.where(ok, -g / gp, np.nan), newton)
            halley = np.where(upper, b_halley + gp, halley)
            hh3 = np.where(upper, b_hh3 + gp * (2 * gp + 3 * b_halley), hh3)

        factor = (1 + 0.5 * halley * newton) / (1 + newton * (halley + hh3 * newton / 6))
        return newton * factor


def normalised_implied_volatility(beta: FloatArray, x: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Solve b(x, s) = beta for s; x <= 0, 0 < beta < e^{x/2}. Returns (s, converged)."""
    s, lo, hi, kind = _initial_guess(beta, x)
    converged = np.zeros(beta.size, dtype=bool)
    active = np.arange(beta.size)
    for iteration in range(MAX_ITERATIONS):
        if active.size == 0:
            break
        si, loi, hii = s[active], lo[active], hi[active]
        xi, betai, kindi = x[active], beta[active], kind[active]
        inside = (si > loi) & (si < hii)
        if iteration == 0:
            inside |= np.isfinite(si) & (si > 0)
        si = np.where(inside, si, 0.5 * (loi + hii))
        b = normalised_black_otm_call(xi, si)
        bp = normalised_vega(xi, si)
        hii = np.where((b > betai) & (si < hii), si, hii)
        loi = np.where((b < betai) & (si > loi), si, loi)
        ds = _householder_step(kindi, xi, si, betai, b, bp)
        bisect = ~np.isfinite(ds)
        ds = np.where(bisect, 0.5 * (loi + hii) - si, ds)
        ds = np.maximum(-0.5 * si, ds)
        done = (~bisect & (np.abs(ds) <= STEP_TOLERANCE * si)) | (hii - loi <= 4 * DBL_EPSILON * si) | (b == betai)
        s[active] = si + ds
        lo[active] = loi
        hi[active] = hii
        converged[active[done]] = True
        active = active[~done]
    return s, converged
