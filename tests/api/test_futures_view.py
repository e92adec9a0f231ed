"""GET analytics/{symbol}/futures: basis, annualised carry and the near-next spread per minute."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from apps.market.calendar import session_open, years_to_expiry
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
    assert body["rollover"]["expiry_week"] is False  # 27 Jan is next week


@pytest.mark.parametrize(("query", "status"), [({"date": "19/01/2026"}, 400), ({"date": "2026-01-16"}, 404)])
def test_bad_input_is_refused(api, day_of_futures, query, status) -> None:
    response = api.get(URL, query)

    assert response.status_code == status
    assert response.json()["error"]


def test_it_needs_credentials(anon) -> None:
    assert anon.get(URL).status_code == 401
