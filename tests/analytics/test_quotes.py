"""Per-quote analytics on crafted rows: IV from the right price, greeks stored, quality flags, ΔOI and build-up."""

from __future__ import annotations

from datetime import timedelta

import pytest

import pricing
from apps.analytics.models import ChainSnapshot
from apps.analytics.services import analytics_compute_minute
from apps.analytics.services.oi_change import _previous_close_oi, _previous_close_oi_grouped
from apps.market.calendar import expiry_close
from apps.market.clock import ist_day_bounds
from apps.marketdata.models import OptionQuote
from tests.analytics.conftest import EXPIRY, MINUTE, RATE, build_chain, model_price

pytestmark = pytest.mark.django_db


def _quote(strike: float, option_type: str) -> OptionQuote:
    return OptionQuote.objects.get(minute=MINUTE, strike=strike, option_type=option_type)


def test_it_recovers_the_volatility_and_forward_of_a_black76_chain(nifty) -> None:
    build_chain(nifty, forward=23000.0, sigma=0.18)
    assert analytics_compute_minute(underlying_id=nifty.id, minute=MINUTE) == 42
    atm_put = _quote(23000, "PE")
    assert atm_put.iv_source == "mid"
    assert atm_put.iv == pytest.approx(0.18, abs=2e-3)  # quotes are rounded to the 0.05 tick
    t = float(pricing.year_fraction_minutes(MINUTE, expiry_close(EXPIRY)))
    greeks = pricing.black76_greeks(23000.0, 23000.0, t, RATE, atm_put.iv, False)
    assert atm_put.delta == pytest.approx(float(greeks["delta"]), rel=2e-3)
    assert atm_put.gamma == pytest.approx(float(greeks["gamma"]), rel=2e-2)
    assert atm_put.analysed_at is not None
    assert atm_put.quality_flags == []

    snapshot = ChainSnapshot.objects.get(underlying=nifty, expiry=EXPIRY, minute=MINUTE)
    assert snapshot.forward_source == "parity"
    assert snapshot.forward == pytest.approx(23000.0, abs=0.5)
    assert snapshot.atm_strike == 23000.0
    assert snapshot.atm_iv == pytest.approx(0.18, abs=2e-3)
    assert snapshot.straddle == pytest.approx(
        model_price(23000, 23000, t, 0.18, True) + model_price(23000, 23000, t, 0.18, False), abs=0.1
    )
    assert snapshot.expected_move == pytest.approx(snapshot.forward * snapshot.atm_iv * t**0.5)
    # A flat smile has no skew.
    assert snapshot.rr25 == pytest.approx(0.0, abs=3e-3)
    assert snapshot.bf25 == pytest.approx(0.0, abs=3e-3)
    assert snapshot.pcr_oi == 1.0
    assert snapshot.strike_count == 21


def test_it_computes_pcr_max_pain_and_walls_from_the_stored_oi(nifty) -> None:
    strikes = [22900, 23000, 23100]
    build_chain(nifty, strikes=strikes, call_oi=[650, 6500, 13000], put_oi=[9750, 3250, 650])
    analytics_compute_minute(underlying_id=nifty.id, minute=MINUTE)
    snapshot = ChainSnapshot.objects.get(underlying=nifty, minute=MINUTE)
    assert snapshot.pcr_oi == pytest.approx((9750 + 3250 + 650) / (650 + 6500 + 13000))
    # pain(22900) = 3250*100 + 650*200 = 455000; pain(23000) = 650*100 + 650*100 = 130000;
    # pain(23100) = 650*200 + 6500*100 = 780000 → 23000.
    assert snapshot.max_pain == 23000
    assert (snapshot.call_oi_wall, snapshot.put_oi_wall) == (23100, 22900)
    assert snapshot.total_call_oi == 20150
    assert snapshot.by_strike["strikes"] == [22900.0, 23000.0, 23100.0]


