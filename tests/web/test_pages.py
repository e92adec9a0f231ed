from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from apps.analytics.models import ChainSnapshot, OurVixReason, VolatilitySnapshot
from apps.brokers.models import BrokerSession, SessionStatus
from apps.marketdata.models import CollectionRun, CollectionStatus
from apps.monitoring.models import ErrorEvent
from apps.participants.services import participants_import_file
from tests.live.chain import MINUTE_1, WEEKLY, chain_write, underlying_create

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/charts/",
    "/oi-flow/",
    "/volatility/",
    "/futures/",
    "/strategy/",
    "/participants/",
    "/overview/",
    "/system/",
    "/broker/",
]
PARTICIPANTS_OI = Path(__file__).resolve().parents[1] / "fixtures" / "exchange" / "participants"


@pytest.fixture
def trader(client: Client) -> Client:
    client.force_login(User.objects.create_user("trader", password="pw-not-used"))
    return client


@pytest.mark.parametrize("path", PAGES)
def test_it_redirects_an_anonymous_visitor_to_the_login_page(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", PAGES)
def test_it_renders_every_page_for_a_logged_in_user_with_an_empty_archive(trader: Client, path: str) -> None:
    response = trader.get(path)
    assert response.status_code == 200
    assert b"All times are IST" in response.content


def test_it_serves_the_login_page_and_logs_in() -> None:
    User.objects.create_user("trader", password="a-long-password-1")
    client = Client()
    assert b'name="password"' in client.get("/accounts/login/").content
    response = client.post("/accounts/login/", {"username": "trader", "password": "a-long-password-1", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    wrong = client.post("/accounts/login/", {"username": "trader", "password": "nope"})
    assert b"Your username and password didn't match" in wrong.content


def test_it_shows_underlying_tabs_and_points_the_chain_at_its_websocket(trader: Client) -> None:
    nifty = underlying_create()
    underlying_create("BANKNIFTY", token=260105, order=1)
    chain_write(nifty, minute=MINUTE_1)
    html = trader.get("/?symbol=NIFTY&bucket=this_week").content.decode()
    assert 'href="?symbol=NIFTY&bucket=this_week" aria-current="page"' in html
    assert 'href="?symbol=BANKNIFTY&bucket=this_week"' in html
    assert 'data-ws="/ws/live-data/?symbol=NIFTY&bucket=this_week"' in html
    assert "22819.60" in html  # the latest archived spot in the tab
    assert "(0.53%)" in html  # against the 22700 previous close


def test_it_starts_the_chain_stats_from_the_latest_analytics_with_the_forward_source(trader: Client) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    ChainSnapshot.objects.create(
        underlying=nifty,
        minute=MINUTE_1,
        expiry=WEEKLY,
        expiry_bucket="this_week",
        t_years=3 / 365,
        spot=22819.6,
        forward=22908.7,
        forward_source="future",
        pcr_oi=0.8809,
    )
    html = trader.get("/?symbol=NIFTY&bucket=this_week").content.decode()
    assert '<span id="stat-forward-source">' in html
    assert 'id="chain-summary"' in html
    assert '"forward": 22908.7, "forward_source": "future"' in html
    empty = trader.get("/?symbol=NIFTY&bucket=next_month").content.decode()
    assert 'id="chain-summary"' not in empty  # nothing analysed for that bucket: the stats wait for the feed


def test_it_says_what_was_wrong_with_a_bad_bucket_or_symbol(trader: Client) -> None:
    underlying_create()
    bad_bucket = trader.get("/?symbol=NIFTY&bucket=today")
    assert bad_bucket.status_code == 400
    assert "bucket=&#x27;today&#x27; is not valid; choose one of this_week" in bad_bucket.content.decode()
    unknown = trader.get("/charts/?symbol=NIFTI")
    assert unknown.status_code == 404
    assert "Unknown symbol &#x27;NIFTI&#x27;; known symbols: NIFTY." in unknown.content.decode()


def test_it_draws_the_charts_from_the_latest_analytics(trader: Client) -> None:
    nifty = underlying_create()
    ChainSnapshot.objects.create(
        underlying=nifty,
        minute=MINUTE_1,
        expiry=WEEKLY,
        expiry_bucket="this_week",
        t_years=3 / 365,
        spot=22819.6,
        forward=22839.6,
        forward_source="parity",
        atm_strike=22850.0,
        atm_iv=0.1834,
        straddle=426.0,
        pcr_oi=0.8809,
        max_pain=23000.0,
        by_strike={
            "strikes": [22800.0, 22900.0],
            "call_iv": [0.19, 0.18],
            "put_iv": [0.2, 0.185],
            "call_oi": [6500, 13000],
            "put_oi": [9750, 3250],
            "call_oi_change": [650, -1300],
            "put_oi_change": [1300, 0],
            "call_volume": [100, 200],
            "put_volume": [300, 50],
            "gex": [1.5e9, -2.0e8],
        },
    )
    html = trader.get("/charts/?symbol=NIFTY").content.decode()
    assert 'analytics as of <span id="charts-minute">27 Mar 09:30</span> IST' in html
    assert '<b data-stat="pcr_oi">0.88</b><span>PCR (OI)</span>' in html
    assert '<b data-stat="atm_iv">18.3%</b><span>ATM IV</span>' in html
    assert 'id="charts-data"' in html and '"max_pain": 23000.0' in html
    assert '"gex": -200000000.0' in html


def test_it_says_when_there_are_no_analytics_to_chart(trader: Client) -> None:
    underlying_create()
    html = trader.get("/charts/?symbol=NIFTY&bucket=this_month").content.decode()
    assert "No analytics for NIFTY (this_month) yet." in html


def test_it_shows_participant_positions_from_the_real_nse_file(trader: Client) -> None:
    participants_import_file(path=PARTICIPANTS_OI / "fao_participant_oi_28072026.csv")
    html = trader.get("/participants/").content.decode()
    assert "Tue 28 Jul 2026" in html
    assert '<td class="up">153253</td>' in html  # Client: 205837 - 52584 net index futures
    assert '<td class="down">-205601</td>' in html  # FII: 21862 - 227463
    assert "8.8%" in html and "strongly bearish" in html  # FII long ratio 21862 / 249325


def test_it_lists_runs_and_errors_with_suggestions_in_ist(trader: Client) -> None:
    CollectionRun.objects.create(
        started_at=datetime(2026, 3, 27, 4, 0, 5, tzinfo=UTC),
        finished_at=datetime(2026, 3, 27, 4, 0, 7, tzinfo=UTC),
        minute=MINUTE_1,
        broker="simulated",
        quotes_stored=120,
        instruments_requested=122,
        instruments_received=120,
        instruments_missing=2,
        status=CollectionStatus.PARTIAL,
    )
    ErrorEvent.objects.create(
        component="broker",
        code="session_required",
        message="No Kite session.",
        suggestion="Open the Broker page and log in with Kite.",
        first_seen=MINUTE_1,
        last_seen=MINUTE_1,
        count=3,
    )
    html = trader.get("/system/").content.decode()
    assert "27 Mar 09:30:05" in html
    assert "Partial (some underlyings failed)" in html
    assert "120/122" in html
    assert "Open the Broker page and log in with Kite." in html
    assert 'data-ws="/ws/system-health/"' in html


def test_it_shows_the_kite_session_and_links_to_the_kite_login(trader: Client, settings: object) -> None:
    settings.KITE_API_KEY = "kite-key"  # type: ignore[attr-defined]
    session = BrokerSession(
        provider="kite",
        user_id="AB1234",
        user_name="A Trader",
        login_time=datetime(2026, 3, 27, 3, 0, tzinfo=UTC),
        expires_at=datetime(2099, 3, 28, 0, 30, tzinfo=UTC),
        status=SessionStatus.ACTIVE,
    )
    session.set_access_token("never-shown")
    session.save()
    html = trader.get("/broker/").content.decode()
    assert 'href="/broker/kite/login"' in html
    assert '<span class="badge active" id="kite-status">active</span>' in html
    assert "A Trader (AB1234)" in html
    assert "expires 28 Mar 2099 06:00 IST" in html
    assert "never-shown" not in html


def _chart_snapshot(nifty) -> None:
    ChainSnapshot.objects.create(
        underlying=nifty,
        minute=MINUTE_1,
        expiry=WEEKLY,
        expiry_bucket="this_week",
        t_years=3 / 365,
        spot=22819.6,
        forward=22839.6,
        forward_source="parity",
    )


def test_it_shows_our_vix_beside_india_vix_on_the_charts(trader: Client) -> None:
    nifty = underlying_create()
    _chart_snapshot(nifty)
    VolatilitySnapshot.objects.create(
        underlying=nifty, minute=MINUTE_1, our_vix=26.398, our_vix_note="2026-04-28 and 2026-05-26", vix=26.8
    )
    html = trader.get("/charts/?symbol=NIFTY").content.decode()
    assert '<b data-stat="our_vix">26.40</b><span>Our VIX (ours)</span>' in html
    assert '<b data-stat="india_vix">26.80</b><span>India VIX (NSE)</span>' in html
    assert "ours, not NSE's): 2026-04-28 and 2026-05-26." in html
    assert 'id="chart-vix"' in html and '"our_vix": 26.398' in html


def test_it_shows_why_our_vix_is_absent_instead_of_a_number(trader: Client) -> None:
    nifty = underlying_create()
    _chart_snapshot(nifty)
    VolatilitySnapshot.objects.create(
        underlying=nifty,
        minute=MINUTE_1,
        our_vix=None,
        our_vix_reason=OurVixReason.ATM_SCOPE,
        our_vix_note="only 5 strikes of 2026-03-30 were collected (22700-22900); set OPTRADING_CHAIN_SCOPE=full",
    )
    html = trader.get("/charts/?symbol=NIFTY").content.decode()
    assert '<b data-stat="our_vix">—</b><span>Our VIX (ours)</span>' in html
    assert (
        "not computed for this minute: Only the strikes around the ATM were collected; the method needs the whole "
        "chain (only 5 strikes of 2026-03-30 were collected (22700-22900); set OPTRADING_CHAIN_SCOPE=full)."
    ) in html
    assert '"our_vix_reason": "atm_scope"' in html
