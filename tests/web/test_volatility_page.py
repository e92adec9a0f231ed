"""The volatility page rendered by Django: who may see it, what it embeds for the skew across days (the range and
the exchange's sessions in it) and for time travel, the simulated-data label, and the page that says what was
wrong with a bad ``at=``, ``date=``, ``from=`` or ``to=``."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from tests.live.chain import MINUTE_1, MINUTE_2, chain_write, underlying_create
from tests.security.test_csp import HANDLER, INLINE_SCRIPT

pytestmark = pytest.mark.django_db
PAGE = "/volatility/"


@pytest.fixture
def trader(client: Client) -> Client:
    client.force_login(User.objects.create_user("trader", password="pw-not-used"))
    return client


def _embedded(html: str, element_id: str) -> object:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"#{element_id} is not embedded"
    return json.loads(found.group(1))


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PAGE}"


def test_it_renders_for_a_logged_in_user_with_an_empty_archive(trader: Client) -> None:
    response = trader.get(PAGE)
    assert response.status_code == 200
    assert b"All times are IST" in response.content
    assert b'<span class="badge simulated"' in response.content  # the simulated market is labelled
    underlying_create()
    html = trader.get(PAGE).content.decode()
    assert 'id="vol-surface"' in html and 'id="skew-wings"' in html and 'id="tt-slider"' in html
    assert 'aria-current="page">Volatility</a>' in html  # the nav link, marked as the page shown


@override_settings(OPTRADING_BROKER="kite")
def test_real_market_data_carries_no_label(trader: Client) -> None:
    assert b'<span class="badge simulated"' not in trader.get(PAGE).content


def test_the_skew_range_defaults_to_the_30_days_up_to_the_day_shown(trader: Client) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    chain_write(nifty, minute=MINUTE_2)
    html = trader.get(PAGE + "?symbol=NIFTY&bucket=this_week").content.decode()
    skew = _embedded(html, "vol-range")
    assert skew == {
        "symbol": "NIFTY",
        "bucket": "this_week",
        "start": "2026-02-25",
        "end": "2026-03-27",
        # NSE's sessions: no weekends, no Holi (3 March 2026); the axis the page draws the days on.
        "sessions": skew["sessions"],  # type: ignore[index]
    }
    sessions = skew["sessions"]  # type: ignore[index]
    assert sessions[0] == "2026-02-25" and sessions[-1] == "2026-03-27"
    assert "2026-03-01" not in sessions and "2026-03-02" in sessions  # a Sunday, then a Monday
    assert len(sessions) == 21
    travel = _embedded(html, "time-travel")
    assert travel == {"day": "2026-03-27", "minutes": [MINUTE_1.isoformat(), MINUTE_2.isoformat()], "at": None}
    assert 'value="2026-02-25"' in html and 'value="2026-03-27"' in html


def test_a_deep_link_and_an_explicit_range(trader: Client) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    html = trader.get(PAGE + "?symbol=NIFTY&bucket=next_week&at=2026-03-27T09:30&from=2026-03-20").content.decode()
    assert _embedded(html, "time-travel")["at"] == MINUTE_1.isoformat()  # type: ignore[index]
    skew = _embedded(html, "vol-range")
    assert (skew["bucket"], skew["start"], skew["end"]) == ("next_week", "2026-03-20", "2026-03-27")  # type: ignore[index]
    assert skew["sessions"] == ["2026-03-20", "2026-03-23", "2026-03-24", "2026-03-25", "2026-03-27"]  # type: ignore[index]
    later = _embedded(trader.get(PAGE + "?symbol=NIFTY&from=2026-01-01&to=2026-01-09").content.decode(), "vol-range")
    assert (later["start"], later["end"]) == ("2026-01-01", "2026-01-09")  # type: ignore[index]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("at=yesterday-ish", "at=&#x27;yesterday-ish&#x27; is not an ISO 8601 time"),
        ("date=2026-13-01", "is not a date; use YYYY-MM-DD"),
        ("from=2026-02-30", "from=&#x27;2026-02-30&#x27; is not a date; use YYYY-MM-DD"),
        ("from=2026-03-10&to=2026-03-01", "from=2026-03-10 is after to=2026-03-01."),
        ("at=2026-03-27T09:30&from=2026-04-01", "from=2026-04-01 is after the day shown (2026-03-27); give to= too."),
        ("from=2024-01-01&to=2026-03-27", "is over 366 days"),
        ("bucket=someday", "bucket=&#x27;someday&#x27; is not valid"),
    ],
)
def test_a_bad_parameter_is_a_page_that_says_what_was_wrong(trader: Client, query: str, says: str) -> None:
    underlying_create()
    response = trader.get(f"{PAGE}?symbol=NIFTY&{query}")
    assert response.status_code == 400
    assert says in response.content.decode()


def test_an_unknown_symbol_is_a_404_page(trader: Client) -> None:
    underlying_create()
    response = trader.get(PAGE + "?symbol=NIFTI")
    assert response.status_code == 404
    assert "Unknown symbol" in response.content.decode()


def test_it_runs_under_the_content_security_policy_without_inline_code(trader: Client) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    response = trader.get(PAGE + "?symbol=NIFTY")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html) and not HANDLER.findall(html) and "<style" not in html.lower()
