"""Basket margin: the double's /margins/basket (its rule, Kite-shaped 400s) and KiteBroker.basket_margin over HTTP."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from apps.brokers.base import MarginOrder, MarginUnavailableError, TransientBrokerError
from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.kite.errors import KiteInputError, KiteSessionError
from apps.brokers.models import BrokerSession, SessionStatus
from apps.brokers.simulated import SimulatedBroker
from tests.kite_double import KiteDouble
from tests.kite_double.market import IST, MarketBook, Row

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 1, 19, 9, 31, tzinfo=IST)
"""The double's clock for these tests (set after the login, so the session stays valid): its book lists the
NIFTY weekly of 20 Jan 2026."""
SPAN, EXPOSURE = 0.09, 0.02  # the double's documented rates (tests/kite_double/server.py, docs/kite.md)


def _option(double: KiteDouble, strike: float, kind: str) -> Row:
    return next(
        r
        for r in double.book.rows
        if r.name == "NIFTY" and r.instrument_type == kind and r.strike == strike and str(r.expiry) == "2026-01-20"
    )


def _order(row: Row, side: str, lots: int = 1, **changes: object) -> dict[str, object]:
    order: dict[str, object] = {
        "exchange": row.exchange,
        "tradingsymbol": row.tradingsymbol,
        "transaction_type": side,
        "variety": "regular",
        "product": "NRML",
        "order_type": "MARKET",
        "quantity": lots * row.lot_size,
        "price": 0,
        "trigger_price": 0,
    }
    return {**order, **changes}


@pytest.fixture
def at_when(kite_session: BrokerSession, kite_double: KiteDouble) -> KiteDouble:
    kite_double.set_time(WHEN)
    return kite_double


def _post(double: KiteDouble, body: object, **params: str) -> requests.Response:
    [token] = double.live_tokens()
    return requests.post(
        f"{double.root}/margins/basket",
        params={"consider_positions": "true", **params},
        json=body,
        headers={"X-Kite-Version": "3", "Authorization": f"token {double.api_key}:{token}"},
        timeout=5,
    )


def test_the_double_margins_an_iron_condor_by_its_documented_rule(at_when: KiteDouble) -> None:
    double = at_when
    legs = [(22900, "PE", "BUY"), (22950, "PE", "SELL"), (23050, "CE", "SELL"), (23100, "CE", "BUY")]
    rows = [_option(double, strike, kind) for strike, kind, _ in legs]

    reply = _post(double, [_order(row, side) for row, (_, _, side) in zip(rows, legs, strict=True)])

    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    spot = MarketBook.spot_at(rows[0].underlying.index, WHEN)  # type: ignore[union-attr]
    q = 65
    premium = (double.book.price(rows[0], WHEN) + double.book.price(rows[3], WHEN)) * q
    naked_span = 2 * SPAN * spot * q
    exposure = 2 * EXPOSURE * spot * q
    assert data["initial"]["span"] == pytest.approx(naked_span, abs=0.01)
    assert data["initial"]["exposure"] == pytest.approx(exposure, abs=0.01)
    assert data["initial"]["option_premium"] == pytest.approx(premium, abs=0.01)
    assert data["initial"]["total"] == pytest.approx(naked_span + exposure + premium, abs=0.02)
    # Each spread's worst loss is its 50-point width; only one side can lose at expiry.
    assert data["final"]["span"] == pytest.approx(50 * q, abs=0.01)
    assert data["final"]["total"] == pytest.approx(50 * q + exposure + premium, abs=0.02)
    assert [o["tradingsymbol"] for o in data["orders"]] == [r.tradingsymbol for r in rows]
    assert data["orders"][0]["span"] == 0 and data["orders"][1]["option_premium"] == 0

    compact = _post(double, [_order(rows[1], "SELL")], mode="compact").json()["data"]
    assert compact["initial"]["span"] == 0 and compact["initial"]["total"] == pytest.approx(
        (SPAN + EXPOSURE) * spot * q, abs=0.01
    )
    assert compact["orders"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tradingsymbol": "NIFTY26JAN99999CE"}, "invalid `tradingsymbol`"),
        ({"exchange": "XYZ"}, "invalid `exchange`"),
        ({"transaction_type": "HOLD"}, "invalid `transaction_type`"),
        ({"product": "ABC"}, "invalid `product`"),
        ({"quantity": 64}, "not a multiple of its lot size 65"),
        ({"quantity": 0}, "`quantity` must be a positive whole number"),
        ({"price": -1}, "invalid `price`"),
    ],
)
def test_the_double_refuses_a_bad_order_as_kite_does(at_when: KiteDouble, change: dict, message: str) -> None:
    good = _order(_option(at_when, 23000, "CE"), "SELL")

    reply = _post(at_when, [good, {**good, **change}])

    assert reply.status_code == 400
    body = reply.json()
    assert (body["status"], body["error_type"], body["data"]) == ("error", "InputException", None)
    assert body["message"].startswith("Order 2: ") and message in body["message"], body["message"]


def test_the_double_refuses_an_empty_basket_and_a_bad_flag(at_when: KiteDouble) -> None:
    assert "non-empty JSON list" in _post(at_when, []).json()["message"]
    good = _order(_option(at_when, 23000, "CE"), "SELL")
    assert "consider_positions" in _post(at_when, [good], consider_positions="maybe").json()["message"]


def test_the_broker_asks_kite_through_pykiteconnect(kite_broker: KiteBroker, at_when: KiteDouble) -> None:
    call, put = _option(at_when, 23000, "CE"), _option(at_when, 23000, "PE")
    orders = [MarginOrder("NFO", call.tradingsymbol, "SELL", 130), MarginOrder("NFO", put.tradingsymbol, "SELL", 130)]

    assert kite_broker.margin_ready() == (True, "ok")
    margin = kite_broker.basket_margin(orders)

    spot = MarketBook.spot_at(call.underlying.index, WHEN)  # type: ignore[union-attr]
    assert margin.initial.span == pytest.approx(2 * SPAN * spot * 130, abs=0.01)
    assert margin.final.span == pytest.approx(SPAN * spot * 130, abs=0.01)  # a short straddle: one side's SPAN
    assert margin.final.exposure == margin.initial.exposure == pytest.approx(2 * EXPOSURE * spot * 130, abs=0.01)
    assert margin.hedge_benefit == pytest.approx(SPAN * spot * 130, abs=0.02)
    [request] = [r for r in at_when.requests if r.path == "/margins/basket"]
    assert request.method == "POST" and request.query["consider_positions"] == ["True"]
    assert "mode" not in request.query  # full mode: the breakdown, not only the totals
    assert request.headers["content-type"] == "application/json"


def test_kite_s_refusal_is_a_broker_error_with_its_message(kite_broker: KiteBroker, at_when: KiteDouble) -> None:
    with pytest.raises(KiteInputError, match="not a multiple of its lot size"):
        kite_broker.basket_margin([MarginOrder("NFO", _option(at_when, 23000, "CE").tradingsymbol, "SELL", 10)])


def test_a_rejected_token_expires_the_session(
    kite_broker: KiteBroker, at_when: KiteDouble, kite_session: BrokerSession
) -> None:
    at_when.inject("token_expired", path="/margins/basket")

    with pytest.raises(KiteSessionError):
        kite_broker.basket_margin([MarginOrder("NFO", _option(at_when, 23000, "CE").tradingsymbol, "SELL", 65)])

    kite_session.refresh_from_db()
    assert kite_session.status == SessionStatus.EXPIRED
    assert kite_broker.margin_ready()[0] is False


def test_an_unavailable_kite_is_retried_then_given_up(kite_broker: KiteBroker, at_when: KiteDouble) -> None:
    at_when.inject("unavailable", path="/margins/basket", times=10)

    with pytest.raises(TransientBrokerError, match="gave up after 4 tries"):
        kite_broker.basket_margin([MarginOrder("NFO", _option(at_when, 23000, "CE").tradingsymbol, "SELL", 65)])
    assert at_when.count("/margins/basket", "POST") == 4


def test_without_a_session_it_says_so_and_calls_nothing(kite_broker: KiteBroker, kite_double: KiteDouble) -> None:
    ready, reason = kite_broker.margin_ready()
    assert not ready and "No Kite session" in reason
    assert kite_double.count("/margins/basket", "POST") == 0


def test_the_simulated_market_has_no_margin_system() -> None:
    broker = SimulatedBroker(seed=1)
    ready, reason = broker.margin_ready()
    assert not ready and "simulated market has no margin system" in reason
    with pytest.raises(MarginUnavailableError, match="simulated market"):
        broker.basket_margin([MarginOrder("NFO", "NIFTY2612023000CE", "SELL", 65)])
