"""The payoff's basket margin: Kite's (the double's) figures with the Kite broker, and why not otherwise."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from apps.brokers.models import BrokerSession, SessionStatus
from apps.brokers.services import kite_session_create
from tests.api.conftest import WEEKLY
from tests.kite_double import KiteDouble
from tests.kite_double.market import IST, MarketBook, Row

pytestmark = pytest.mark.django_db
URL = "/api/v1/strategies/payoff"
AT = "2026-01-19T09:31"
LOT = 65
WHEN = datetime(2026, 1, 19, 9, 31, tzinfo=IST)
SPAN, EXPOSURE = 0.09, 0.02  # the double's documented rates (docs/kite.md, tests/kite_double/server.py)
CONDOR = [
    (22900, "PE", "buy", 90.0),
    (22950, "PE", "sell", 100.0),
    (23050, "CE", "sell", 110.0),
    (23100, "CE", "buy", 80.0),
]


def _body(legs: list[tuple[float, str, str, float]], lots: int = 1) -> dict:
    return {
        "symbol": "NIFTY",
        "at": AT,
        "spots": [23000],
        "legs": [
            {"expiry": WEEKLY.isoformat(), "strike": k, "option_type": t, "side": s, "lots": lots, "price": p}
            for k, t, s, p in legs
        ],
    }


def _row(double: KiteDouble, strike: float, kind: str) -> Row:
    return double.book.by_key[f"NFO:NIFTY261{WEEKLY:%d}{strike:g}{kind}"]


@pytest.fixture
def kite(kite_session: BrokerSession, kite_double: KiteDouble) -> KiteDouble:
    """The Kite broker configured and logged in; the double's clock at the payoff's minute (its book then lists
    the 20 Jan 2026 weekly the archived chain holds)."""
    kite_double.set_time(WHEN)
    return kite_double


def test_with_kite_the_margin_is_kite_s_for_the_legs_as_orders(api, archived_chain, kite: KiteDouble) -> None:
    response = api.post(URL, _body(CONDOR, lots=2), format="json")

    assert response.status_code == 200, response.json()
    margin = response.json()["margin"]
    q = 2 * LOT
    spot = MarketBook.spot_at(_row(kite, 23000, "CE").underlying.index, WHEN)  # type: ignore[union-attr]
    premium = (kite.book.price(_row(kite, 22900, "PE"), WHEN) + kite.book.price(_row(kite, 23100, "CE"), WHEN)) * q
    exposure = 2 * EXPOSURE * spot * q
    initial = 2 * SPAN * spot * q + exposure + premium
    final = 50 * q + exposure + premium  # each spread's worst loss (50 points); one side can lose at expiry
    assert margin["available"] is True and margin["source"] == "kite" and margin["reason"] == ""
    assert margin["initial"] == pytest.approx(initial, abs=0.05)
    assert margin["final"] == pytest.approx(final, abs=0.05)
    assert margin["hedge_benefit"] == pytest.approx(initial - final, abs=0.05)
    assert margin["span"] == pytest.approx(50 * q, abs=0.01)
    assert margin["exposure"] == pytest.approx(exposure, abs=0.01)
    assert margin["premium"] == pytest.approx(premium, abs=0.01)
    [request] = [r for r in kite.requests if r.path == "/margins/basket"]
    orders = json.loads(request.body)
    assert [(o["tradingsymbol"], o["transaction_type"], o["quantity"]) for o in orders] == [
        ("NIFTY2612022900PE", "BUY", q),
        ("NIFTY2612022950PE", "SELL", q),
        ("NIFTY2612023050CE", "SELL", q),
        ("NIFTY2612023100CE", "BUY", q),
    ]
    assert {(o["product"], o["order_type"], o["variety"], o["exchange"]) for o in orders} == {
        ("NRML", "MARKET", "regular", "NFO")
    }

    # The what-if sliders re-POST the same legs: Kite is not asked again for 30 s.
    again = api.post(URL, {**_body(CONDOR, lots=2), "spots": [23100]}, format="json").json()["margin"]
    assert again == margin and kite.count("/margins/basket", "POST") == 1

    # Kite's margin counts the account's positions: after another login the figures are asked afresh.
    kite.set_time(datetime.now(UTC))  # a login now (the book's frozen minute would make it expire at once)
    kite_session_create(request_token=kite.issue_request_token(), request_id="another-login")
    kite.set_time(WHEN)
    afresh = api.post(URL, _body(CONDOR, lots=2), format="json").json()["margin"]
    assert afresh == margin, afresh
    assert kite.count("/margins/basket", "POST") == 2


@pytest.mark.parametrize(
    ("fault", "times", "said"),
    [
        ("token_expired", 1, "Kite rejected the session"),
        ("rate_limit", 10, "Kite rate limit hit (HTTP 429)"),
        ("unavailable", 10, "Kite is unavailable (HTTP 503)"),
        ("html_502", 10, "Kite sent an unusable reply"),
    ],
)
def test_a_kite_failure_leaves_the_payoff_whole_and_says_what_kite_said(
    api, archived_chain, kite: KiteDouble, kite_session: BrokerSession, fault: str, times: int, said: str
) -> None:
    kite.inject(fault, path="/margins/basket", times=times)

    response = api.post(URL, _body(CONDOR), format="json")

    assert response.status_code == 200, response.json()
    reply = response.json()
    assert reply["at_expiry"] == [{"spot": 23000.0, "pnl": pytest.approx(reply["at_expiry"][0]["pnl"])}]
    margin = reply["margin"]
    assert margin["available"] is False and margin["initial"] is None and margin["final"] is None
    assert margin["reason"].startswith("Kite could not compute the margin: ") and said in margin["reason"]
    kite_session.refresh_from_db()
    assert (kite_session.status == SessionStatus.EXPIRED) is (fault == "token_expired")


def test_kite_s_refusal_of_an_order_is_its_reason(api, archived_chain, kite: KiteDouble) -> None:
    # A lot size the market rules have but Kite does not (the double lists NIFTY at 65): Kite's 400 is the reason.
    kite.book.by_key["NFO:NIFTY2612023000CE"] = dataclasses.replace(_row(kite, 23000, "CE"), lot_size=75)

    margin = api.post(URL, _body([(23000, "CE", "sell", 100.0)]), format="json").json()["margin"]

    assert margin["available"] is False
    assert "Kite rejected the input" in margin["reason"] and "not a multiple of its lot size 75" in margin["reason"]


def test_without_a_kite_session_it_says_to_log_in(api, archived_chain, kite_settings, kite_double) -> None:
    margin = api.post(URL, _body(CONDOR), format="json").json()["margin"]

    assert margin["available"] is False and "No Kite session" in margin["reason"]
    assert kite_double.count("/margins/basket", "POST") == 0


def test_a_leg_missing_from_the_instrument_master_is_named(api, archived_chain, kite: KiteDouble) -> None:
    margin = api.post(URL, _body([(23025, "CE", "buy", 70.0)]), format="json").json()["margin"]

    assert margin["available"] is False
    assert "NIFTY 2026-01-20 23025 CE is not in the instrument master" in margin["reason"]
    assert kite.count("/margins/basket", "POST") == 0


def test_the_simulated_market_has_no_margin(api, archived_chain, settings) -> None:
    settings.OPTRADING_BROKER = "simulated"

    response = api.post(URL, _body(CONDOR), format="json")

    assert response.status_code == 200
    margin = response.json()["margin"]
    assert margin["available"] is False and margin["source"] is None
    assert "The simulated market has no margin system" in margin["reason"]
