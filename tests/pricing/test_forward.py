from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pricing import (
    atm_iv,
    atm_strike,
    expected_move,
    parity_forward,
    resolve_forward,
    usable_price,
    year_fraction_minutes,
)

IST = ZoneInfo("Asia/Kolkata")


def test_it_uses_the_mid_only_when_the_spread_is_within_30_percent_of_it() -> None:
    price, source, usable = usable_price(
        last=[101.0, 101.0, 7.0, 0.0, 5.0],
        bid=[99.0, 80.0, 0.0, 4.0, 4.0],
        ask=[101.0, 120.0, 9.0, 6.0, 3.0],  # spreads 2 %, 40 %, one-sided, 40 % untraded, crossed
        volume=[10, 10, 3, 0, 2],
    )
    assert price.tolist()[:3] == [100.0, 101.0, 7.0]
    assert math.isnan(price[3])
    assert price[4] == 5.0  # a crossed quote is not a quote; the session's last trade stands
    assert source.tolist() == ["mid", "last", "last", "none", "last"]
    assert usable.tolist() == [True, True, True, False, True]


def test_it_does_not_count_a_last_price_without_volume_as_a_trade() -> None:
    """A leg with no volume today shows an earlier session's last price (or, in an end-of-day file, NSE's
    theoretical settlement): no evidence of today's market, so it only counts with a tight two-sided quote."""
    price, source, usable = usable_price(
        last=[212.5, 212.5, 212.5, 212.5],
        bid=[np.nan, 0.0, 180.0, 205.0],
        ask=[np.nan, 215.0, 175.0, 215.0],  # none, one-sided, crossed, 4.8 % wide
        volume=[0, 0, 0, 0],
    )
    assert np.isnan(price[:3]).all()
    assert price[3] == 210.0
    assert source.tolist() == ["none", "none", "none", "mid"]
    assert usable.tolist() == [False, False, False, True]


def test_it_accepts_a_spread_of_exactly_30_percent() -> None:
    price, source, usable = usable_price(last=0.0, bid=85.0, ask=115.0, volume=0)
    assert (float(price), str(source), bool(usable)) == (100.0, "mid", True)


def test_it_takes_the_median_parity_forward_of_the_five_usable_strikes_nearest_spot() -> None:
    strikes = np.arange(22400.0, 23300.0, 100.0)  # 22400 ... 23200
    t, r, spot = 10 / 365, 0.06, 22790.0
    carry = math.exp(r * t)
    # Each strike implies its own forward K + e^{rt}(C - P); make them 22800 + i so the median is known.
    implied = 22800.0 + np.arange(strikes.size)
    puts = np.full(strikes.size, 100.0)
    calls = puts + (implied - strikes) / carry
    usable = np.ones(strikes.size, dtype=bool)
    usable[strikes == 22800.0] = False  # the nearest strike is skipped, so 22500 joins the five
    forward = parity_forward(strikes, calls, puts, usable, spot, t, r)
    # Five nearest usable: 22700 (i=3), 22900 (5), 22600 (2), 23000 (6), 22500 (1) -> median implied 22803.
    assert forward == pytest.approx(22803.0, abs=1e-9)


def test_it_falls_back_from_parity_to_the_future_then_to_carry() -> None:
    strikes, calls, puts = [22800.0], [200.0], [180.0]
    t, r, spot = 30 / 365, 0.06, 22750.0
    assert resolve_forward(strikes, calls, puts, [True], spot, t, r)[1] == "parity"
    assert resolve_forward(strikes, calls, puts, [False], spot, t, r, future_price=22870.5) == (22870.5, "future")
    forward, method = resolve_forward(strikes, calls, puts, [False], spot, t, r)
    assert method == "carry"
    assert forward == pytest.approx(spot * math.exp(r * t), rel=1e-15)
    assert math.isnan(parity_forward(strikes, calls, puts, [False], spot, t, r))


def test_it_picks_the_listed_strike_nearest_the_forward_with_ties_going_up() -> None:
    strikes = [22700.0, 22750.0, 22800.0, 22850.0, 22900.0]
    assert atm_strike(strikes, 22834.22) == 22850.0
    assert atm_strike(strikes, 22821.08) == 22800.0
    assert atm_strike(strikes, 22825.0) == 22850.0
    assert atm_strike(strikes, 30000.0) == 22900.0
    assert math.isnan(atm_strike([], 22800.0))


def test_it_reads_atm_iv_from_the_out_of_the_money_side() -> None:
    strikes = [22750.0, 22800.0, 22850.0]
    call_iv = [0.30, 0.26, 0.25]
    put_iv = [0.31, 0.27, 0.26]
    assert atm_iv(strikes, call_iv, put_iv, 22821.08) == 0.27  # ATM 22800 < F: the put
    assert atm_iv(strikes, call_iv, put_iv, 22834.22) == 0.25  # ATM 22850 >= F: the call
    assert atm_iv(strikes, call_iv, put_iv, 22800.0) == 0.26  # strike equal to F counts as the call


def test_it_computes_the_one_sigma_move() -> None:
    assert expected_move(22821.08, 0.2588, 3 / 365) == pytest.approx(22821.08 * 0.2588 * math.sqrt(3 / 365))
    assert expected_move(22821.08, 0.2588, 0.0) == 0.0


def test_it_counts_calendar_minutes_to_the_expiry_close() -> None:
    now = datetime(2026, 3, 27, 15, 30, tzinfo=IST)
    close = datetime(2026, 3, 30, 15, 30, tzinfo=IST)
    assert year_fraction_minutes(now, close) == pytest.approx(3 * 1440 / 525_600, rel=1e-15)
    # The same instant in UTC gives the same answer; after the close the fraction is negative.
    assert year_fraction_minutes(now.astimezone(UTC), close) == year_fraction_minutes(now, close)
    assert year_fraction_minutes(close + timedelta(minutes=10), close) == pytest.approx(-10 / 525_600)


def test_it_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="now must be a timezone-aware datetime"):
        year_fraction_minutes(datetime(2026, 3, 27, 15, 30), datetime(2026, 3, 30, 10, 0, tzinfo=UTC))
