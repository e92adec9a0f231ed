"""GET analytics/{symbol}/futures: basis, annualised carry, the near-next spread and rollover % per minute."""

from __future__ import annotations

import io
import math
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from apps.market.calendar import session_open, years_to_expiry
from apps.market.services import underlyings_load
from tests.exchange_files import FO_BHAVCOPY
from tests.factories.market import UnderlyingFactory
from tests.factories.marketdata import UnderlyingQuoteFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/NIFTY/futures"
DAY = date(2026, 1, 19)
NEAR, NEXT = date(2026, 1, 27), date(2026, 2, 24)


@pytest.fixture
def day_of_futures(db) -> None:
    nifty = UnderlyingFactory()
    for m, futures in enumerate(
        [
            {NEAR.isoformat(): 23100.0, NEXT.isoformat(): 23250.0},
            {NEAR.isoformat(): 23110.0},  # the next future missed a quote that minute
            {NEAR.isoformat(): 23120.0, NEXT.isoformat(): 23280.0},
        ]
    ):
        UnderlyingQuoteFactory(
            underlying=nifty, minute=session_open(DAY) + timedelta(minutes=m), spot=23000.0 + m, futures=futures
        )


def test_it_gives_basis_carry_and_the_calendar_spread_per_minute(api, day_of_futures) -> None:
    response = api.get(URL, {"date": "2026-01-19"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["minutes"] == ["2026-01-19T09:15:00+05:30", "2026-01-19T09:16:00+05:30", "2026-01-19T09:17:00+05:30"]
    assert body["spot"] == [23000.0, 23001.0, 23002.0]
    near, nxt = body["futures"]
    assert (near["expiry"], nxt["expiry"]) == ("2026-01-27", "2026-02-24")
    assert near["basis"] == [100.0, 109.0, 118.0]
    assert nxt["price"] == [23250.0, None, 23280.0] and nxt["basis"][1] is None
    t = years_to_expiry(session_open(DAY), NEAR)
    assert near["carry"][0] == pytest.approx(math.log(23100 / 23000) / t, abs=1e-6)
    assert body["calendar_spread"] == {"near": "2026-01-27", "next": "2026-02-24", "values": [150.0, None, 160.0]}
    assert body["rollover"]["available"] is False and "open interest" in body["rollover"]["reason"]
    assert body["rollover"]["values"] == [None, None, None]
    assert body["rollover"]["expiry_week"] is False  # 27 Jan is next week


def test_rollover_is_the_share_of_futures_oi_beyond_the_near_expiry(api) -> None:
    nifty = UnderlyingFactory()
    far = date(2026, 3, 30)
    day = NEAR  # the near future's own expiry day: its expiry week
    prices = {NEAR.isoformat(): 23100.0, NEXT.isoformat(): 23250.0, far.isoformat(): 23400.0}
    for m, futures_oi in enumerate(
        [
            None,  # archived before the futures' OI was kept: unknown
            {NEAR.isoformat(): 600_000, NEXT.isoformat(): 300_000, far.isoformat(): 100_000},
            {NEAR.isoformat(): 250_000, NEXT.isoformat(): 700_000, far.isoformat(): 50_000},
            {NEXT.isoformat(): 700_000},  # the near future's OI missing that minute
        ]
    ):
        UnderlyingQuoteFactory(
            underlying=nifty,
            minute=session_open(day) + timedelta(minutes=m),
            spot=23000.0,
            futures=prices,
            futures_oi=futures_oi,
        )

    body = api.get(URL, {"date": day.isoformat()}).json()

    rollover = body["rollover"]
    assert rollover["available"] is True and rollover["near"] == "2026-01-27" and rollover["expiry_week"] is True
    assert rollover["values"] == [None, pytest.approx(40.0), pytest.approx(75.0), None]  # 400k/1M, 750k/1M
    assert [f["oi"] for f in body["futures"]] == [
        [None, 600_000, 250_000, None],
        [None, 300_000, 700_000, 700_000],
        [None, 100_000, 50_000, None],
    ]


@pytest.mark.parametrize(("query", "status"), [({"date": "19/01/2026"}, 400), ({"date": "2026-01-16"}, 404)])
def test_bad_input_is_refused(api, day_of_futures, query, status) -> None:
    response = api.get(URL, query)

    assert response.status_code == status
    assert response.json()["error"]


def test_it_needs_credentials(anon) -> None:
    assert anon.get(URL).status_code == 401


def test_rollover_of_an_imported_bhavcopy_is_nses_own_open_interest(api) -> None:
    """NSE's F&O bhavcopy of 27 Mar 2026 (one session before the March future expired): OI 9,052,485 (Mar),
    14,345,565 (Apr), 1,871,610 (May) units, so 64.18 % had rolled beyond March."""
    underlyings_load()
    call_command("import_bhavcopy", str(FO_BHAVCOPY / "NIFTY_20260327.csv"), stdout=io.StringIO())

    body = api.get(URL, {"date": "2026-03-27"}).json()

    assert body["rollover"]["near"] == "2026-03-30" and body["rollover"]["expiry_week"] is False
    assert body["rollover"]["values"] == [pytest.approx(100 * (14_345_565 + 1_871_610) / 25_269_660, abs=1e-4)]
    assert body["futures"][0]["oi"] == [9_052_485]
