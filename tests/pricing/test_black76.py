from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from pricing import black76_greeks, black76_price
from tests.pricing.strategies import forwards, log_moneyness, rates, sides

# Greeks are checked on a range where a central difference itself is trustworthy (not minutes from expiry).
fd_years = st.floats(min_value=math.log(1 / 365), max_value=math.log(3.0)).map(math.exp)
fd_vols = st.floats(min_value=0.05, max_value=1.5)


def textbook_black76(forward: float, strike: float, t: float, r: float, sigma: float, is_call: bool) -> float:
    """The docs/conventions.md §2.2 formula written out independently of the implementation."""
    d1 = (math.log(forward / strike) + 0.5 * sigma * sigma * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if is_call:
        return math.exp(-r * t) * (forward * ndtr(d1) - strike * ndtr(d2))
    return math.exp(-r * t) * (strike * ndtr(-d2) - forward * ndtr(-d1))


def test_it_matches_hulls_black76_example() -> None:
    # Hull, Options, Futures and Other Derivatives (crude-oil futures option example):
    # F = K = 20, r = 9 %, T = 4 months, sigma = 25 % gives a put (= call) of 1.1166.
    put = float(black76_price(20.0, 20.0, 4 / 12, 0.09, 0.25, False))
    assert put == pytest.approx(1.1166, abs=5e-5)


@settings(max_examples=400, deadline=None)
@given(forwards, log_moneyness, fd_years, rates, fd_vols, sides)
def test_it_agrees_with_the_textbook_formula(f: float, m: float, t: float, r: float, sigma: float, call: bool) -> None:
    k = f * math.exp(m)
    expected = textbook_black76(f, k, t, r, sigma, call)
    assert float(black76_price(f, k, t, r, sigma, call)) == pytest.approx(expected, rel=1e-9, abs=1e-9 * f)


@settings(max_examples=400, deadline=None)
@given(forwards, log_moneyness, fd_years, rates, fd_vols)
def test_it_satisfies_put_call_parity(f: float, m: float, t: float, r: float, sigma: float) -> None:
    k = f * math.exp(m)
    call = float(black76_price(f, k, t, r, sigma, True))
    put = float(black76_price(f, k, t, r, sigma, False))
    assert call - put == pytest.approx(math.exp(-r * t) * (f - k), abs=1e-10 * max(f, k))


@settings(max_examples=300, deadline=None)
@given(forwards, st.floats(min_value=-0.4, max_value=0.4), fd_years, rates, fd_vols, sides)
def test_it_gives_greeks_equal_to_central_differences(
    f: float, m: float, t: float, r: float, sigma: float, call: bool
) -> None:
    k = f * math.exp(m)
    price = float(black76_price(f, k, t, r, sigma, call))
    assume(price > 1e-6 * f)  # far in the tails every greek is ~0 and the difference quotient is pure rounding

    def p(**change: float) -> float:
        args = {"forward": f, "t": t, "r": r, "sigma": sigma} | change
        return float(black76_price(args["forward"], k, args["t"], args["r"], args["sigma"], call))

    def d1(name: str, h: float) -> float:
        """Five-point central first derivative (truncation error O(h^4))."""
        x = {"forward": f, "t": t, "r": r, "sigma": sigma}[name]
        return (8 * (p(**{name: x + h}) - p(**{name: x - h})) - (p(**{name: x + 2 * h}) - p(**{name: x - 2 * h}))) / (
            12 * h
        )

    g = black76_greeks(f, k, t, r, sigma, call)
    # Steps scaled to each variable's natural scale, so truncation error stays far below the tolerance.
    hf, ht, hr, hs = 1e-3 * f * sigma * math.sqrt(t), 1e-4 * t, 1e-4, 1e-4 * sigma
    rounding = 1e-15 * price  # noise of one price evaluation
    delta = d1("forward", hf)
    gamma = (
        -p(forward=f + 2 * hf) + 16 * p(forward=f + hf) - 30 * price + 16 * p(forward=f - hf) - p(forward=f - 2 * hf)
    ) / (12 * hf * hf)
    theta = -d1("t", ht) / 365
    vega = d1("sigma", hs) / 100
    rho = d1("r", hr) / 100

    assert float(g["delta"]) == pytest.approx(delta, rel=1e-6, abs=4 * rounding / hf)
    assert float(g["gamma"]) == pytest.approx(gamma, rel=1e-4, abs=8 * rounding / hf**2)
    assert float(g["theta"]) == pytest.approx(theta, rel=1e-6, abs=4 * rounding / ht / 365)
    assert float(g["vega"]) == pytest.approx(vega, rel=1e-6, abs=4 * rounding / hs / 100)
    assert float(g["rho"]) == pytest.approx(rho, rel=1e-6, abs=4 * rounding / hr / 100)


def test_it_gives_known_greeks_for_an_atm_option() -> None:
    # F = K: d1 = sigma√T/2 = 0.05 for sigma = 20 %, T = 0.25.
    f, t, r, sigma = 22800.0, 0.25, 0.06, 0.20
    g = black76_greeks(f, f, t, r, sigma, True)
    disc = math.exp(-r * t)
    pdf = math.exp(-0.5 * 0.05**2) / math.sqrt(2 * math.pi)
    assert float(g["delta"]) == pytest.approx(disc * ndtr(0.05), rel=1e-12)
    assert float(g["gamma"]) == pytest.approx(disc * pdf / (f * sigma * 0.5), rel=1e-12)
    assert float(g["vega"]) == pytest.approx(f * disc * pdf * 0.5 / 100, rel=1e-12)
    put = black76_greeks(f, f, t, r, sigma, False)
    assert float(g["delta"]) - float(put["delta"]) == pytest.approx(disc, rel=1e-12)


def test_it_reports_rho_as_minus_t_times_price_per_point() -> None:
    price = float(black76_price(24000.0, 23500.0, 0.1, 0.065, 0.15, False))
    rho = float(black76_greeks(24000.0, 23500.0, 0.1, 0.065, 0.15, False)["rho"])
    assert rho == pytest.approx(-0.1 * price / 100, rel=1e-14)


def test_it_broadcasts_a_chain_against_scalars() -> None:
    strikes = np.array([[22500.0, 22800.0, 23100.0]])
    is_call = np.array([[True], [False]])
    prices = black76_price(22800.0, strikes, 7 / 365, 0.055, 0.14, is_call)
    assert prices.shape == (2, 3)
    # Put-call parity across the broadcast rows.
    assert np.allclose(prices[0] - prices[1], math.exp(-0.055 * 7 / 365) * (22800.0 - strikes[0]), atol=1e-9)
    greeks = black76_greeks(22800.0, strikes, 7 / 365, 0.055, 0.14, is_call)
    assert {name: value.shape for name, value in greeks.items()} == dict.fromkeys(
        ("delta", "gamma", "theta", "vega", "rho"), (2, 3)
    )
    assert np.all(greeks["delta"][0] > 0) and np.all(greeks["delta"][1] < 0)


def test_it_prices_intrinsic_value_at_expiry_and_leaves_greeks_undefined() -> None:
    prices = black76_price(22800.0, [22500.0, 23000.0], 0.0, 0.055, 0.2, [True, True])
    assert prices.tolist() == [300.0, 0.0]
    greeks = black76_greeks(22800.0, 22500.0, 0.0, 0.055, 0.2, True)
    assert all(math.isnan(float(v)) for v in greeks.values())
    zero_vol = float(black76_price(22800.0, 22500.0, 0.5, 0.06, 0.0, True))
    assert zero_vol == pytest.approx(math.exp(-0.03) * 300.0, rel=1e-14)


def test_it_refuses_option_type_strings_that_numpy_would_read_as_true() -> None:
    with pytest.raises(TypeError, match="is_call must be boolean"):
        black76_price(22800.0, 23000.0, 0.1, 0.055, 0.2, ["c", "p"])
    with pytest.raises(TypeError, match="is_call must be boolean"):
        black76_greeks(22800.0, 23000.0, 0.1, 0.055, 0.2, "PE")
