"""POST /api/v1/strategies/payoff on an archived, analysed chain; GET /api/v1/strategies/templates."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from scipy.special import ndtr

from apps.analytics.models import ChainSnapshot
from apps.analytics.services import analytics_compute
from apps.market.calendar import years_to_expiry
from apps.marketdata.models import OptionQuote
from pricing import black76_price
from tests.api.conftest import WEEKLY
from tests.factories.marketdata import MINUTE

pytestmark = pytest.mark.django_db
URL = "/api/v1/strategies/payoff"
LOT = 65  # NIFTY's lot size for January 2026 expiries (apps/market/rules)
AT = "2026-01-19T09:31"


def leg(strike: float, option_type: str, side: str, lots: int = 1, price: float | None = None) -> dict:
    out = {"expiry": WEEKLY.isoformat(), "strike": strike, "option_type": option_type, "side": side, "lots": lots}
    return out if price is None else {**out, "price": price}


@pytest.fixture
def analysed(archived_chain):
    analytics_compute()
    return ChainSnapshot.objects.get(expiry=WEEKLY, minute=MINUTE + timedelta(minutes=1))


def test_a_long_call_pays_its_intrinsic_value_less_the_premium_in_rupees(api, analysed) -> None:
    body = {"symbol": "NIFTY", "legs": [leg(23000, "CE", "buy", 2, 100.0)], "spots": [22900, 23100, 23300], "at": AT}

    response = api.post(URL, body, format="json")

    assert response.status_code == 200, response.json()
    reply = response.json()
    assert reply["lot_size"] == LOT and reply["minute"] == "2026-01-19T09:31:00+05:30"
    assert reply["at_expiry"] == [
        {"spot": 22900.0, "pnl": -100 * 2 * LOT},
        {"spot": 23100.0, "pnl": 0.0},
        {"spot": 23300.0, "pnl": 200 * 2 * LOT},
    ]
    assert reply["breakevens"] == [23100.0]
    assert (reply["max_profit"], reply["max_loss"]) == (None, -100 * 2 * LOT)
    assert reply["unlimited"] == {"profit": True, "loss": False}
    assert reply["net_premium"] == -100 * 2 * LOT
    assert reply["margin"]["available"] is False and "no margin system" in reply["margin"]["reason"]
    # Probability of profit: P(S_T > 23100) for S_T lognormal at the analysed forward and ATM IV.
    t = years_to_expiry(MINUTE + timedelta(minutes=1), WEEKLY)
    sd = analysed.atm_iv * math.sqrt(t)
    assert reply["pop"] == pytest.approx(float(ndtr((math.log(analysed.forward / 23100) - sd * sd / 2) / sd)), rel=1e-9)
    # Before expiry, the valuation day at the valuation minute: Black-76 on the forward at the strike's IV.
    [today] = reply["before_expiry"]
    assert today["date"] == "2026-01-19"
    iv = reply["legs"][0]["iv"]
    otm = "CE" if analysed.forward <= 23000 else "PE"  # the smile takes the out-of-the-money leg's IV
    stored = OptionQuote.objects.get(minute=MINUTE + timedelta(minutes=1), expiry=WEEKLY, strike=23000, option_type=otm)
    assert iv == pytest.approx(stored.iv, rel=1e-12)
    spot = reply["spot"]
    for point in today["points"]:
        forward = point["spot"] * analysed.forward / spot
        value = float(black76_price(forward, 23000.0, t, 0.055, iv, True))
        assert point["pnl"] == pytest.approx(2 * LOT * (value - 100.0), abs=0.01)
    assert reply["greeks"]["delta"] > 0 and reply["greeks"]["theta"] < 0 and reply["greeks"]["vega"] > 0


def test_a_leg_without_a_price_is_entered_at_the_archived_mid(api, analysed) -> None:
    OptionQuote.objects.filter(minute=MINUTE + timedelta(minutes=1), strike=23000, option_type="PE").update(
        bid=80.0, ask=81.0
    )

    reply = api.post(URL, {"symbol": "nifty", "legs": [leg(23000, "PE", "sell")], "at": AT}, format="json").json()

    assert (reply["legs"][0]["price"], reply["legs"][0]["price_source"]) == (80.5, "mid")
    assert reply["legs"][0]["quantity"] == LOT
    assert reply["net_premium"] == 80.5 * LOT
    assert reply["max_profit"] == 80.5 * LOT and reply["unlimited"] == {"profit": False, "loss": False}
    assert reply["max_loss"] == pytest.approx(-(23000 - 80.5) * LOT)  # the index cannot fall below zero
    assert reply["breakevens"] == [22919.5]


def test_a_butterfly_loses_at_most_its_debit(api, analysed) -> None:
    legs = [
        leg(22900, "CE", "buy", price=150.0),
        leg(23000, "CE", "sell", 2, 91.0),
        leg(23100, "CE", "buy", price=50.0),
    ]

    reply = api.post(URL, {"symbol": "NIFTY", "legs": legs, "at": AT}, format="json").json()

    assert reply["net_premium"] == -18 * LOT
    assert reply["max_loss"] == -18 * LOT and reply["max_profit"] == (100 - 18) * LOT
    assert reply["breakevens"] == [22918.0, 23082.0]
    assert 0 < reply["pop"] < 1
    assert reply["greeks"]["gamma"] < 0  # short the body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"legs": [leg(23000, "CE", "buy")]}, "symbol"),
        ({"symbol": "NIFTY", "legs": []}, "legs"),
        ({"symbol": "NIFTY", "legs": [{**leg(23000, "CE", "buy"), "option_type": "CA"}]}, "legs"),
        ({"symbol": "NIFTY", "legs": [{**leg(23000, "CE", "buy"), "lots": 0}]}, "legs"),
        ({"symbol": "NIFTY", "legs": [leg(23000, "CE", "buy")], "at": "noon"}, "at"),
        ({"symbol": "NIFTY", "legs": [leg(23000, "CE", "buy")], "spots": [-5]}, "spots"),
        ({"symbol": "NIFTI", "legs": [leg(23000, "CE", "buy")]}, "symbol"),
        ({"symbol": "NIFTY", "legs": [leg(23000, "CE", "buy")], "at": "2020-01-02T10:00"}, "legs[0].expiry"),
        ({"symbol": "NIFTY", "legs": [leg(23025, "CE", "buy")], "at": AT}, "legs[0].price"),
        ({"symbol": "NIFTY", "legs": [leg(23000, "CE", "buy")], "at": AT, "dates": ["2026-01-25"]}, "dates[0]"),
        ({"symbol": "NIFTY", "legs": [leg(23000, "CE", "buy")], "strategy": "yolo"}, "strategy"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, analysed, body, field) -> None:
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()


def test_a_chain_without_ivs_is_refused_before_any_pricing(api, archived_chain) -> None:
    OptionQuote.objects.update(iv=None)

    response = api.post(
        URL, {"symbol": "NIFTY", "legs": [leg(23000, "CE", "buy", price=90.0)], "at": AT}, format="json"
    )
    assert response.status_code == 400
    assert "no IVs" in response.json()["error"]


def test_it_needs_credentials(anon, analysed) -> None:
    assert anon.post(URL, {"symbol": "NIFTY", "legs": [leg(23000, "CE", "buy")]}, format="json").status_code == 401
    assert anon.get("/api/v1/strategies/templates").status_code == 401


def test_it_lists_the_templates_relative_to_atm(api) -> None:
    reply = api.get("/api/v1/strategies/templates").json()

    assert [t["key"] for t in reply] == [
        "long_straddle",
        "short_straddle",
        "long_strangle",
        "short_strangle",
        "bull_call_spread",
        "bear_call_spread",
        "bull_put_spread",
        "bear_put_spread",
        "iron_condor",
        "iron_butterfly",
        "butterfly",
        "calendar",
    ]
    condor = next(t for t in reply if t["key"] == "iron_condor")
    assert [(x["option_type"], x["side"], x["strike_offset"]) for x in condor["legs"]] == [
        ("PE", "buy", -4),
        ("PE", "sell", -2),
        ("CE", "sell", 2),
        ("CE", "buy", 4),
    ]
    calendar = next(t for t in reply if t["key"] == "calendar")
    assert [x["expiry"] for x in calendar["legs"]] == ["near", "next"]
