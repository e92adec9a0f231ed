"""The volatility page in headless Chromium against a real ASGI server, on an archive collected from the simulated
market at ATM ± 10: the last minute of three sessions and three minutes of a fourth. What is drawn is read back
from ECharts (``getOption()``) and must be the real APIs' answers to the same requests (nothing answered in the
browser): the surface's cells and smiles, the term structure, and the daily RR25, BF25, ATM IV and straddle on
the exchange's sessions (a session without data a gap). Screenshot: ``volatility.png`` in test-output/."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User

from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.calendar import is_trading_day, session_close, session_open
from apps.market.clock import IST
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus
from tests.web.test_browser import _off_loop
from tests.web.test_browser_trader import PASSWORD, _api, _ist, _path, _shot, browser, page, server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAST = [date(2026, 4, 22), date(2026, 4, 23), date(2026, 4, 24)]
DAY = date(2026, 4, 27)  # a Monday, after the three sessions above
OPTION = "id => echarts.getInstanceByDom(document.getElementById(id)).getOption()"


@pytest.fixture
def minutes(settings: Any) -> list[datetime]:
    """The last minute of each PAST session and DAY's first three minutes of NIFTY, analysed (ATM ± 10)."""
    settings.OPTRADING_STRIKE_OFFSETS = "-10..10"
    broker = SimulatedBroker(seed=42, as_of=PAST[0])
    underlyings_load()
    instruments_sync(broker=broker, today=PAST[0])
    User.objects.create_user("trader", password=PASSWORD)
    collected = [session_close(day) - timedelta(minutes=1) for day in PAST]
    collected += [session_open(DAY) + timedelta(minutes=i) for i in range(3)]
    for minute in collected:
        run = chain_collect(broker=broker, underlyings=["NIFTY"], minute=minute)
        assert run.status == CollectionStatus.SUCCESS, run.error
    return collected


