"""The trader's pages in headless Chromium against a real ASGI server, on minutes collected from the simulated
market: time travel on the chain page (slider, ±1 minute, play, deep link, back to live), the strike range and
the OI unit. Screenshots go to test-output/ (gitignored) and the test's tmp path."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from apps.brokers.base import get_broker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.clock import IST
from apps.market.models import Instrument
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus, OptionQuote
from tests.web.asgi_server import ROOT, asgi_server
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _off_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROWS = "#chain-body tr[data-strike]"
PASSWORD = "a-long-password-1"


def _ist(minute: datetime) -> str:
    return minute.astimezone(IST).strftime("%Y-%m-%dT%H:%M")


def _atm_call(minute: datetime) -> OptionQuote:
    return OptionQuote.objects.select_related("instrument").get(
        minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week", strike_offset=0, option_type="CE"
    )


def _lot_size(quote: OptionQuote) -> int:
    return Instrument.objects.get(pk=quote.instrument_id).lot_size


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    output = ROOT / "test-output"
    output.mkdir(exist_ok=True)
    shutil.copy(shot, output / name)


@pytest.fixture
def minutes(settings: Any) -> list[datetime]:
    """Four minutes of NIFTY with ATM ± 10 collected (21 strikes a minute)."""
    settings.OPTRADING_STRIKE_OFFSETS = "-10..10"
    broker = get_broker("simulated")
    underlyings_load()
    instruments_sync(broker=broker)
    User.objects.create_user("trader", password=PASSWORD)
    collected = []
    for _ in range(4):
        run = chain_collect(broker=broker, underlyings=["NIFTY"])
        assert run.status == CollectionStatus.SUCCESS, run.error
        collected.append(run.minute)
    assert collected == sorted(set(collected))
    return collected


@pytest.fixture
def page(minutes: list[datetime]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium (never a downloaded one)"
    with asgi_server() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.errors = []
            tab.on("pageerror", lambda error: tab.errors.append(str(error)))
            tab.base = base
            tab.goto(f"{base}/accounts/login/")
            tab.fill("input[name=username]", "trader")
            tab.fill("input[name=password]", PASSWORD)
            tab.click("button[type=submit]")
            tab.wait_for_url(f"{base}/")
            yield tab
            assert tab.errors == []
        finally:
            browser.close()


def _slide(page: Any, index: int) -> None:
    """Drag the minute slider to ``index``, as a pointer does: the value changes and an input event fires."""
    page.eval_on_selector(
        "#tt-slider",
        "(el, i) => { el.value = String(i); el.dispatchEvent(new Event('input', {bubbles: true})); }",
        index,
    )


def _wait_at(page: Any, at: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("at => document.getElementById('chain').dataset.at === at", arg=at, timeout=15_000)
    except PlaywrightTimeout:
        shown = page.get_attribute("#chain", "data-at")
        raise AssertionError(f"the chain shows {shown}, not {at}; status: {page.inner_text('#chain-status')}") from None


def test_it_scrubs_steps_and_replays_the_day_and_returns_to_live(
    page: Any, minutes: list[datetime], tmp_path: Path
) -> None:
    page.goto(f"{page.base}/?symbol=NIFTY&bucket=this_week")
    page.wait_for_selector("#chain-status:text('live')")
    _wait_at(page, _ist(minutes[-1]))
    assert page.inner_text("#tt-mode") == "live"
    assert page.get_attribute("#tt-slider", "max") == "3"
    assert page.inner_text("#tt-count") == "4 archived minutes"

    # One minute back: the page leaves live and shows the archive's chain of that minute.
    page.click("#tt-back")
    _wait_at(page, _ist(minutes[2]))
    assert page.inner_text("#tt-mode") == "replay"
    assert f"at={_ist(minutes[2]).replace(':', '%3A')}" in page.url
    ce = _off_loop(_atm_call, minute=minutes[2])
    price = page.locator("#chain-body tr.atm td[data-side=CE][data-field=price]")
    assert price.inner_text().replace(",", "") == f"{ce.last_price:.2f}"

    # The slider to the day's first minute, then +1 minute.
    _slide(page, 0)
    _wait_at(page, _ist(minutes[0]))
    assert page.inner_text("#tt-label").endswith("IST")
    page.click("#tt-forward")
    _wait_at(page, _ist(minutes[1]))

    # Play at 60x (a minute a second) runs to the day's last minute through each one, then stops.
    page.select_option("#tt-speed", "60")
    page.evaluate(
        "() => { window.__seen = []; new MutationObserver(() => window.__seen.push("
        "document.getElementById('chain').dataset.at)).observe(document.getElementById('chain'),"
        " {attributes: true, attributeFilter: ['data-at']}); }"
    )
    page.click("#tt-play")
    assert page.inner_text("#tt-play") == "❚❚ Pause"
    _wait_at(page, _ist(minutes[3]))
    page.wait_for_selector("#tt-play:text('Play')")
    seen = page.evaluate("window.__seen")
    assert [at for at in dict.fromkeys(seen)] == [_ist(minutes[2]), _ist(minutes[3])]
    _shot(page, tmp_path, "chain-replay.png")

    # Back to live: the URL drops the minute and the feed reconnects.
    page.click("#tt-live")
    page.wait_for_selector("#chain-status:text('live')")
    assert page.inner_text("#tt-mode") == "live"
    assert "at=" not in page.url


def test_a_deep_link_opens_at_its_minute(page: Any, minutes: list[datetime]) -> None:
    at = _ist(minutes[1])
    page.goto(f"{page.base}/?symbol=NIFTY&bucket=this_week&at={at}")
    _wait_at(page, at)
    assert page.inner_text("#tt-mode") == "replay"
    assert page.get_attribute("#timebar", "data-index") == "1"
    ce = _off_loop(_atm_call, minute=minutes[1])
    price = page.locator("#chain-body tr.atm td[data-side=CE][data-field=price]")
    assert price.inner_text().replace(",", "") == f"{ce.last_price:.2f}"
    page.wait_for_timeout(1500)  # no live feed overwrites the minute asked for
    assert page.get_attribute("#chain", "data-at") == at
    # The builder opens on the same minute.
    page.click("#to-strategy")
    page.wait_for_selector("#sb-chain-body tr.atm")
    assert page.get_attribute("#builder", "data-at") == at


def test_the_strike_range_and_the_oi_unit_change_the_chain(page: Any, minutes: list[datetime], tmp_path: Path) -> None:
    page.goto(f"{page.base}/?symbol=NIFTY&bucket=this_week")
    page.wait_for_selector("#chain-status:text('live')")
    _wait_at(page, _ist(minutes[-1]))
    assert page.locator(ROWS).count() == 21  # default ATM ± 10, as collected
    page.select_option("#strike-range", "2")
    assert page.locator(ROWS).count() == 5
    offsets = page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.dataset.strike)")
    assert offsets == sorted(offsets, key=float)

    ce = _off_loop(_atm_call, minute=minutes[-1])
    lot = _off_loop(_lot_size, quote=ce)
    assert lot > 1 and ce.oi is not None
    oi_cell = page.locator("#chain-body tr.atm td[data-side=CE][data-field=oi]")
    page.select_option("#oi-unit", "lots")
    lots = ce.oi / lot
    expected = f"{lots / 1e5:,.1f} L" if lots >= 1e5 else f"{lots:,.0f}"
    assert oi_cell.inner_text() == expected
    assert page.inner_text("#unit-name") == "lots"

    # Both choices are remembered in this browser: a reload keeps ± 2 and lots, also in replay.
    page.click("#tt-back")
    _wait_at(page, _ist(minutes[2]))
    page.reload()
    _wait_at(page, _ist(minutes[2]))
    assert page.input_value("#strike-range") == "2" and page.input_value("#oi-unit") == "lots"
    assert page.locator(ROWS).count() == 5
    page.select_option("#strike-range", "all")
    page.wait_for_function("n => document.querySelectorAll('#chain-body tr[data-strike]').length === n", arg=21)
    page.select_option("#oi-unit", "units")
    _shot(page, tmp_path, "chain-range.png")


def test_the_charts_travel_in_time_too(page: Any, minutes: list[datetime], tmp_path: Path) -> None:
    at = _ist(minutes[1])
    page.goto(f"{page.base}/charts/?symbol=NIFTY&bucket=this_week&at={at}")
    page.wait_for_function("at => document.getElementById('chart-stats').dataset.at === at", arg=at)
    page.wait_for_selector("#chart-pcr canvas")
    page.click("#tt-forward")
    later = _ist(minutes[2])
    page.wait_for_function("at => document.getElementById('chart-stats').dataset.at === at", arg=later)
    assert page.inner_text("#charts-minute").endswith(later[-5:])
    assert page.inner_text("#charts-status") == "replay"
    for chart in ("smile", "oi", "pcr", "gex"):
        page.wait_for_selector(f"#chart-{chart} canvas")
    _shot(page, tmp_path, "charts-replay.png")
    page.click("#tt-live")
    page.wait_for_function("at => document.getElementById('chart-stats').dataset.at === at", arg=_ist(minutes[3]))
    assert "at=" not in page.url


def _flow_reply(minutes: list[datetime]) -> dict[str, Any]:
    """The oi-flow API's answer as it is specified (issue 14), for three strikes and the collected minutes."""
    times = [minute.isoformat() for minute in minutes]
    return {
        "symbol": "NIFTY",
        "expiry": "2026-12-08",
        "date": minutes[0].astimezone(IST).date().isoformat(),
        "interval": 1,
        "field": "doi_open",
        "strikes": [23500.0, 23550.0, 23600.0],
        "minutes": times,
        "spot": [23540.0, 23555.5, 23570.0, 23600.0],
        "values": {
            "CE": [[0, 650, 1300, 1950], [0, -650, None, 650], [0, 0, 0, 13000]],
            "PE": [[0, 650, None, None], [0, 0, 0, 0], [0, 1300, 2600, 3900]],
        },
        "walls": [{"minute": m, "call_wall": 23600.0, "put_wall": 23500.0} for m in times],
    }


