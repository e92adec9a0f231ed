from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analytics.models import ChainSnapshot
from apps.analytics.services import analytics_compute
from apps.market.calendar import years_to_expiry
from apps.marketdata.models import OptionQuote
from pricing import black76_second_order
from tests.api.conftest import STRIKES, WEEKLY, leg_price
from tests.factories.marketdata import MINUTE

pytestmark = pytest.mark.django_db
URL = "/api/v1/option-chain/NIFTY"


def test_it_returns_both_legs_of_each_strike_at_the_latest_minute(api, archived_chain) -> None:
    response = api.get(URL, {"at": "2026-01-19T15:00"})

    assert response.status_code == 200
    body = response.json()
    assert body["symbol"] == "NIFTY"
    assert body["expiry"] == "2026-01-20"
    assert body["bucket"] == "this_week"
    assert body["minute"] == "2026-01-19T09:31:00+05:30"
    assert body["spot"] == 23011
    assert body["forward"] == 23031  # not analysed yet: collection's estimate, without a source
    assert body["forward_source"] is None
    assert [row["strike"] for row in body["rows"]] == STRIKES
    atm = body["rows"][2]
    assert atm["strike_offset"] == 0
    assert atm["ce"]["price"] == leg_price(23000, "CE", 1) == 91.5
    assert atm["pe"]["price"] == leg_price(23000, "PE", 1) == 81.5
    assert atm["ce"]["oi"] == 1_010_000
    assert atm["pe"]["oi"] == 1_010_007
    assert atm["ce"]["oi_change"] == 12_000
    assert atm["pe"]["oi_change"] == -6_500
    assert atm["ce"]["bid"] == 120.45 and atm["ce"]["ask"] == 120.6
    assert atm["ce"]["iv"] == pytest.approx(0.12)
    assert atm["pe"]["delta"] == -0.45
    assert atm["ce"]["buildup"] == "long_buildup"
    assert atm["ce"]["tradingsymbol"] == "NIFTY2612023000CE"
    assert body["rows"][4]["pe"]["quality_flags"] == ["stale_bid_ask"]


def test_it_gives_the_analysed_forward_and_the_rule_step_behind_it(api, archived_chain) -> None:
    analytics_compute()
    snapshot = ChainSnapshot.objects.get(expiry=WEEKLY, minute=MINUTE + timedelta(minutes=1))

    body = api.get(URL, {"at": "2026-01-19T15:00"}).json()

    # Every leg was quoted two-sided and traded, so the parity forward: the IVs in the rows are on it.
    assert (body["forward"], body["forward_source"]) == (snapshot.forward, "parity")
    assert body["forward"] != 23031


def test_it_returns_the_chain_as_it_was_at_a_past_minute(api, archived_chain) -> None:
    # 09:30:40 IST: the 09:31 minute is not yet archived, so 09:30 is shown.
    response = api.get(URL, {"at": "2026-01-19T09:30:40"})

    body = response.json()
    assert body["minute"] == "2026-01-19T09:30:00+05:30"
    assert body["rows"][2]["ce"]["last_price"] == leg_price(23000, "CE", 0) == 90.0


def test_it_reads_an_at_with_an_offset_in_its_own_zone(api, archived_chain) -> None:
    response = api.get(URL, {"at": "2026-01-19T04:00:59Z"})

    assert response.json()["minute"] == "2026-01-19T09:30:00+05:30"


def test_it_resolves_a_bucket_to_the_expiry_filed_under_it_at_that_minute(api, archived_chain) -> None:
    response = api.get(URL, {"bucket": "next_week", "at": "2026-01-19T09:30"})

    assert response.status_code == 200
    assert response.json()["expiry"] == "2026-01-27"
    assert response.json()["bucket"] == "next_week"


def test_it_serves_an_explicit_expiry_at_its_own_latest_minute(api, archived_chain) -> None:
    # The 27 Jan expiry was last archived at 09:30, although NIFTY has a later minute.
    response = api.get(URL, {"expiry": "2026-01-27", "at": "2026-01-19T15:00"})

    assert response.json()["minute"] == "2026-01-19T09:30:00+05:30"


def test_it_keeps_only_the_requested_strike_offsets(api, archived_chain) -> None:
    response = api.get(URL, {"offsets": "-1..1"})

    assert [row["strike"] for row in response.json()["rows"]] == [22950.0, 23000.0, 23050.0]
    response = api.get(URL, {"offsets": "-2,2"})
    assert [row["strike_offset"] for row in response.json()["rows"]] == [-2, 2]


