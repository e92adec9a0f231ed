"""The analytics endpoints over the real pipeline: the simulated market collected and analysed."""

from __future__ import annotations

import pytest

from apps.analytics import selectors
from apps.analytics.services import analytics_compute
from apps.brokers.base import get_broker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.clock import to_ist
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionRun
from apps.marketdata.services.bhavcopy import bhavcopy_import
from tests.exchange_files import FO_BHAVCOPY

pytestmark = pytest.mark.django_db
BASE = "/api/v1/analytics/NIFTY"
CHAIN_ENDPOINTS = {
    "summary": selectors.chain_summary,
    "greeks": selectors.chain_greeks,
    "iv-smile": selectors.iv_smile,
    "iv-surface": selectors.iv_surface,
    "oi": selectors.oi_by_strike,
    "gex": selectors.gex,
}


@pytest.fixture
def analysed() -> list[CollectionRun]:
    """Three minutes of NIFTY from the simulated market, analysed."""
    broker = get_broker("simulated")
    underlyings_load()
    instruments_sync(broker=broker)
    runs = [chain_collect(broker=broker, underlyings=["NIFTY"]) for _ in range(3)]
    assert all(run.quotes_stored > 0 for run in runs)
    assert analytics_compute() == 3
    return runs


def _ist(run: CollectionRun) -> str:
    return to_ist(run.minute).isoformat()


def test_it_serves_each_chain_analytic_as_its_selector_computes_it(api, analysed) -> None:
    first, _, last = analysed
    at = to_ist(first.minute).strftime("%Y-%m-%dT%H:%M")  # naive: read as IST
    for name, selector in CHAIN_ENDPOINTS.items():
        latest = api.get(f"{BASE}/{name}")
        assert latest.status_code == 200, (name, latest.json())
        assert latest.json() == selector(underlying="NIFTY"), name
        assert latest.json()["minute"] == _ist(last), name

        past = api.get(f"{BASE}/{name}", {"bucket": "next_week", "at": at})
        assert past.status_code == 200, (name, past.json())
        assert past.json() == selector(underlying="NIFTY", bucket="next_week", at=first.minute), name
        assert past.json()["minute"] == _ist(first), name


def test_it_summarises_the_chain_with_consistent_numbers(api, analysed) -> None:
    summary = api.get(f"{BASE}/summary", {"bucket": "this_week"}).json()
    oi = api.get(f"{BASE}/oi", {"expiry": summary["expiry"]}).json()

    assert summary["bucket"] == "this_week"
    # The simulated market quotes every leg two-sided within the 30 % rule: the parity forward.
    assert summary["forward_source"] == "parity"
    assert summary["forward"] == oi["forward"]
    assert summary["pcr_oi"] == pytest.approx(summary["total_put_oi"] / summary["total_call_oi"])
    assert sum(row["call_oi"] for row in oi["strikes"]) == summary["total_call_oi"]
    assert sum(row["put_oi"] for row in oi["strikes"]) == summary["total_put_oi"]
    assert oi["max_pain"] == summary["max_pain"]


def test_it_serves_the_price_toggle_in_both_modes(api, analysed) -> None:
    last = api.get(f"{BASE}/price-toggle", {"mode": "last", "sessions": "0"}).json()
    average = api.get(f"{BASE}/price-toggle", {"mode": "average", "sessions": "0"}).json()

    assert last == selectors.price_toggle(underlying="NIFTY", mode="last", sessions=0)
    assert average == selectors.price_toggle(underlying="NIFTY", mode="average", sessions=0)
    assert (last["mode"], average["mode"]) == ("last", "average")
    assert len(last["legs"][0]["series"]) == 3