def test_the_oi_flow_heatmap_says_when_its_api_is_missing_and_draws_its_answer(
    page: Any, minutes: list[datetime], tmp_path: Path
) -> None:
    # This server has no oi-flow endpoint yet: the page says so instead of failing.
    page.goto(f"{page.base}/oi-flow/?symbol=NIFTY&bucket=this_week")
    page.wait_for_selector("#flow-unavailable")
    assert "not available on this server yet" in page.inner_text("#flow-unavailable")
    assert page.inner_text("#flow-status") == "not available"
    _shot(page, tmp_path, "oi-flow-unavailable.png")

    # Answered in the specified shape (a loopback double in the browser), it draws the cells, the spot and the walls.
    asked: list[str] = []

    def reply(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(_flow_reply(minutes)))

    page.route("**/api/v1/analytics/NIFTY/oi-flow?*", reply)
    page.select_option("#flow-field", "doi_open")
    page.wait_for_selector("#flow-chart[data-state=drawn] canvas")
    assert page.get_attribute("#flow-chart", "data-cells") == "11"  # 12 CE cells less the one unknown
    assert "field=doi_open" in asked[-1] and "bucket=this_week" in asked[-1] and "interval=5" in asked[-1]
    assert "field=doi_open" in page.url
    page.click("#flow-pe")
    page.wait_for_selector("#flow-chart[data-side=PE]")
    assert page.get_attribute("#flow-chart", "data-cells") == "10"
    page.select_option("#flow-interval", "1")
    page.wait_for_function("() => document.getElementById('flow-chart').dataset.state === 'drawn'")
    assert "interval=1" in asked[-1]
    _shot(page, tmp_path, "oi-flow.png")


