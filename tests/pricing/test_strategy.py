"""Strategy payoff against closed forms: a long call, a synthetic future, a short straddle, an iron condor."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from pricing import black76_price
from pricing.strategy import (
    StrategyLeg,
    aggregate_greeks,
    at_expiry,
    breakevens,
    extremes,
    net_premium,
    pnl,
    probability_of_profit,
    smile_iv,
)

R = 0.055
T = 7 / 365
LOT = 65


def leg(strike: float, is_call: bool, lots: int, price: float, *, t: float = T, iv: float = 0.14) -> StrategyLeg:
    return StrategyLeg(strike=strike, is_call=is_call, quantity=lots * LOT, price=price, t=t, iv=iv, carry=0.01)


def test_a_long_call_pays_its_intrinsic_value_less_the_premium_and_breaks_even_at_strike_plus_premium() -> None:
    call = [leg(23000.0, True, 2, 120.0)]
    spots = np.array([22000.0, 23000.0, 23120.0, 23500.0])

    assert at_expiry(call, spots, r=R).tolist() == pytest.approx([-120 * 130, -120 * 130, 0.0, 380 * 130])
    assert breakevens(call, 23010.0, r=R) == pytest.approx([23120.0], rel=1e-12)
    assert net_premium(call) == -120 * 130
    limits = extremes(call, 23010.0, r=R)
    assert (limits.max_profit, limits.unlimited_profit) == (None, True)
    assert (limits.max_loss, limits.unlimited_loss) == (pytest.approx(-120 * 130), False)
    # P(S_T > K + c) for S_T lognormal around the forward: N(d2) at the breakeven.
    forward, sigma = 23050.0, 0.13
    d2 = (math.log(forward / 23120.0) - 0.5 * sigma * sigma * T) / (sigma * math.sqrt(T))
    pop = probability_of_profit(call, 23010.0, forward=forward, sigma=sigma, r=R)
    assert pop == pytest.approx(float(ndtr(d2)), rel=1e-12)


def test_a_synthetic_long_future_obeys_put_call_parity_before_and_at_expiry() -> None:
    call, put = 150.0, 110.0
    synthetic = [leg(23000.0, True, 1, call, iv=0.15), leg(23000.0, False, -1, put, iv=0.15)]
    spots = np.array([22500.0, 23000.0, 23600.0])

    # Before expiry (two days elapsed): C - P = e^{-r tau}(F - K) at any IV the strike's two legs share.
    tau = T - 2 / 365
    forward = spots * math.exp(0.01 * tau)
    expected = LOT * (math.exp(-R * tau) * (forward - 23000.0) - (call - put))
    assert pnl(synthetic, spots, elapsed=2 / 365, r=R).tolist() == pytest.approx(expected.tolist(), rel=1e-10)
    # At expiry: S - K - (C - P), one breakeven, unlimited both ways.
    assert at_expiry(synthetic, spots, r=R).tolist() == pytest.approx((LOT * (spots - 23040.0)).tolist())
    assert breakevens(synthetic, 23000.0, r=R) == pytest.approx([23040.0], rel=1e-12)
    limits = extremes(synthetic, 23000.0, r=R)
    assert (limits.unlimited_profit, limits.unlimited_loss, limits.max_profit) == (True, False, None)
    assert limits.max_loss == pytest.approx(LOT * (0 - 23040.0))  # spot cannot go below 0
    greeks = aggregate_greeks(synthetic, 23000.0, r=R)
    assert greeks["delta"] == pytest.approx(LOT * math.exp((0.01 - R) * T), rel=1e-10)
    assert greeks["gamma"] == pytest.approx(0.0, abs=1e-9)  # same strike: the legs' gammas cancel


def test_a_short_straddle_breaks_even_at_strike_plus_and_minus_the_credit() -> None:
    straddle = [leg(23000.0, True, -1, 95.0), leg(23000.0, False, -1, 85.0)]

    assert breakevens(straddle, 23000.0, r=R) == pytest.approx([22820.0, 23180.0], rel=1e-12)
    assert net_premium(straddle) == 180 * LOT
    limits = extremes(straddle, 23000.0, r=R)
    assert (limits.max_profit, limits.max_loss, limits.unlimited_loss) == (pytest.approx(180 * LOT), None, True)
    forward, sigma = 23000.0, 0.14
    low, high = ((math.log(x / forward) + 0.5 * sigma * sigma * T) / (sigma * math.sqrt(T)) for x in (22820, 23180))
    pop = probability_of_profit(straddle, 23000.0, forward=forward, sigma=sigma, r=R)
    assert pop == pytest.approx(float(ndtr(high) - ndtr(low)), rel=1e-12)


def test_an_iron_condor_loses_at_most_the_wing_width_less_the_credit() -> None:
    condor = [
        leg(22600.0, False, 1, 8.0),
        leg(22800.0, False, -1, 30.0),
        leg(23200.0, True, -1, 28.0),
        leg(23400.0, True, 1, 7.0),
    ]
    credit = 30 + 28 - 8 - 7

    limits = extremes(condor, 23000.0, r=R)
    assert limits.max_loss == pytest.approx(-(200 - credit) * LOT)
    assert limits.max_profit == pytest.approx(credit * LOT)
    assert not limits.unlimited_loss and not limits.unlimited_profit
    assert breakevens(condor, 23000.0, r=R) == pytest.approx([22800.0 - credit, 23200.0 + credit], rel=1e-12)


def test_a_calendar_is_valued_at_the_near_expiry_with_the_far_leg_still_alive() -> None:
    far_t = T + 7 / 365
    calendar = [leg(23000.0, True, -1, 100.0), leg(23000.0, True, 1, 160.0, t=far_t, iv=0.13)]
    spots = np.array([22700.0, 23000.0, 23300.0])

    far_value = black76_price(spots * math.exp(0.01 * 7 / 365), 23000.0, 7 / 365, R, 0.13, True)
    expected = LOT * (-(np.maximum(spots - 23000.0, 0.0) - 100.0) + (far_value - 160.0))
    assert at_expiry(calendar, spots, r=R).tolist() == pytest.approx(expected.tolist(), rel=1e-12)
    limits = extremes(calendar, 23000.0, r=R)
    assert not limits.unlimited_loss and not limits.unlimited_profit  # the far call tracks the near one
    assert limits.max_profit == pytest.approx(float(at_expiry(calendar, 23000.0, r=R)))
    evens = breakevens(calendar, 23000.0, r=R)
    assert len(evens) == 2 and evens[0] < 23000.0 < evens[1]
    assert at_expiry(calendar, np.array(evens), r=R).tolist() == pytest.approx([0.0, 0.0], abs=1e-6)


def test_the_smile_is_interpolated_over_strikes_and_flat_beyond_them() -> None:
    strikes, ivs = [22800.0, 23000.0, 23200.0, 23400.0], [0.16, 0.14, math.nan, 0.13]

    assert smile_iv(strikes, ivs, [22700.0, 22900.0, 23200.0, 23500.0]).tolist() == pytest.approx(
        [0.16, 0.15, 0.135, 0.13]
    )
    assert math.isnan(float(smile_iv([23000.0], [math.nan], 23000.0)))
