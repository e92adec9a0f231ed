"""Second-order Black-76 greeks: each analytic formula against a finite difference of a first-order greek."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pricing import SECOND_ORDER, black76_greeks, black76_price, black76_second_order
from tests.pricing.strategies import forwards, rates, sides

fd_years = st.floats(min_value=math.log(2 / 365), max_value=math.log(3.0)).map(math.exp)
fd_vols = st.floats(min_value=0.05, max_value=1.5)


@settings(max_examples=300, deadline=None)
@given(forwards, st.floats(min_value=-0.4, max_value=0.4), fd_years, rates, fd_vols, sides)
def test_they_equal_central_differences_of_the_first_order_greeks(
    f: float, m: float, t: float, r: float, sigma: float, call: bool
) -> None:
    k = f * math.exp(m)
    # Options with time value only: deep in the money the price is all intrinsic, the greeks are ~1e-287 and the
    # finite differences of functions like e^(-d^2/2) with d ~ 40 carry truncation errors above 1e-5 (the tails
    # are rounding noise, as for the implied-vol accuracy, which is promised where there is time value).
    intrinsic = math.exp(-r * t) * max((f - k) if call else (k - f), 0.0)
    assume(float(black76_price(f, k, t, r, sigma, call)) - intrinsic > 1e-4 * f)

    def greek(name: str, **change: float) -> float:
        args = {"forward": f, "t": t, "sigma": sigma} | change
        return float(black76_greeks(args["forward"], k, args["t"], r, args["sigma"], call)[name])

    def derivative(name: str, variable: str, h: float) -> float:
        """Five-point central difference of a first-order greek (truncation error O(h^4))."""
        x = {"forward": f, "t": t, "sigma": sigma}[variable]
        at = {step: greek(name, **{variable: x + step * h}) for step in (-2, -1, 1, 2)}
        return (8 * (at[1] - at[-1]) - (at[2] - at[-2])) / (12 * h)

    hf, ht, hs = 1e-3 * f * sigma * math.sqrt(t), 1e-4 * t, 1e-4 * sigma
    s = black76_second_order(f, k, t, r, sigma, call)
    gamma = greek("gamma")
    delta_scale = math.exp(-r * t)  # |delta| <= e^{-rT}: the absolute floor of every delta-based difference
    vega = greek("vega")
    # Tolerances: relative 1e-5, plus an absolute floor of the noise of the first-order greek over the step.
    assert float(s["vanna"]) == pytest.approx(derivative("delta", "sigma", hs) / 100, rel=1e-5, abs=1e-12 / hs)
    assert float(s["charm"]) == pytest.approx(
        -derivative("delta", "t", ht) / 365, rel=1e-5, abs=1e-13 * delta_scale / ht
    )
    assert float(s["vomma"]) == pytest.approx(derivative("vega", "sigma", hs) / 100, rel=1e-5, abs=1e-13 * vega / hs)
    assert float(s["speed"]) == pytest.approx(derivative("gamma", "forward", hf), rel=1e-5, abs=1e-13 * gamma / hf)
    assert float(s["zomma"]) == pytest.approx(derivative("gamma", "sigma", hs) / 100, rel=1e-5, abs=1e-13 * gamma / hs)
    assert float(s["color"]) == pytest.approx(-derivative("gamma", "t", ht) / 365, rel=1e-5, abs=1e-13 * gamma / ht)


def test_they_match_the_closed_forms_at_the_money() -> None:
    # F = K, sigma = 20 %, T = 0.25: d1 = 0.05, d2 = -0.05.
    f, t, r, sigma = 22800.0, 0.25, 0.06, 0.20
    d1, d2 = 0.05, -0.05
    disc = math.exp(-r * t)
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    gamma = disc * pdf / (f * sigma * 0.5)
    s = black76_second_order(f, f, t, r, sigma, True)
    assert float(s["vanna"]) == pytest.approx(-disc * pdf * d2 / sigma / 100, rel=1e-12)
    assert float(s["vomma"]) == pytest.approx(f * disc * pdf * 0.5 * d1 * d2 / sigma / 1e4, rel=1e-12)
    assert float(s["speed"]) == pytest.approx(-gamma / f * (1 + d1 / (sigma * 0.5)), rel=1e-12)
    assert float(s["zomma"]) == pytest.approx(gamma * (d1 * d2 - 1) / sigma / 100, rel=1e-12)
    assert float(s["color"]) == pytest.approx(gamma * (r + (1 - d1 * d2) / (2 * t)) / 365, rel=1e-12)
    put = black76_second_order(f, f, t, r, sigma, False)
    # Only charm differs between the legs: by r·e^{-rT}/365 (the derivative of parity's delta gap e^{-rT}).
    assert float(s["charm"]) - float(put["charm"]) == pytest.approx(r * disc / 365, rel=1e-10)
    for name in ("vanna", "vomma", "speed", "zomma", "color"):
        assert float(s[name]) == pytest.approx(float(put[name]), rel=1e-14)


def test_they_broadcast_and_are_undefined_without_time_value() -> None:
    out = black76_second_order(22800.0, np.array([[22500.0, 23100.0]]), 7 / 365, 0.055, 0.14, [[True], [False]])
    assert {name: value.shape for name, value in out.items()} == dict.fromkeys(SECOND_ORDER, (2, 2))
    expired = black76_second_order(22800.0, 22500.0, 0.0, 0.055, 0.2, True)
    assert all(math.isnan(float(value)) for value in expired.values())
    with pytest.raises(TypeError, match="is_call must be boolean"):
        black76_second_order(22800.0, 23000.0, 0.1, 0.055, 0.2, "CE")