def _answers(tab: Any, do: Any, endpoints: tuple[str, ...]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Run ``do``; for each endpoint the URL the tab asked and the real API's answer to that URL (with the same
    status as the tab got)."""
    with ExitStack() as stack:
        seen = [
            stack.enter_context(tab.expect_response(lambda r, e=e: urlsplit(r.url).path.endswith(f"/{e}")))
            for e in endpoints
        ]
        do()
    out = {}
    for endpoint, response in zip(endpoints, seen, strict=True):
        url = response.value.url
        status, answer = _off_loop(_api, method="GET", path=_path(url))
        assert status == response.value.status, (url, answer)
        out[endpoint] = (url, answer)
    return out


def _assert_surface_drawn(tab: Any, surface: dict[str, Any], term: dict[str, Any]) -> None:
    at = _ist(datetime.fromisoformat(surface["minute"]))
    tab.wait_for_function(
        "at => { const d = document.getElementById('vol-surface').dataset;"
        " return d.state === 'drawn' && d.at === at; }",
        arg=at,
    )
    option = tab.evaluate(OPTION, "vol-surface")
    cells = [[x, y, iv * 100] for y, row in enumerate(surface["iv"]) for x, iv in enumerate(row) if iv is not None]
    assert option["series"][0]["data"] == cells  # every known cell, the API's value; a null one is not drawn
    assert any(iv is None for row in surface["iv"] for iv in row)  # the expiries do not list the same strikes
    assert option["yAxis"][0]["data"] == surface["expiries"]
    assert option["xAxis"][0]["data"] == [str(k).removesuffix(".0") for k in surface["strikes"]]
    # One smile per expiry, the surface's row: IV against the strike, or against the strike over the forward.
    moneyness = tab.get_attribute("#vol-smile", "data-x") == "moneyness"
    smile = tab.evaluate(OPTION, "vol-smile")
    assert [s["name"] for s in smile["series"]] == surface["expiries"]
    for y, series in enumerate(smile["series"]):
        forward, row = surface["forwards"][y], zip(surface["strikes"], surface["iv"][y], strict=True)
        assert series["data"] == [[k / forward if moneyness else k, iv * 100] for k, iv in row if iv is not None]
    drawn_term = tab.evaluate(OPTION, "vol-term")
    assert drawn_term["xAxis"][0]["data"] == [p["expiry"] for p in term["expiries"]]
    assert drawn_term["series"][0]["data"] == [
        None if p["atm_iv"] is None else p["atm_iv"] * 100 for p in term["expiries"]
    ]
    assert term["minute"] == surface["minute"]


def _sessions(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [d.isoformat() for d in days if is_trading_day(d)]


def _assert_skew_drawn(tab: Any, url: str, skew: dict[str, Any]) -> list[str]:
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    tab.wait_for_selector("#skew-level[data-state=drawn]", state="attached")
    days = _sessions(query["from"], query["to"])
    by_day = {p["minute"][:10]: p for p in skew["points"]}
    assert set(by_day) <= set(days)
    wings, level = tab.evaluate(OPTION, "skew-wings"), tab.evaluate(OPTION, "skew-level")
    assert wings["xAxis"][0]["data"] == days == level["xAxis"][0]["data"]

    def column(key: str, scale: float) -> list[float | None]:
        return [None if d not in by_day or by_day[d][key] is None else by_day[d][key] * scale for d in days]

    assert [s["name"] for s in wings["series"]] == ["RR25", "BF25"]
    assert wings["series"][0]["data"] == column("rr25", 100)
    assert wings["series"][1]["data"] == column("bf25", 100)
    assert level["series"][0]["data"] == column("atm_iv", 100)
    assert level["series"][1]["data"] == column("straddle", 1)
    assert tab.get_attribute("#skew-wings", "data-points") == str(len(skew["points"]))
    return days


def test_the_surface_and_the_skew_across_days_are_the_apis(
    page: Any,  # noqa: F811
    minutes: list[datetime],
    tmp_path: Path,
) -> None:
    asked = _answers(
        page,
        lambda: page.goto(f"{page.base}/volatility/?symbol=NIFTY&bucket=this_week"),
        ("surface", "term-structure", "skew-history"),
    )
    (surface_url, surface), (_, term), (skew_url, skew) = asked.values()
    assert "at=" not in surface_url  # live: the latest analysed minute
    assert surface["minute"] == minutes[-1].astimezone(IST).isoformat()
    assert len(surface["expiries"]) >= 2 and len(term["expiries"]) == len(surface["expiries"])
    _assert_surface_drawn(page, surface, term)
    assert page.inner_text("#vol-status") == "latest"

    # The skew across days: the 30 days up to the day shown, this week's expiry, one point per day with data.
    query = parse_qs(urlsplit(skew_url).query)
    assert query == {"from": [(DAY - timedelta(days=30)).isoformat()], "to": [DAY.isoformat()], "bucket": ["this_week"]}
    assert skew["daily"] is True
    assert [p["minute"] for p in skew["points"]] == [m.astimezone(IST).isoformat() for m in [*minutes[:3], minutes[-1]]]
    assert all(p["rr25"] is not None and p["bf25"] is not None for p in skew["points"])  # whole ATM ± 10 chains
    days = _assert_skew_drawn(page, skew_url, skew)
    assert len(days) > len(skew["points"]) + 10  # the sessions without data are gaps
    _shot(page, tmp_path, "volatility.png")

    # The smile against moneyness redraws from the same answer; the replayed minutes keep it.
    page.select_option("#smile-x", "moneyness")
    page.wait_for_selector("#vol-smile[data-x=moneyness]", state="attached")
    _assert_surface_drawn(page, surface, term)

    # One archived minute back: the surface and the term structure of that minute (at=), the URL carrying it.
    asked = _answers(page, lambda: page.click("#tt-back"), ("surface", "term-structure"))
    (surface_url, surface), (_, term) = asked.values()
    assert parse_qs(urlsplit(surface_url).query)["at"] == [_ist(minutes[-2])]
    assert surface["minute"] == minutes[-2].astimezone(IST).isoformat()
    _assert_surface_drawn(page, surface, term)
    assert page.inner_text("#vol-status") == "replay" and f"at={_ist(minutes[-2]).replace(':', '%3A')}" in page.url


def test_a_deep_link_to_a_past_day_and_a_day_before_the_archive(
    page: Any,  # noqa: F811
    minutes: list[datetime],
) -> None:
    at = _ist(minutes[1])
    asked = _answers(
        page,
        lambda: page.goto(f"{page.base}/volatility/?symbol=NIFTY&bucket=this_week&at={at}"),
        ("surface", "term-structure", "skew-history"),
    )
    (surface_url, surface), (_, term), (skew_url, skew) = asked.values()
    assert parse_qs(urlsplit(surface_url).query)["at"] == [at]
    _assert_surface_drawn(page, surface, term)
    assert page.get_attribute("#timebar", "data-at") == at
    # The range follows the day shown: its sessions up to PAST[1], the two with data.
    assert parse_qs(urlsplit(skew_url).query)["to"] == [PAST[1].isoformat()]
    assert len(skew["points"]) == 2
    _assert_skew_drawn(page, skew_url, skew)

    # An explicit range from the form: the page reloads with from/to, keeping the minute shown.
    page.fill("#skew-from", PAST[0].isoformat())
    page.fill("#skew-to", DAY.isoformat())
    asked = _answers(page, lambda: page.click("#skew-form button[type=submit]"), ("skew-history",))
    skew_url, skew = asked["skew-history"]
    assert f"at={at.replace(':', '%3A')}" in page.url and f"from={PAST[0].isoformat()}" in page.url
    assert [p["minute"][:10] for p in skew["points"]] == [d.isoformat() for d in [*PAST, DAY]]
    assert _assert_skew_drawn(page, skew_url, skew) == [d.isoformat() for d in [*PAST, DAY]]

    # Before the archive: the surface API's own 404, shown as its error; the skew says it has no day.
    asked = _answers(
        page,
        lambda: page.goto(f"{page.base}/volatility/?symbol=NIFTY&bucket=this_week&at=2020-01-02T10:00"),
        ("surface", "skew-history"),
    )
    (_, error), (_, empty) = asked.values()
    page.wait_for_selector("#vol-surface[data-state=failed]", state="attached")
    assert page.inner_text("#vol-surface-message") == error["error"] and "2020" in error["error"]
    assert page.inner_text("#vol-status") == error["error"]
    assert empty["points"] == []
    page.wait_for_selector("#skew-wings[data-state=empty]", state="attached")
    assert page.inner_text("#skew-status") == "0 days"
