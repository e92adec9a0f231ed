"""Vectorised rational cubic interpolation (Delbourgo & Gregory), as used by Jäckel's initial guess.

Port of the rationalcubic module of Peter Jäckel's "Let's Be Rational" (www.jaeckel.org):

    Copyright © 2013-2014 Peter Jäckel. Permission to use, copy, modify, and distribute this software is
    freely granted, provided that this notice is preserved. The Software is provided "as is" without
    warranty of any kind.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).tiny)
_HUGE = float(np.finfo(np.float64).max)
R_MIN = -(1.0 - np.sqrt(_EPS))
R_MAX = 2.0 / (_EPS * _EPS)


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator/denominator, with Jäckel's conventions for a vanishing numerator or denominator."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = numerator / denominator
    r = np.where(np.abs(denominator) < _TINY, np.where(numerator > 0, R_MAX, R_MIN), r)
    return np.where(np.abs(numerator) < _TINY, 0.0, r)


def _minimum_parameter(d_l: FloatArray, d_r: FloatArray, s: FloatArray, prefer_shape: bool) -> FloatArray:
    monotonic = (d_l * s >= 0) & (d_r * s >= 0)
    convex = (d_l <= s) & (s <= d_r)
    concave = (d_l >= s) & (s >= d_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(np.abs(s) >= _TINY, (d_r + d_l) / s, R_MAX if prefer_shape else -_HUGE)
        r1 = np.where(monotonic, r1, -_HUGE)
        degenerate = (np.abs(s - d_l) < _TINY) | (np.abs(d_r - s) < _TINY)
        r2_shape = np.maximum(np.abs((d_r - d_l) / (d_r - s)), np.abs((d_r - d_l) / (s - d_l)))
    r2_shape = np.where(degenerate, R_MAX if prefer_shape else -_HUGE, r2_shape)
    r2 = np.where(convex | concave, r2_shape, np.where(monotonic & prefer_shape, R_MAX, -_HUGE))
    result = np.maximum(R_MIN, np.maximum(r1, r2))
    return np.where(~monotonic & ~convex & ~concave, R_MIN, result)


def convex_parameter_right(
    x_l: FloatArray,
    x_r: FloatArray,
    y_l: FloatArray,
    y_r: FloatArray,
    d_l: FloatArray,
    d_r: FloatArray,
    second_derivative_r: FloatArray,
    prefer_shape: bool,
) -> FloatArray:
    """Control parameter matching the second derivative at the right end, kept shape-preserving."""
    h = x_r - x_l
    r = _ratio(0.5 * h * second_derivative_r + (d_r - d_l), d_r - (y_r - y_l) / h)
    return np.maximum(r, _minimum_parameter(d_l, d_r, (y_r - y_l) / h, prefer_shape))


def convex_parameter_left(
    x_l: FloatArray,
    x_r: FloatArray,
    y_l: FloatArray,
    y_r: FloatArray,
    d_l: FloatArray,
    d_r: FloatArray,
    second_derivative_l: FloatArray,
    prefer_shape: bool,
) -> FloatArray:
    """Control parameter matching the second derivative at the left end, kept shape-preserving."""
    h = x_r - x_l
    r = _ratio(0.5 * h * second_derivative_l + (d_r - d_l), (y_r - y_l) / h - d_l)
    return np.maximum(r, _minimum_parameter(d_l, d_r, (y_r - y_l) / h, prefer_shape))


def interpolate(
    x: FloatArray,
    x_l: FloatArray,
    x_r: FloatArray,
    y_l: FloatArray,
    y_r: FloatArray,
    d_l: FloatArray,
    d_r: FloatArray,
    r: FloatArray,
) -> FloatArray:
    """Rational cubic through (x_l, y_l), (x_r, y_r) with end slopes d_l, d_r and control parameter r."""
    h = x_r - x_l
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (x - x_l) / h
        omt = 1.0 - t
        t2 = t * t
        omt2 = omt * omt
        cubic = (y_r * t2 * t + (r * y_r - h * d_r) * t2 * omt + (r * y_l + h * d_l) * t * omt2 + y_l * omt2 * omt) / (
            1.0 + (r - 3.0) * t * omt
        )
    linear = y_r * t + y_l * (1.0 - t)
    value = np.where(r >= R_MAX, linear, cubic)
    return np.where(np.abs(h) <= 0, 0.5 * (y_l + y_r), value)
