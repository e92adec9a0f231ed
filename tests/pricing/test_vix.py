"""India VIX on the toy chains of NSE's white paper (reference values in tests/fixtures/pricing/README.md)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pricing import VixChain, india_vix, vix_term

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