def test_it_flags_bad_quotes_and_says_why_an_iv_is_missing(nifty) -> None:
    build_chain(nifty, strikes=[22800, 22900, 23000, 23100, 23200])
    t = float(pricing.year_fraction_minutes(MINUTE, expiry_close(EXPIRY)))
    OptionQuote.objects.filter(strike=22800, option_type="CE").update(bid=0)
    OptionQuote.objects.filter(strike=22800, option_type="PE").update(ask=None)
    OptionQuote.objects.filter(strike=23200, option_type="CE").update(bid=60.0, ask=50.0)
    wide = OptionQuote.objects.get(strike=23200, option_type="PE")
    OptionQuote.objects.filter(pk=wide.pk).update(bid=wide.last_price * 0.7, ask=wide.last_price * 1.3)
    OptionQuote.objects.filter(strike=22900, option_type="PE").update(last_trade_time=MINUTE - timedelta(minutes=6))
    # An ITM call quoted far below its intrinsic value (F - K = 200): no volatility can price it.
    OptionQuote.objects.filter(strike=22800, option_type="CE").update(last_price=50.0, bid=49.0, ask=51.0)
    analytics_compute_minute(underlying_id=nifty.id, minute=MINUTE)

    assert set(_quote(22800, "CE").quality_flags) >= {"below_intrinsic", "iv_unsolvable"}
    below = _quote(22800, "CE")
    assert below.iv is None and below.iv_error == "below_intrinsic" and below.delta is None
    assert "zero_ask" in _quote(22800, "PE").quality_flags
    crossed = _quote(23200, "CE")
    assert "crossed_spread" in crossed.quality_flags
    assert crossed.iv_source == "last"  # a crossed quote has no usable mid
    assert "wide_spread" in _quote(23200, "PE").quality_flags
    assert _quote(23200, "PE").iv_source == "last"
    assert _quote(22900, "PE").quality_flags == ["stale_last_trade"]
    assert _quote(23000, "CE").quality_flags == []
    assert t > 0


def test_it_takes_oi_change_from_the_previous_sessions_last_minute_and_classifies_buildup(nifty) -> None:
    previous = MINUTE - timedelta(days=3) + timedelta(hours=5, minutes=59)  # Fri 16-Jan 15:29 IST
    earlier = previous - timedelta(minutes=30)
    build_chain(nifty, minute=earlier, strikes=[23000], call_oi=[1000], put_oi=[1000])
    build_chain(nifty, minute=previous, strikes=[23000], call_oi=[10000], put_oi=[20000])
    build_chain(nifty, strikes=[23000], call_oi=[13000], put_oi=[20050])
    OptionQuote.objects.filter(minute=MINUTE, option_type="CE").update(close_price=100.0, last_price=120.0)
    OptionQuote.objects.filter(minute=MINUTE, option_type="PE").update(close_price=200.0, last_price=180.0)
    analytics_compute_minute(underlying_id=nifty.id, minute=MINUTE)
    call, put = _quote(23000, "CE"), _quote(23000, "PE")
    assert call.oi_change == 3000
    assert call.buildup == "long_buildup"
    assert put.oi_change == 50
    assert put.buildup == "neutral"  # 50 is 0.25 % of 20050 OI: inside the dead band


def test_each_contracts_oi_change_is_against_its_own_last_minute_of_the_previous_session(nifty) -> None:
    """Contracts stored at different last minutes of the previous session each compare with their own; one
    stored only two sessions before has no previous close: unknown, never 0."""
    friday_close = MINUTE - timedelta(days=3) + timedelta(hours=5, minutes=59)  # Fri 16-Jan 15:29 IST
    build_chain(nifty, minute=friday_close - timedelta(days=1), strikes=[23000, 23100, 23200], call_oi=[5000] * 3,
                put_oi=[5000] * 3)  # fmt: skip
    build_chain(nifty, minute=friday_close - timedelta(minutes=30), strikes=[23000, 23100], call_oi=[1000, 7000],
                put_oi=[1000, 7000])  # fmt: skip
    build_chain(nifty, minute=friday_close, strikes=[23000], call_oi=[10000], put_oi=[10000])
    build_chain(nifty, strikes=[23000, 23100, 23200], call_oi=[13000, 9000, 6000], put_oi=[13000, 9000, 6000])

    analytics_compute_minute(underlying_id=nifty.id, minute=MINUTE)

    assert _quote(23000, "CE").oi_change == 3000  # against Friday 15:29
    assert _quote(23100, "CE").oi_change == 2000  # against Friday 14:59, its last minute that session
    assert _quote(23200, "CE").oi_change is None  # stored on Thursday only

    # The generic reader the embedded SQLite runs (plain SQL, so checked here on the same rows) answers the same.
    ids = list(OptionQuote.objects.filter(minute=MINUTE).values_list("instrument_id", flat=True))
    bounds = {"start": ist_day_bounds(friday_close.date())[0], "end": ist_day_bounds(MINUTE.date())[0]}
    lateral = _previous_close_oi(underlying_id=nifty.id, instrument_ids=ids, **bounds)
    assert lateral == _previous_close_oi_grouped(underlying_id=nifty.id, instrument_ids=ids, **bounds)
    assert sorted(lateral.values()) == [7000, 7000, 10000, 10000]  # 23100 and 23000, each side; not 23200
