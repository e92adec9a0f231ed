"""The futures page's own parameters: the day (default: that of the latest archived spot) and a bad one refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from apps.market.calendar import session_open
from tests.factories.market import UnderlyingFactory
from tests.factories.marketdata import UnderlyingQuoteFactory

pytestmark = pytest.mark.django_db


def test_it_opens_on_the_day_of_the_latest_archived_spot(admin_client: Client) -> None:
    nifty = UnderlyingFactory()
    for day in (date(2026, 4, 24), date(2026, 4, 27)):
        UnderlyingQuoteFactory(underlying=nifty, minute=session_open(day) + timedelta(minutes=5))

    response = admin_client.get("/futures/", {"symbol": "NIFTY"})

    assert response.status_code == 200
    assert response.context["day"] == "2026-04-27"
    assert 'value="2026-04-27"' in response.content.decode()
    assert 'data-api="/api/v1/analytics/NIFTY/futures"' in response.content.decode()
    # Every listed future is drawn, so the option pages' expiry-bucket tabs are not offered here.
    assert 'aria-label="Underlyings"' in response.content.decode()
    assert 'aria-label="Expiry"' not in response.content.decode()
    assert 'aria-label="Expiry"' in admin_client.get("/", {"symbol": "NIFTY"}).content.decode()  # the chain keeps them


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"symbol": "NIFTY", "date": "27/04/2026"}, 400, "date"),
        ({"symbol": "NOPE"}, 404, "NOPE"),
    ],
)
def test_a_bad_parameter_is_a_page_that_says_what_was_wrong(
    admin_client: Client, query: dict[str, str], status: int, message: str
) -> None:
    UnderlyingFactory()

    response = admin_client.get("/futures/", query)

    assert response.status_code == status
    assert message in response.content.decode()