def _chain_strikes(minute: datetime) -> dict[int, float]:
    quotes = OptionQuote.objects.filter(minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week")
    return dict(quotes.values_list("strike_offset", "strike").distinct())


def _mid(minute: datetime, strike: float, option_type: str) -> float:
    quote = OptionQuote.objects.get(
        minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week", strike=strike, option_type=option_type
    )
    assert quote.bid and quote.ask
    return round((quote.bid + quote.ask) / 2, 2)


PAYOFF = {
    "lot_size": 65,
    "at_expiry": [
        {"spot": 23000.0, "pnl": -9750.0},
        {"spot": 23600.0, "pnl": 3250.0},
        {"spot": 24200.0, "pnl": -9750.0},
    ],
    "before_expiry": [
        {"date": "2026-12-04", "points": [{"spot": 23000.0, "pnl": -5000.0}, {"spot": 24200.0, "pnl": -4000.0}]}
    ],
    "breakevens": [23450.0, 23750.0],
    "max_profit": 3250.0,
    "max_loss": -9750.0,
    "unlimited": {"profit": False, "loss": False},
    "pop": 0.412,
    "net_premium": 3250.0,
    "greeks": {"delta": -0.01, "gamma": -0.0002, "theta": 812.0, "vega": -1450.0},
    "margin": {"available": False, "reason": "simulated market"},
}


def test_the_strategy_builder_adds_an_iron_condor_and_draws_its_payoff(
    page: Any, minutes: list[datetime], tmp_path: Path
) -> None:
    page.goto(f"{page.base}/strategy/?symbol=NIFTY&bucket=this_week")
    page.wait_for_selector("#sb-chain-body tr.atm")
    assert page.get_attribute("#builder", "data-at") == _ist(minutes[-1])
    page.select_option("#sb-template", "iron_condor")
    page.wait_for_function("() => document.getElementById('builder').dataset.payoff === 'local'")
    strikes = _off_loop(_chain_strikes, minute=minutes[-1])
    legs = page.eval_on_selector_all(
        "#sb-legs-body tr.leg", "rows => rows.map(r => [r.dataset.type, r.dataset.side, Number(r.dataset.strike)])"
    )
    assert legs == [
        ["PE", "buy", strikes[-4]],
        ["PE", "sell", strikes[-2]],
        ["CE", "sell", strikes[2]],
        ["CE", "buy", strikes[4]],
    ]
    prices = page.eval_on_selector_all("#sb-legs-body input.price", "inputs => inputs.map(i => Number(i.value))")
    assert prices[1] == _off_loop(_mid, minute=minutes[-1], strike=strikes[-2], option_type="PE")
    # No payoff API on this server yet: the page says so and draws the at-expiry payoff from the legs.
    assert page.inner_text("#sb-status") == "payoff not available"
    assert "not available on this server yet" in page.inner_text("#sb-unavailable")
    assert page.get_attribute("#sb-chart", "data-series") == "1"
    _shot(page, tmp_path, "strategy-local.png")

    # Answered in the specified shape (a loopback double in the browser): stats, both curves, and the what-if re-POST.
    bodies: list[dict[str, Any]] = []

    def reply(route: Any) -> None:
        bodies.append(json.loads(route.request.post_data))
        route.fulfill(status=200, content_type="application/json", body=json.dumps(PAYOFF))

    page.route("**/api/v1/strategies/payoff", reply)
    page.fill("#sb-legs-body tr.leg:nth-child(2) input.lots", "2")
    page.dispatch_event("#sb-legs-body tr.leg:nth-child(2) input.lots", "change")
    page.wait_for_function("() => document.getElementById('builder').dataset.payoff === 'api'")
    sent = bodies[-1]
    assert sent["symbol"] == "NIFTY" and sent["at"] == _ist(minutes[-1])
    assert [(leg["option_type"], leg["side"], leg["lots"]) for leg in sent["legs"]] == [
        ("PE", "buy", 1),
        ("PE", "sell", 2),
        ("CE", "sell", 1),
        ("CE", "buy", 1),
    ]
    assert page.inner_text("#sb-maxp") == "3,250" and page.inner_text("#sb-maxl") == "-9,750"
    assert page.inner_text("#sb-be") == "23,450, 23,750" and page.inner_text("#sb-pop") == "41.2%"
    assert page.inner_text("#sb-margin") == "unavailable: simulated market"
    assert page.get_attribute("#sb-chart", "data-series") == "2"
    page.eval_on_selector(
        "#sb-iv-shift", "el => { el.value = '2'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.wait_for_function("n => document.getElementById('sb-status').textContent.startsWith('priced')", arg=None)
    page.wait_for_function("() => document.getElementById('sb-iv-shift-label').textContent === '+2.0'")
    page.wait_for_timeout(500)
    assert bodies[-1]["iv_shift"] == 2
    _shot(page, tmp_path, "strategy.png")

    # A calendar: the ATM call of this week sold, the same strike of next week bought.
    sent_before = len(bodies)
    page.select_option("#sb-template", "calendar")
    page.wait_for_function("n => document.querySelectorAll('#sb-legs-body tr.leg').length === 2")
    for _ in range(100):  # the playwright route handler runs while the page waits
        if len(bodies) > sent_before and len(bodies[-1]["legs"]) == 2:
            break
        page.wait_for_timeout(100)
    assert len(bodies) > sent_before
    near, far = bodies[-1]["legs"]
    assert (near["option_type"], near["side"], far["option_type"], far["side"]) == ("CE", "sell", "CE", "buy")
    assert near["strike"] == far["strike"] == strikes[0] and far["expiry"] > near["expiry"]
