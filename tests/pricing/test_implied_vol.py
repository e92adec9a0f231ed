from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pricing import (
    REASONS,
    black76_price,
    bs_implied_volatility,
    bs_price,
    implied_volatility,
    implied_volatility_with_reason,
)
from tests.pricing.strategies import TICK, forwards, log_moneyness, rates, sides, vols, years


@settings(max_examples=1500, deadline=None)
@given(forwards, log_moneyness, years, rates, vols, sides)
def test_it_recovers_sigma_to_1e10_wherever_there_is_a_tick_of_time_value(
    f: float, m: float, t: float, r: float, sigma: float, call: bool
) -> None:
    k = f * math.exp(m)
    price = float(black76_price(f, k, t, r, sigma, call))
    intrinsic = math.exp(-r * t) * max((f - k) if call else (k - f), 0.0)
    assume(price - intrinsic >= TICK)
    iv, reason = implied_volatility_with_reason(price, f, k, t, r, call)
    assert str(reason) == ""
    assert abs(float(iv) - sigma) <= 1e-10


def test_it_recovers_a_whole_random_chain_at_once() -> None:
    rng = np.random.default_rng(20260327)
    n = 50_000
    f = rng.uniform(5_000, 60_000, n)
    k = f * np.exp(rng.uniform(-0.3, 0.3, n))
    t = rng.uniform(1 / 525_600, 1.0, n)
    r = rng.uniform(0.0, 0.1, n)
    sigma = rng.uniform(0.05, 1.0, n)
    call = rng.random(n) < 0.5
    price = black76_price(f, k, t, r, sigma, call)
    time_value = price - np.exp(-r * t) * np.where(call, np.maximum(f - k, 0), np.maximum(k - f, 0))
    iv = implied_volatility(price, f, k, t, r, call)
    priced = time_value >= TICK
    assert priced.sum() > 30_000  # the check below covers most of the chain
    assert np.max(np.abs(iv[priced] - sigma[priced])) <= 1e-10


def test_it_solves_the_atm_case_against_the_closed_form() -> None:
    # At K = F the undiscounted price is F·(2N(s/2) - 1), so s = 2√2·erfinv(price/F).
    from scipy.special import erfinv

    f, t, r = 22800.0, 30 / 365, 0.06
    price = 500.0
    expected = 2 * math.sqrt(2) * erfinv(price * math.exp(r * t) / f) / math.sqrt(t)
    assert float(implied_volatility(price, f, f, t, r, True)) == pytest.approx(expected, abs=1e-13)
    assert float(implied_volatility(price, f, f, t, r, False)) == pytest.approx(expected, abs=1e-13)


@pytest.mark.parametrize(
    ("price", "forward", "strike", "t", "is_call", "reason"),
    [
        (99.0, 22900.0, 22800.0, 0.1, True, "below_intrinsic"),  # intrinsic (discounted) is about 99.45
        (0.0, 22800.0, 23000.0, 0.1, True, "below_intrinsic"),  # no time value at all
        (-1.0, 22800.0, 23000.0, 0.1, False, "below_intrinsic"),
        (22800.0, 22800.0, 23000.0, 0.1, True, "above_maximum"),  # a call cannot be worth the forward
        (23000.0, 22800.0, 23000.0, 0.1, False, "above_maximum"),  # a put cannot be worth the strike
        (100.0, 22800.0, 23000.0, 0.0, True, "expired"),
        (100.0, 22800.0, 23000.0, -0.01, True, "expired"),
        (math.nan, 22800.0, 23000.0, 0.1, True, "non_finite"),
        (100.0, math.inf, 23000.0, 0.1, True, "non_finite"),
        (100.0, 22800.0, 23000.0, math.nan, True, "non_finite"),
        (100.0, 0.0, 23000.0, 0.1, True, "invalid_input"),
        (100.0, 22800.0, -5.0, 0.1, False, "invalid_input"),
    ],
)
def test_it_returns_nan_with_a_reason_for_prices_no_volatility_explains(
    price: float, forward: float, strike: float, t: float, is_call: bool, reason: str
) -> None:
    iv, why = implied_volatility_with_reason(price, forward, strike, t, 0.055, is_call)
    assert math.isnan(float(iv))
    assert str(why) == reason
    assert math.isnan(float(implied_volatility(price, forward, strike, t, 0.055, is_call)))


def test_it_keeps_good_values_beside_bad_ones_in_one_array() -> None:
    f, t, r = 22800.0, 7 / 365, 0.055
    good = float(black76_price(f, 23000.0, t, r, 0.15, True))
    prices = np.array([good, -3.0, np.nan, 1e9, good])
    ts = np.array([t, t, t, t, 0.0])
    iv, why = implied_volatility_with_reason(prices, f, 23000.0, ts, r, True)
    assert iv[0] == pytest.approx(0.15, abs=1e-12)
    assert np.isnan(iv[1:]).all()
    assert why.tolist() == ["", "below_intrinsic", "non_finite", "above_maximum", "expired"]


def test_it_broadcasts_and_keeps_the_shape() -> None:
    strikes = np.array([[22000.0, 22800.0, 23600.0]])
    calls = np.array([[True], [False]])
    prices = black76_price(22800.0, strikes, 0.05, 0.06, 0.2, calls)
    iv = implied_volatility(prices, 22800.0, strikes, 0.05, 0.06, calls)
    assert iv.shape == (2, 3)
    assert np.allclose(iv, 0.2, atol=1e-12, rtol=0)


def test_it_reproduces_nse_style_spot_iv_at_ten_percent() -> None:
    # Spot Black-Scholes at 10 %: price a NIFTY call at a known vol and read it back.
    spot, strike, t = 22819.6, 22800.0, 3 / 365
    price = float(bs_price(spot, strike, t, 0.2588, True))
    forward = spot * math.exp(0.10 * t)
    assert price == pytest.approx(float(black76_price(forward, strike, t, 0.10, 0.2588, True)), rel=1e-14)
    assert float(bs_implied_volatility(price, spot, strike, t, True)) == pytest.approx(0.2588, abs=1e-12)
    # The same settle price read with the 10 % spot convention gives a different IV than Black-76 at 5.5 %.
    b76 = float(implied_volatility(price, spot * math.exp(0.055 * t), strike, t, 0.055, True))
    assert abs(b76 - 0.2588) > 1e-3


any_float = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=500, deadline=None)
@given(any_float, any_float, any_float, any_float, any_float, sides)
def test_it_never_raises_on_any_input(price: float, f: float, k: float, t: float, r: float, call: bool) -> None:
    iv, why = implied_volatility_with_reason(price, f, k, t, r, call)
    assert str(why) in REASONS
    # A value comes back exactly when there is no reason, and it is a positive volatility.
    assert (str(why) == "") == bool(np.isfinite(iv))
    if str(why) == "":
        assert float(iv) > 0
