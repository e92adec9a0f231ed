"""The trader's pages rendered by Django: what the chain page embeds for time travel (the day's archived minutes,
the minute of a deep link, lot sizes) and the errors of a bad deep link."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client

from apps.analytics.models import ChainSnapshot
from tests.live.chain import MINUTE_1, MINUTE_2, WEEKLY, chain_write, underlying_create

pytestmark = pytest.mark.django_db
NEXT_DAY = datetime(2026, 3, 30, 3, 45, tzinfo=UTC)  # Monday 09:15 IST


@pytest.fixture
def trader(client: Client) -> Client:
    client.force_login(User.objects.create_user("trader", password="pw-not-used"))
    return client


def _embedded(html: str, element_id: str) -> object:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"#{element_id} is not embedded"
    return json.loads(found.group(1))


def test_it_embeds_the_archived_minutes_of_the_latest_day_for_the_slider(trader: Client) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    chain_write(nifty, minute=MINUTE_2)
    chain_write(nifty, minute=NEXT_DAY)
    html = trader.get("/?symbol=NIFTY&bucket=this_week").content.decode()
    assert _embedded(html, "time-travel") == {"day": "2026-03-30", "minutes": [NEXT_DAY.isoformat()], "at": None}
    assert _embedded(html, "lot-sizes") == {WEEKLY.isoformat(): 65}
    assert 'id="tt-slider"' in html and 'id="tt-play"' in html and 'value="2026-03-30"' in html


def test_a_deep_link_names_its_day_and_minute_in_ist(trader: Client) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    chain_write(nifty, minute=MINUTE_2)
    chain_write(nifty, minute=NEXT_DAY)
    html = trader.get("/?symbol=NIFTY&bucket=this_week&at=2026-03-27T09:31").content.decode()
    travel = _embedded(html, "time-travel")
    assert travel == {
        "day": "2026-03-27",
        "minutes": [MINUTE_1.isoformat(), MINUTE_2.isoformat()],
        "at": MINUTE_2.isoformat(),
    }
    # A past day without a minute opens at that day's last archived minute.
    by_day = _embedded(trader.get("/?symbol=NIFTY&date=2026-03-27").content.decode(), "time-travel")
    assert by_day["at"] == MINUTE_2.isoformat()  # type: ignore[index]
    empty = _embedded(trader.get("/?symbol=NIFTY&date=2026-03-28").content.decode(), "time-travel")
    assert empty == {"day": "2026-03-28", "minutes": [], "at": None}


def test_a_bad_deep_link_says_what_was_wrong(trader: Client) -> None:
    underlying_create()
    bad_at = trader.get("/?symbol=NIFTY&at=yesterday-ish")
    assert bad_at.status_code == 400
    assert "at=&#x27;yesterday-ish&#x27; is not an ISO 8601 time" in bad_at.content.decode()
    bad_day = trader.get("/?symbol=NIFTY&date=2026-13-01")
    assert bad_day.status_code == 400
    assert "is not a date; use YYYY-MM-DD" in bad_day.content.decode()


def _snapshot(nifty: object, minute: datetime, pcr: float) -> None:
    ChainSnapshot.objects.create(
        underlying=nifty,
        minute=minute,
        expiry=WEEKLY,
        expiry_bucket="this_week",
        t_years=3 / 365,
        spot=22819.6,
        forward=22839.6,
        forward_source="parity",
        atm_strike=22850.0,
        atm_iv=0.1834,
        pcr_oi=pcr,
        max_pain=23000.0,
    )


def test_the_charts_data_follows_the_minute_asked_for(trader: Client) -> None:
    nifty = underlying_create()
    for minute, pcr in ((MINUTE_1, 0.81), (MINUTE_2, 0.93)):
        chain_write(nifty, minute=minute)
        _snapshot(nifty, minute, pcr)
    first = trader.get("/charts/data?symbol=NIFTY&bucket=this_week&at=2026-03-27T09:30").json()
    assert first["summary"]["minute"] == "2026-03-27T09:30:00+05:30" and first["summary"]["pcr_oi"] == 0.81
    assert [p["value"] for p in first["pcr_oi"]["points"]] == [0.81]  # the day up to that minute only
    latest = trader.get("/charts/data?symbol=NIFTY&bucket=this_week").json()
    assert [p["value"] for p in latest["pcr_oi"]["points"]] == [0.81, 0.93]
    html = trader.get("/charts/?symbol=NIFTY&bucket=this_week&at=2026-03-27T09:30").content.decode()
    assert '<b data-stat="pcr_oi">0.81</b>' in html and 'id="tt-slider"' in html
    assert _embedded(html, "time-travel")["at"] == MINUTE_1.isoformat()  # type: ignore[index]


def test_the_charts_data_answers_bad_input_with_a_json_error(trader: Client, client: Client) -> None:
    underlying_create()
    bad = trader.get("/charts/data?symbol=NIFTY&at=noon")
    assert bad.status_code == 400 and "is not an ISO 8601 time" in bad.json()["error"]
    unknown = trader.get("/charts/data?symbol=NIFTI")
    assert unknown.status_code == 404 and unknown.json()["error"].startswith("Unknown symbol 'NIFTI'")
    nothing = trader.get("/charts/data?symbol=NIFTY&bucket=this_week&at=2026-03-27T09:30")
    assert nothing.status_code == 404 and nothing.json() == {
        "error": "No analytics for NIFTY (this_week) at that minute."
    }
    anonymous = Client().get("/charts/data?symbol=NIFTY")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_the_oi_flow_page_points_at_its_api_with_the_chosen_field(trader: Client) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    html = trader.get("/oi-flow/?symbol=NIFTY&bucket=this_week&field=doi_interval&interval=15").content.decode()
    assert 'data-api="/api/v1/analytics/NIFTY/oi-flow"' in html
    assert '<option value="doi_interval" selected>' in html and '<option value="15" selected>15 min</option>' in html
    assert 'value="2026-03-27"' in html  # the day of the latest archived minute
    assert 'href="/oi-flow/" aria-current="page">OI flow</a>' in html
    bad = trader.get("/oi-flow/?symbol=NIFTY&field=gamma")
    assert bad.status_code == 400 and "field=&#x27;gamma&#x27; is not valid" in bad.content.decode()
    assert trader.get("/oi-flow/?symbol=NIFTY&interval=2").status_code == 400


def test_the_strategy_builder_page_embeds_its_minute_lots_and_a_csrf_token(trader: Client) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    chain_write(nifty, minute=MINUTE_2)
    html = trader.get("/strategy/?symbol=NIFTY&bucket=this_week&at=2026-03-27T09:30").content.decode()
    assert 'id="builder" data-symbol="NIFTY" data-bucket="this_week"' in html
    assert _embedded(html, "time-travel")["at"] == MINUTE_1.isoformat()  # type: ignore[index]
    assert _embedded(html, "lot-sizes") == {WEEKLY.isoformat(): 65}
    assert 'name="csrfmiddlewaretoken"' in html
    # The templates are not the page's own: the builder reads them from GET /api/v1/strategies/templates.
    assert 'value="iron_condor"' not in html and '<select id="sb-template">' in html
    assert 'id="sb-save"' in html and 'id="sb-saved"' in html
    assert trader.get("/strategy/?symbol=NIFTY&at=soon").status_code == 400