def test_it_fills_price_from_the_average_price_when_asked(api, archived_chain) -> None:
    response = api.get(URL, {"price": "average"})

    atm = response.json()["rows"][2]
    assert response.json()["price"] == "average"
    assert atm["ce"]["price"] == atm["ce"]["average_price"] == 89.5


def test_it_uses_a_constant_number_of_queries_whatever_the_chain_size(
    api, archived_chain, django_assert_num_queries
) -> None:
    # token auth, symbol, whether the day is archived, latest minute, expiry at that minute, the legs with their
    # instruments, the forward
    with django_assert_num_queries(7):
        response = api.get(URL, {"offsets": "0"})
    assert len(response.json()["rows"]) == 1
    # The token is trusted for a few seconds in this process (apps/core/api_tokens.py): the chain's six remain.
    with CaptureQueriesContext(connection) as all_strikes:
        api.get(URL)
    assert len(all_strikes.captured_queries) == 6
    with django_assert_num_queries(0):  # the same chain again, from the cache (apps/api/chain_cache.py)
        api.get(URL)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"bucket": "this_year"}, 400, "bucket='this_year' is not valid"),
        ({"expiry": "2026-13-01"}, 400, "expiry='2026-13-01' is not a date"),
        ({"expiry": "2026-01-20", "bucket": "this_week"}, 400, "either expiry or bucket"),
        ({"at": "yesterday"}, 400, "at='yesterday' is not an ISO 8601 time"),
        ({"offsets": "2..-2"}, 400, "offsets='2..-2' is not valid"),
        ({"offsets": "a,b"}, 400, "offsets='a,b' is not valid"),
        ({"offsets": "0..99"}, 400, "within ±50"),
        ({"price": "close"}, 400, "price='close' is not valid"),
        ({"expiry": "2026-02-24"}, 404, "No NIFTY quotes for expiry 2026-02-24"),
        ({"at": "2026-01-19T09:29"}, 404, "at or before 2026-01-19 09:29 IST"),
        ({"bucket": "next_month"}, 404, "No NIFTY expiry was collected in bucket next_month"),
    ],
)
def test_it_explains_bad_input(api, archived_chain, query, status, message) -> None:
    response = api.get(URL, query)

    assert response.status_code == status
    assert message in response.json()["error"]


def test_it_answers_404_with_the_known_symbols_for_an_unknown_symbol(api, archived_chain) -> None:
    response = api.get("/api/v1/option-chain/NIFTTY")

    assert response.status_code == 404
    assert response.json() == {"error": "Unknown symbol 'NIFTTY'; known symbols: NIFTY."}


def test_it_accepts_a_symbol_in_any_case(api, archived_chain) -> None:
    assert api.get("/api/v1/option-chain/nifty").json()["symbol"] == "NIFTY"


def test_it_refuses_anonymous_clients(anon, archived_chain) -> None:
    response = anon.get(URL)

    assert response.status_code == 401
    assert "credentials were not provided" in response.json()["error"]


def test_it_adds_the_second_order_greeks_only_when_asked(api, archived_chain) -> None:
    plain = api.get(URL, {"at": "2026-01-19T15:00"}).json()
    assert "vanna" not in plain["rows"][2]["ce"]

    body = api.get(URL, {"at": "2026-01-19T15:00", "greeks": "all"}).json()

    # Not analysed: the greeks are on collection's forward (23031 at 09:31), at the stored IV of each leg.
    t = years_to_expiry(datetime(2026, 1, 19, 4, 1, tzinfo=UTC), WEEKLY)
    for row in body["rows"]:
        for leg, is_call in (("ce", True), ("pe", False)):
            expected = black76_second_order(23031.0, row["strike"], t, 0.055, row[leg]["iv"], is_call)
            for name in ("vanna", "charm", "vomma", "speed", "zomma", "color"):
                assert row[leg][name] == pytest.approx(float(expected[name]), rel=1e-12), (row["strike"], leg, name)
    atm = body["rows"][2]
    assert atm["ce"]["vanna"] == pytest.approx(atm["pe"]["vanna"], rel=1e-12)
    assert atm["ce"]["color"] != 0


def test_it_leaves_the_second_order_greeks_null_without_an_iv(api, archived_chain) -> None:
    OptionQuote.objects.filter(strike=22900.0).update(iv=None)

    body = api.get(URL, {"at": "2026-01-19T15:00", "greeks": "all"}).json()

    assert body["rows"][0]["ce"]["vanna"] is None and body["rows"][0]["pe"]["speed"] is None
    assert body["rows"][1]["ce"]["vanna"] is not None


def test_it_refuses_an_unknown_greeks_choice(api, archived_chain) -> None:
    response = api.get(URL, {"greeks": "third"})

    assert response.status_code == 400
    assert "greeks" in response.json()["error"]