def test_it_serves_history_overlay_iv_rank_and_volatility(api, analysed) -> None:
    first, _, last = analysed
    day = to_ist(first.minute).date()
    history = api.get(f"{BASE}/history", {"field": "pcr_oi", "from": day.isoformat(), "to": day.isoformat()})
    assert history.status_code == 200, history.json()
    assert [point["minute"] for point in history.json()["points"]] == [_ist(run) for run in analysed]
    daily = api.get(f"{BASE}/history", {"field": "max_pain", "from": day.isoformat(), "daily": "true"}).json()
    assert [point["minute"] for point in daily["points"]] == [_ist(last)]

    overlay = api.get(f"{BASE}/overlay", {"sessions": "5"})
    assert overlay.status_code == 200, overlay.json()
    assert overlay.json() == selectors.overlay(underlying="NIFTY", sessions=5)

    rank = api.get(f"{BASE}/iv-rank", {"sessions": "20"})
    assert rank.status_code == 200, rank.json()
    assert rank.json() == selectors.iv_rank(underlying="NIFTY", sessions=20)

    volatility = api.get(f"{BASE}/volatility", {"from": day.isoformat(), "to": day.isoformat()}).json()
    assert [point["minute"] for point in volatility["points"]] == [_ist(run) for run in analysed]

    comparison = api.get(f"{BASE}/expiry-comparison", {"field": "max_pain", "expiries": "2"})
    assert comparison.json() == selectors.expiry_comparison(underlying="NIFTY", field="max_pain", expiries=2)


@pytest.mark.parametrize(
    ("path", "query", "status", "message"),
    [
        ("summary", {"bucket": "someday"}, 400, "bucket='someday' is not valid"),
        ("greeks", {"expiry": "27-01-2026"}, 400, "expiry='27-01-2026' is not a date"),
        ("oi", {"at": "noon"}, 400, "at='noon' is not an ISO 8601 time"),
        ("summary", {}, 404, "No analytics for NIFTY"),
        ("price-toggle", {"mode": "close"}, 400, "mode='close' is not valid"),
        ("price-toggle", {"sessions": "-1"}, 400, "sessions=-1 is too small"),
        ("overlay", {"weekday": "9"}, 400, "weekday=9 is too large; the maximum is 6."),
        ("overlay", {"align": "moon"}, 400, "align='moon' is not valid"),
        ("history", {}, 400, "field is required"),
        ("history", {"field": "vwap"}, 400, "field='vwap' is not valid"),
        ("history", {"field": "pcr_oi", "from": "2026-02-01", "to": "2026-01-01"}, 400, "is after to="),
        ("history", {"field": "pcr_oi", "daily": "maybe"}, 400, "daily='maybe' is not a boolean"),
        ("iv-rank", {"sessions": "1"}, 400, "sessions=1 is too small; the minimum is 2."),
        ("vix-correlation", {"window": "2"}, 400, "window=2 is too small; the minimum is 3."),
        ("expiry-comparison", {"field": "gex"}, 400, "field='gex' is not valid"),
    ],
)
def test_it_explains_bad_analytics_requests(api, archived_chain, path, query, status, message) -> None:
    # archived_chain has quotes but no analytics yet: data questions answer 404.
    response = api.get(f"{BASE}/{path}", query)

    assert response.status_code == status
    assert message in response.json()["error"]


def test_it_answers_404_for_an_unknown_symbol(api, archived_chain) -> None:
    response = api.get("/api/v1/analytics/NIFTYY/gex")

    assert response.status_code == 404
    assert response.json()["error"] == "Unknown symbol 'NIFTYY'; known symbols: NIFTY."


@pytest.mark.parametrize("name", [*CHAIN_ENDPOINTS, "price-toggle", "overlay", "history", "iv-rank", "volatility"])
def test_it_refuses_anonymous_clients(anon, name) -> None:
    assert anon.get(f"{BASE}/{name}").status_code == 401


def test_it_gives_the_reason_instead_of_our_vix_where_the_snapshot_cannot_support_it(api, analysed) -> None:
    day = to_ist(analysed[0].minute).date().isoformat()
    points = api.get(f"{BASE}/volatility", {"from": day, "to": day}).json()["points"]
    assert points and {(p["our_vix"], p["our_vix_reason"]) for p in points} == {(None, "atm_scope")}
    assert points[0]["our_vix_note"].startswith("only 5 strikes of ")  # the default ATM +/- 2 scope


def test_it_serves_our_vix_of_an_end_of_day_snapshot(api) -> None:
    underlyings_load()
    bhavcopy_import(path=FO_BHAVCOPY / "NIFTY_20260327.csv")
    analytics_compute()
    body = api.get(f"{BASE}/volatility", {"from": "2026-03-27", "to": "2026-03-27T23:59"}).json()
    assert body["our_vix_label"] == "optrading India-VIX-style (ours)"
    [point] = body["points"]
    assert point["our_vix"] == pytest.approx(26.40, abs=0.005)
    assert point["our_vix_reason"] is None
    assert point["our_vix_note"].startswith("2026-04-28 and 2026-05-26 (rolled")
