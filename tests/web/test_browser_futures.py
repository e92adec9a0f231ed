"""The futures page in headless Chromium against a real ASGI server, on three minutes of NIFTY collected from the
simulated market in the week its April future expires. What is drawn is read back from ECharts (``getOption()``)
and must be the futures API's answer to the page's own request, and the rollover % the archive's futures OI
(a minute stored before that OI was kept is a gap). Screenshot: ``futures.png`` in test-output/."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User

from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.calendar import session_open
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus, UnderlyingQuote
from tests.web.test_browser import _off_loop
from tests.web.test_browser_trader import PASSWORD, _api, _path, _shot, browser, page, server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DAY = date(2026, 4, 27)  # Monday; NIFTY's April future expires on Tuesday 28 April
API = "/api/v1/analytics/NIFTY/futures"
OPTION = "id => echarts.getInstanceByDom(document.getElementById(id)).getOption()"


@pytest.fixture
def minutes() -> list[datetime]:
    """DAY's first three minutes of NIFTY; the first stored as before the futures' OI was kept (NULL)."""
    broker = SimulatedBroker(seed=42, as_of=DAY)
    underlyings_load()
    instruments_sync(broker=broker, today=DAY)
    User.objects.create_user("trader", password=PASSWORD)
    collected = [session_open(DAY) + timedelta(minutes=i) for i in range(3)]
    for minute in collected:
        run = chain_collect(broker=broker, underlyings=["NIFTY"], minute=minute)
        assert run.status == CollectionStatus.SUCCESS, run.error
    UnderlyingQuote.objects.filter(minute=collected[0]).update(futures_oi=None)
    return collected


def _asked(tab: Any, do: Any) -> tuple[str, int, dict[str, Any]]:
    """Run ``do``; the URL of the futures API the tab asked and the real API's status and answer to it."""
    with tab.expect_response(lambda r: urlsplit(r.url).path == API) as seen:
        do()
    url = seen.value.url
    status, answer = _off_loop(_api, method="GET", path=_path(url))
    assert status == seen.value.status, (url, answer)
    return url, status, answer


def _rollover_of(minute: datetime) -> float:
    """Percent of the futures' OI beyond the nearest, from the archived row (independent of the selector)."""
    open_interest = UnderlyingQuote.objects.get(minute=minute, underlying__symbol="NIFTY").futures_oi
    near = min(open_interest)
    return 100 * (sum(open_interest.values()) - open_interest[near]) / sum(open_interest.values())


def test_it_draws_basis_carry_spread_oi_and_rollover_as_the_api_answers(
    page: Any,  # noqa: F811
    minutes: list[datetime],
    tmp_path: Path,
) -> None:
    url, status, answer = _asked(page, lambda: page.goto(f"{page.base}/futures/?symbol=NIFTY"))

    assert status == 200
    assert parse_qs(urlsplit(url).query)["date"] == [DAY.isoformat()]  # the day of the latest archived spot
    page.wait_for_selector("#fut-rollover[data-state=drawn]", state="attached")
    futures = answer["futures"]
    assert [f["expiry"] for f in futures] == ["2026-04-28", "2026-05-26", "2026-06-30"]
    basis, carry = page.evaluate(OPTION, "fut-basis"), page.evaluate(OPTION, "fut-carry")
    assert [s["name"] for s in basis["series"]] == [f["expiry"] for f in futures]
    assert [s["data"] for s in basis["series"]] == [f["basis"] for f in futures]
    assert [s["data"] for s in carry["series"]] == [[c * 100 for c in f["carry"]] for f in futures]
    assert basis["xAxis"][0]["data"] == ["09:15", "09:16", "09:17"]
    spread = page.evaluate(OPTION, "fut-spread")
    assert spread["series"][0]["data"] == answer["calendar_spread"]["values"]
    assert answer["calendar_spread"]["values"][0] == pytest.approx(futures[1]["price"][0] - futures[0]["price"][0])

    rollover = answer["rollover"]
    assert rollover["available"] is True and rollover["expiry_week"] is True and rollover["near"] == "2026-04-28"
    assert rollover["values"][0] is None  # the minute without the futures' OI: unknown, drawn as a gap
    assert rollover["values"][1:] == [pytest.approx(_rollover_of(m), abs=1e-4) for m in minutes[1:]]
    drawn = page.evaluate(OPTION, "fut-rollover")
    assert [s["data"] for s in drawn["series"][:-1]] == [f["oi"] for f in futures]
    assert drawn["series"][-1]["data"] == rollover["values"]
    assert page.text_content("#fut-rollover-now") == f"rollover {rollover['values'][-1]:.2f} % at 09:17"
    assert "expires this week" in page.text_content("#fut-rollover-note")
    _shot(page, tmp_path, "futures.png")

    # A day without quotes, picked on the page: the API's 404 message in place of the charts.
    page.fill("#fut-date", "2026-04-20")
    url, status, answer = _asked(page, lambda: page.click("#fut-form button[type=submit]"))
    assert status == 404 and parse_qs(urlsplit(url).query)["date"] == ["2026-04-20"]
    page.wait_for_selector("#fut-basis[data-state=failed]", state="attached")
    assert page.text_content("#fut-basis-message") == answer["error"]
    assert page.text_content("#fut-status") == "error"
