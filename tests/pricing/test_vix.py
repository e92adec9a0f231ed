"""India VIX on the toy chains of NSE's white paper (reference values in tests/fixtures/pricing/README.md)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import MINUTES_PER_YEAR, VixChain, VixSettled, black76_price, india_vix, vix_term

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pricing"


def load(name: str, key: str) -> VixChain:
    inputs = json.loads((FIXTURES / "india_vix_whitepaper_inputs.json").read_text())[key]
    with (FIXTURES / name).open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    def column(title: str) -> np.ndarray:
        return np.array([float(row[title]) for row in rows])

    return VixChain(
        strikes=column("Strike"),
        call_bid=column("Call Bid"),
        call_ask=column("Call Ask"),
        put_bid=column("Put Bid"),
        put_ask=column("Put Ask"),
        forward=inputs["futures_price"],
        minutes_to_expiry=inputs["minutes_to_expiry"],
        rate=inputs["mibor_rate"],
    )


@pytest.fixture
def near() -> VixChain:
    return load("india_vix_whitepaper_near.csv", "near")


@pytest.fixture
def next_month() -> VixChain:
    return load("india_vix_whitepaper_next.csv", "next")


def test_it_reproduces_the_white_paper_vix_with_spline_fixed_quotes(near: VixChain, next_month: VixChain) -> None:
    result = india_vix(near, next_month)
    assert round(result.vix, 3) == 26.671
    assert round(result.near.variance, 6) == 0.072962
    assert round(result.next.variance, 6) == 0.070986
    assert (result.near.k0, result.next.k0) == (5100.0, 5100.0)


def test_it_fills_the_three_wide_put_quotes_and_drops_the_wide_call_at_the_edge(near: VixChain) -> None:
    term = vix_term(near)
    # 3900 P, 4100 P and 4300 P are wider than 30 % of their mid and lie inside the put range: spline-filled.
    assert term.strikes[term.filled].tolist() == [3900.0, 4100.0, 4300.0]
    # 5700 C is wide too but is the last call strike: nothing to interpolate between, so it is dropped.
    assert 5700.0 not in term.strikes.tolist()
    assert term.strikes.size == 19
    # The quote at K0 is the average of the call and put mids: (79.05 + 74.45) / 2.
    assert term.quotes[term.strikes == 5100.0][0] == pytest.approx(76.75, abs=1e-12)


def test_it_gives_26_675_with_raw_mids(near: VixChain, next_month: VixChain) -> None:
    result = india_vix(near, next_month, spline=False)
    assert round(result.vix, 3) == 26.675
    assert round(result.near.variance, 6) == 0.073249


def test_it_rejects_chains_it_cannot_use(near: VixChain, next_month: VixChain) -> None:
    with pytest.raises(ValueError, match="must be later than the near expiry"):
        india_vix(next_month, near)
    with pytest.raises(ValueError, match="near: minutes_to_expiry must be positive"):
        india_vix(replace(near, minutes_to_expiry=0), next_month)
    with pytest.raises(ValueError, match="no listed strike at or below the forward"):
        vix_term(replace(near, forward=3000.0))
    with pytest.raises(ValueError, match="same length"):
        vix_term(replace(near, put_ask=np.asarray(near.put_ask)[:-1]))
    with pytest.raises(ValueError, match="strictly increasing"):
        vix_term(replace(near, strikes=np.asarray(near.strikes)[::-1]))


def _priced_chain(forward: float, sigma: float, minutes: float, *, step_pct: float = 0.25) -> VixChain:
    """Two-sided quotes 1 % either side of Black-76 prices on a fine strike grid; zero bids below one tick."""
    t = minutes / MINUTES_PER_YEAR
    width = 7 * sigma * np.sqrt(t)
    step = forward * step_pct / 100
    strikes = np.arange(np.floor(forward * np.exp(-width) / step), np.ceil(forward * np.exp(width) / step)) * step
    call = black76_price(forward, strikes, t, 0.05, sigma, True)
    put = black76_price(forward, strikes, t, 0.05, sigma, False)

    def bid(price: np.ndarray) -> np.ndarray:
        return np.where(price >= 0.05, price * 0.99, 0.0)

    return VixChain(
        strikes=strikes,
        call_bid=bid(call),
        call_ask=np.maximum(call * 1.01, 0.05),
        put_bid=bid(put),
        put_ask=np.maximum(put * 1.01, 0.05),
        forward=forward,
        minutes_to_expiry=minutes,
        rate=0.05,
    )


@settings(max_examples=40, deadline=None)
@given(
    sigma=st.floats(0.08, 0.60),
    near_days=st.integers(5, 29),
    forward=st.floats(5_000, 60_000),
)
def test_it_recovers_the_volatility_of_a_flat_lognormal_market(sigma: float, near_days: int, forward: float) -> None:
    """Model-free variance of Black-76 prices at one volatility is that volatility (to the discretisation)."""
    near = _priced_chain(forward, sigma, near_days * 1440.0)
    next_month = _priced_chain(forward * 1.004, sigma, (near_days + 28) * 1440.0)
    result = india_vix(near, next_month)
    assert result.vix == pytest.approx(100 * sigma, rel=0.02)
    assert result.near.put_wing_closed and result.near.call_wing_closed  # the walk found the zero bids


def test_it_stops_a_wing_at_two_consecutive_zero_bids(near: VixChain) -> None:
    put_bid = np.asarray(near.put_bid).copy()
    put_bid[[1, 2]] = 0.0  # 3900 and 4000 puts: no bid
    term = vix_term(replace(near, put_bid=put_bid))
    assert term.put_wing_closed and not term.call_wing_closed  # the calls ran out of strikes with bids on them
    # 3800 is beyond the two zero bids, however good its quote; 4100 is inside but wide, with no knot below it.
    assert term.strikes.min() == 4200.0

    lone = np.asarray(near.put_bid).copy()
    lone[6] = 0.0  # 4400 put alone without a bid: inside the wing, filled by the spline
    filled = vix_term(replace(near, put_bid=lone))
    assert not filled.put_wing_closed
    assert 4400.0 in filled.strikes[filled.filled].tolist()
    assert filled.strikes.min() == 3800.0


def test_it_skips_legs_that_were_not_quoted(near: VixChain) -> None:
    bid, ask = np.asarray(near.put_bid).copy(), np.asarray(near.put_ask).copy()
    bid[[5, 6]] = ask[[5, 6]] = np.nan  # 4300 and 4400 puts were not collected: no quote, not a zero bid
    term = vix_term(replace(near, put_bid=bid, put_ask=ask))
    assert not term.put_wing_closed
    assert 4300.0 not in term.strikes.tolist() and 4400.0 not in term.strikes.tolist()
    assert term.strikes.min() == 3800.0


def test_it_drops_a_spline_value_below_zero() -> None:
    """Sparse knots next to a steep rise make the natural spline swing negative: no price, so no strike."""
    strikes = np.arange(100.0, 200.0, 10.0)
    put_mid = np.array([0.5, 1.0, 1.0, 1.0, 0.5, 30.0, 90.0, 0.0, 0.0, 0.0])
    put_bid, put_ask = put_mid * 0.99, put_mid * 1.01
    put_bid[[1, 2, 3]], put_ask[[1, 2, 3]] = 0.05, 5.0  # 110-130: wide, to be filled from the knots around them
    call_mid = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 95.0, 40.0, 12.0, 3.0])
    chain = VixChain(
        strikes=strikes,
        call_bid=call_mid * 0.99,
        call_ask=call_mid * 1.01,
        put_bid=put_bid,
        put_ask=put_ask,
        forward=162.0,
        minutes_to_expiry=20 * 1440.0,
        rate=0.05,
    )
    term = vix_term(chain)
    assert term.k0 == 160.0
    assert not {110.0, 120.0, 130.0} & set(term.strikes.tolist())
    assert np.all(term.quotes > 0)


def test_it_prices_an_end_of_day_chain_from_the_traded_legs_only(near: VixChain) -> None:
    """A settled chain uses each traded leg's price as it is: the white paper's toy mids give the raw-mid answer."""
    mids = {
        side: (np.asarray(getattr(near, f"{side}_bid")) + np.asarray(getattr(near, f"{side}_ask"))) / 2
        for side in ("call", "put")
    }
    settled = VixSettled(
        strikes=near.strikes,
        call_price=mids["call"],
        put_price=mids["put"],
        forward=near.forward,
        minutes_to_expiry=near.minutes_to_expiry,
        rate=near.rate,
    )
    term = vix_term(settled)
    assert round(term.variance, 6) == 0.073249  # = india_vix(..., spline=False): raw mids, nothing filled
    assert not term.filled.any() and term.strikes.size == 20

    untraded = mids["put"].copy()
    untraded[[1, 3]] = np.nan  # 3900 and 4100 puts did not trade: dropped, never filled or walked past
    partial = vix_term(replace(settled, put_price=untraded))
    assert partial.strikes.size == 18 and 3800.0 in partial.strikes.tolist()
    with pytest.raises(ValueError, match="no usable call and put quote at K0 = 5100"):
        vix_term(replace(settled, call_price=np.where(np.asarray(near.strikes) == 5100, np.nan, mids["call"])))
