"""The trader's pages in headless Chromium against a real ASGI server, on minutes collected from the simulated
market: time travel on the chain page (slider, ±1 minute, play, deep link, back to live), the strike range and
the OI unit; the OI-flow heatmap and the strategy builder on the real oi-flow and payoff APIs (no answer faked in
the browser: each is checked against the API's own answer to the same request). Screenshots go to test-output/
(gitignored) and the test's tmp path."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User

from apps.brokers.base import get_broker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.clock import IST
from apps.market.models import Instrument
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus, OptionQuote
from apps.strategies.models import Strategy
from apps.strategies.presets import PRESETS
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


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """One ASGI server for the module (it took about 2 s to start, a test), reading each test's own data."""
    with asgi_server() as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module (starting playwright and a browser cost about 1.4 s a test); each test has a
    context of its own, so no cookie, storage or page outlives it.

    playwright's sync API keeps its event loop running in this thread while the browser lives, and Django refuses
    ORM calls from a thread with a running loop (a guard meant for async code). The tests' ORM calls run in a
    thread of their own (``_off_loop``), but pytest-django's flush after each test runs here: for the module's
    life the guard is off (``DJANGO_ALLOW_ASYNC_UNSAFE``, Django's documented switch), and restored after."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium (never a downloaded one)"
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield launched
            finally:
                launched.close()
    finally:
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(minutes: list[datetime], server: str, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        tab.errors = []
        tab.on("pageerror", lambda error: tab.errors.append(str(error)))
        tab.base = server
        tab.goto(f"{server}/accounts/login/")
        tab.fill("input[name=username]", "trader")
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(f"{server}/")
        yield tab
        assert tab.errors == []
    finally:
        context.close()


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
    for chart in ("spot", "smile", "oi", "pcr", "gex", "term", "skew"):
        page.wait_for_selector(f"#chart-{chart} canvas")
    # The term structure and the gamma flip of the replayed minute are the API's for that minute.
    status, term = _off_loop(_api, method="GET", path=f"/api/v1/analytics/NIFTY/term-structure?at={later}")
    assert status == 200 and len(term["expiries"]) >= 2
    assert page.get_attribute("#chart-term", "data-expiries") == ",".join(p["expiry"] for p in term["expiries"])
    status, exposures = _off_loop(
        _api, method="GET", path=f"/api/v1/analytics/NIFTY/exposures?bucket=this_week&at={later}"
    )
    assert status == 200 and exposures["minute"] == minutes[2].astimezone(IST).isoformat()
    status, skew = _off_loop(
        _api, method="GET", path=f"/api/v1/analytics/NIFTY/skew-history?bucket=this_week&date={later[:10]}"
    )
    shown = [p for p in skew["points"] if p["minute"] <= minutes[2].astimezone(IST).isoformat()]
    assert status == 200 and len(shown) == 3  # the session's first three minutes, up to the one replayed
    assert page.get_attribute("#chart-skew", "data-points") == "3"
    assert shown[-1]["rr25"] is not None  # a whole ATM ± 10 chain: both 25-delta wings
    assert float(page.get_attribute("#chart-skew", "data-rr25") or "nan") == shown[-1]["rr25"]
    # The spot path of the session so far, with bands at the spot ± 1 and 2 sigma of the summary's expected move.
    status, summary = _off_loop(_api, method="GET", path=f"/api/v1/analytics/NIFTY/summary?bucket=this_week&at={later}")
    assert status == 200 and summary["expected_move"] is not None
    assert page.get_attribute("#chart-spot", "data-points") == "3"
    drawn_bands = [float(b) for b in (page.get_attribute("#chart-spot", "data-bands") or "").split(",")]
    assert drawn_bands == pytest.approx([summary["spot"] + k * summary["expected_move"] for k in (-2, -1, 1, 2)])
    flip, drawn = exposures["gamma_flip"], page.get_attribute("#chart-gex", "data-flip")
    if flip is None:
        assert drawn == "none"
    else:
        assert drawn is not None and float(drawn) == flip  # the flip drawn is the API's, to the last bit
    _shot(page, tmp_path, "charts-replay.png")
    page.click("#tt-live")
    page.wait_for_function("at => document.getElementById('chart-stats').dataset.at === at", arg=_ist(minutes[3]))
    assert "at=" not in page.url


def _api(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """The same request as the page's, answered by the real API through DRF's test client as the same user."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(User.objects.get(username="trader"))
    response = client.get(path) if method == "GET" else client.post(path, body, format="json")
    return response.status_code, response.json()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _known(matrix: list[list[float | None]]) -> int:
    return sum(value is not None for row in matrix for value in row)


def _inside(strikes: list[float], prices: list[float | None]) -> int:
    """Points of a wall or spot path the page draws: known and within the strikes' rows."""
    return sum(p is not None and strikes[0] <= p <= strikes[-1] for p in prices)


def _archived_oi(minute: datetime) -> dict[str, Any]:
    """The strikes of the this-week expiry archived on the minute's day, and the CE and PE quotes with an OI."""
    expiry = _atm_call(minute).expiry
    quotes = OptionQuote.objects.filter(underlying__symbol="NIFTY", expiry=expiry, minute__date=minute.date())
    with_oi = quotes.filter(oi__isnull=False)
    return {
        "strikes": sorted(set(quotes.values_list("strike", flat=True))),
        "CE": with_oi.filter(option_type="CE").count(),
        "PE": with_oi.filter(option_type="PE").count(),
    }


def _asked(page: Any, do: Any, endpoint: str) -> tuple[str, dict[str, Any]]:
    """Run ``do`` and return the URL of ``endpoint`` the page asked and the real API's answer to the same URL."""
    with page.expect_response(lambda r: urlsplit(r.url).path.endswith(f"/{endpoint}")) as seen:
        do()
    url = seen.value.url
    assert seen.value.status == 200, seen.value.text()
    status, answer = _off_loop(_api, method="GET", path=_path(url))
    assert status == 200, answer
    return url, answer


def _flow_answer(page: Any, do: Any) -> tuple[str, dict[str, Any]]:
    url, answer = _asked(page, do, "oi-flow")
    page.wait_for_function("() => document.getElementById('flow-status').textContent === 'archive'")
    return url, answer


def _assert_drawn(page: Any, answer: dict[str, Any], side: str) -> None:
    page.wait_for_selector(f"#flow-chart[data-state=drawn][data-side={side}] canvas")
    assert page.get_attribute("#flow-chart", "data-cells") == str(_known(answer["values"][side]))
    assert page.get_attribute("#flow-chart", "data-columns") == str(len(answer["minutes"]))
    walls, strikes = answer["walls"], answer["strikes"]
    expected = f"{_inside(strikes, walls['call_wall'])}/{_inside(strikes, walls['put_wall'])}"
    assert page.get_attribute("#flow-chart", "data-walls") == expected


def test_the_oi_flow_heatmap_draws_the_apis_cells_and_walls(page: Any, minutes: list[datetime], tmp_path: Path) -> None:
    url, answer = _flow_answer(page, lambda: page.goto(f"{page.base}/oi-flow/?symbol=NIFTY&bucket=this_week&field=oi"))
    assert "field=oi" in url and "bucket=this_week" in url and "interval=5" in url
    archived = _off_loop(_archived_oi, minute=minutes[-1])
    assert answer["strikes"] == archived["strikes"] and len(archived["strikes"]) >= 21
    assert any(wall is not None for wall in answer["walls"]["call_wall"])
    _assert_drawn(page, answer, "CE")
    page.click("#flow-pe")  # both sides are in the one answer: the page redraws the PE matrix
    _assert_drawn(page, answer, "PE")

    # The interval re-requests: one column per collected minute.
    url, answer = _flow_answer(page, lambda: page.select_option("#flow-interval", "1"))
    assert "interval=1" in url and "interval=1" in page.url
    assert len(answer["minutes"]) == len(minutes)
    # Per minute, the cells are the archive's quotes with an OI: every collected strike, minute by minute.
    assert _known(answer["values"]["PE"]) == archived["PE"] and _known(answer["values"]["CE"]) == archived["CE"]
    _assert_drawn(page, answer, "PE")
    page.click("#flow-ce")
    _assert_drawn(page, answer, "CE")
    _shot(page, tmp_path, "oi-flow.png")
    page.uncheck("#flow-walls")  # the walls off: no wall line drawn, the cells unchanged
    page.wait_for_selector("#flow-chart[data-walls='0/0']")
    assert page.get_attribute("#flow-chart", "data-cells") == str(_known(answer["values"]["CE"]))
    page.check("#flow-walls")

    # ΔOI per interval re-requests too; a cell is known only where the strike was collected in both minutes.
    url, answer = _flow_answer(page, lambda: page.select_option("#flow-field", "doi_interval"))
    assert "field=doi_interval" in url
    assert 0 < _known(answer["values"]["CE"]) < archived["CE"]
    _assert_drawn(page, answer, "CE")

    # A real 4xx shows the API's own error: no NIFTY quotes on a day before the archive.
    page.fill("#flow-date", "2020-01-01")
    page.dispatch_event("#flow-date", "change")
    page.wait_for_selector("#flow-chart[data-state=failed]")
    assert page.inner_text("#flow-status") == "no data"
    status, error = _off_loop(
        _api,
        method="GET",
        path="/api/v1/analytics/NIFTY/oi-flow?bucket=this_week&field=doi_interval&interval=1&date=2020-01-01",
    )
    assert status == 404 and page.inner_text("#flow-error") == error["error"]


def _assert_summed(page: Any, answer: dict[str, Any], field: str) -> None:
    """The chart shows the answer's expiries, strikes and sums; with OI, walls at the largest summed OI."""
    page.wait_for_function(
        "([e, f]) => { const d = document.getElementById('cum-chart').dataset;"
        " return d.state === 'drawn' && d.expiries === e && d.field === f; }",
        arg=[",".join(answer["expiries"]), field],
    )
    data = page.eval_on_selector("#cum-chart", "el => ({...el.dataset})")
    assert int(data["strikes"]) == len(answer["strikes"])
    for side, key in (("CE", "ce"), ("PE", "pe")):
        assert float(data[key]) == pytest.approx(sum(v for v in answer[side][field] if v is not None))
    if field == "oi":
        walls = [
            answer["strikes"][answer[side]["oi"].index(max(v for v in answer[side]["oi"] if v is not None))]
            for side in ("CE", "PE")
        ]
        assert [float(w) for w in data["walls"].split("/")] == walls
    else:
        assert data["walls"] == "null/null"


def _archived_sums(minute: datetime, expiries: list[str]) -> dict[str, float]:
    """The archive's own OI totals of the expiries at the minute, CE and PE apart."""
    quotes = OptionQuote.objects.filter(underlying__symbol="NIFTY", minute=minute, expiry__in=expiries)
    return {side: float(sum(quotes.filter(option_type=side).values_list("oi", flat=True))) for side in ("CE", "PE")}


def test_the_cumulative_oi_sums_the_expiries_ticked(page: Any, minutes: list[datetime], tmp_path: Path) -> None:
    url, answer = _asked(
        page, lambda: page.goto(f"{page.base}/oi-flow/?symbol=NIFTY&bucket=this_week"), "oi-cumulative"
    )
    assert "expiries=" not in url  # the first request asks for every expiry archived at the minute
    _assert_summed(page, answer, "oi")
    expiries = page.eval_on_selector_all("#cum-expiries input:checked", "boxes => boxes.map(b => b.value)")
    assert expiries == answer["expiries"] and len(expiries) >= 2
    assert answer["minute"] == minutes[-1].astimezone(IST).isoformat()
    archived = _off_loop(_archived_sums, minute=minutes[-1], expiries=expiries)
    assert [sum(answer[side]["oi"][i] or 0 for i in range(len(answer["strikes"]))) for side in ("CE", "PE")] == [
        archived["CE"],
        archived["PE"],
    ]

    # Unticking an expiry asks for the others only, and draws their sum.
    url, answer = _asked(page, lambda: page.uncheck(f"#cum-expiries input[value='{expiries[0]}']"), "oi-cumulative")
    assert parse_qs(urlsplit(url).query)["expiries"] == [",".join(expiries[1:])]
    assert answer["expiries"] == expiries[1:]
    _assert_summed(page, answer, "oi")
    _shot(page, tmp_path, "oi-cumulative.png")
    # The same answer's ΔOI, with no walls. The archive's first day has no previous close: every ΔOI unknown,
    # so no bar at all (never a 0).
    assert all(v is None for side in ("CE", "PE") for v in answer[side]["oi_change"])
    page.select_option("#cum-field", "oi_change")
    _assert_summed(page, answer, "oi_change")

    # Nothing ticked: said so, and nothing asked.
    for expiry in expiries[1:]:
        page.uncheck(f"#cum-expiries input[value='{expiry}']")
    page.wait_for_selector("#cum-chart[data-state=failed]", state="attached")
    assert page.inner_text("#cum-status") == "no expiry"
    assert page.inner_text("#cum-error") == "Tick at least one expiry to sum."


def _chain_strikes(minute: datetime) -> dict[int, float]:
    quotes = OptionQuote.objects.filter(minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week")
    return dict(quotes.values_list("strike_offset", "strike").distinct())


def _mid(minute: datetime, strike: float, option_type: str) -> float:
    quote = OptionQuote.objects.get(
        minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week", strike=strike, option_type=option_type
    )
    assert quote.bid and quote.ask
    return round((quote.bid + quote.ask) / 2, 2)


def _inr(value: float | None, digits: int = 0) -> str:
    """A number as the page writes it (``toLocaleString("en-IN")``: 1,23,456.7, half away from zero)."""
    if value is None:
        return "—"
    rounded = Decimal(str(abs(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{rounded:f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)][::-1]
    text = ",".join([*groups, tail]) + (f".{fraction}" if fraction else "")
    return ("-" if value < 0 and rounded else "") + text


GREEK_DIGITS = (("delta", 2), ("gamma", 4), ("theta", 0), ("vega", 0))


def _stats(answer: dict[str, Any]) -> dict[str, str]:
    """The stats the page shows for a payoff answer."""
    unlimited = answer["unlimited"]
    return {
        "sb-net": _inr(answer["net_premium"]),
        "sb-maxp": "Unlimited" if unlimited["profit"] else _inr(answer["max_profit"]),
        "sb-maxl": "Unlimited" if unlimited["loss"] else _inr(answer["max_loss"]),
        "sb-be": ", ".join(_inr(b) for b in answer["breakevens"]) or "none",
        "sb-pop": "—" if answer["pop"] is None else _inr(answer["pop"] * 100, 1) + "%",
        "sb-greeks": " / ".join(_inr(answer["greeks"][name], digits) for name, digits in GREEK_DIGITS),
        "sb-margin": "unavailable",
        "sb-margin-reason": answer["margin"]["reason"],
    }


def _shown(page: Any) -> dict[str, str]:
    return {
        key: page.inner_text(f"#{key}")
        for key in ("sb-net", "sb-maxp", "sb-maxl", "sb-be", "sb-pop", "sb-greeks", "sb-margin", "sb-margin-reason")
    }


def _priced(page: Any, do: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``do``; return the payoff body the page POSTed and the real API's answer to the same body, once the page
    shows its answer."""
    with page.expect_request(lambda r: r.url.endswith("/api/v1/strategies/payoff") and r.method == "POST") as seen:
        do()
    body = seen.value.post_data_json
    page.wait_for_function("() => document.getElementById('builder').dataset.payoff === 'api'")
    page.wait_for_function("() => document.getElementById('sb-status').textContent.startsWith('priced')")
    status, answer = _off_loop(_api, method="POST", path="/api/v1/strategies/payoff", body=body)
    assert status == 200, answer
    return body, answer


def _interpolate(points: list[dict[str, float]], spot: float) -> float:
    for a, b in itertools.pairwise(points):
        if a["spot"] <= spot <= b["spot"]:
            return a["pnl"] + (b["pnl"] - a["pnl"]) * (spot - a["spot"]) / ((b["spot"] - a["spot"]) or 1)
    raise AssertionError(f"{spot} is outside the curve")


def _saved(name: str) -> list[dict[str, Any]]:
    return list(Strategy.objects.get(owner__username="trader", name=name).legs)


def test_the_strategy_builder_prices_templates_on_the_real_payoff_api(
    page: Any, minutes: list[datetime], tmp_path: Path
) -> None:
    page.goto(f"{page.base}/strategy/?symbol=NIFTY&bucket=this_week")
    page.wait_for_selector("#sb-chain-body tr.atm")
    assert page.get_attribute("#builder", "data-at") == _ist(minutes[-1])
    # The templates are the API's (apps/strategies/presets.py), not a copy in the page.
    page.wait_for_function("n => document.getElementById('builder').dataset.templates === n", arg=str(len(PRESETS)))
    options = page.eval_on_selector_all("#sb-template option", "os => os.map(o => [o.value, o.textContent])")
    assert options[1:] == [[preset.key, preset.name] for preset in PRESETS]

    body, answer = _priced(page, lambda: page.select_option("#sb-template", "iron_condor"))
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
    assert [(leg["option_type"], leg["side"], leg["strike"], leg["lots"]) for leg in body["legs"]] == [
        (type_, side, strike, 1) for type_, side, strike in legs
    ]
    assert body["symbol"] == "NIFTY" and body["at"] == _ist(minutes[-1]) and "iv_shift" not in body
    assert body["legs"][1]["price"] == _off_loop(_mid, minute=minutes[-1], strike=strikes[-2], option_type="PE")
    # An iron condor: a credit, both sides limited, two breakevens between the wings.
    assert answer["net_premium"] > 0 and answer["unlimited"] == {"profit": False, "loss": False}
    assert answer["max_loss"] < 0 < answer["max_profit"] and answer["pop"] is not None
    assert (
        len(answer["breakevens"]) == 2 and strikes[-4] < answer["breakevens"][0] < answer["breakevens"][1] < strikes[4]
    )
    assert _shown(page) == _stats(answer)
    assert page.get_attribute("#sb-chart", "data-series") == str(1 + len(answer["before_expiry"]))
    whatif = _interpolate(answer["before_expiry"][0]["points"], answer["spot"])
    assert page.inner_text("#sb-whatif") == _inr(whatif)

    # The IV shift re-POSTs with iv_shift; the curves before expiry move with it (a short condor loses on more vol).
    shifted_body, shifted = _priced(
        page,
        lambda: page.eval_on_selector(
            "#sb-iv-shift", "el => { el.value = '2'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
        ),
    )
    assert shifted_body["iv_shift"] == 2 and shifted_body["legs"] == body["legs"]
    assert page.inner_text("#sb-iv-shift-label") == "+2.0"
    moved = _interpolate(shifted["before_expiry"][0]["points"], shifted["spot"])
    assert moved < whatif and page.inner_text("#sb-whatif") == _inr(moved)
    assert _shown(page) == _stats(shifted)  # the at-expiry stats do not depend on the IV shift
    _shot(page, tmp_path, "strategy.png")
    page.eval_on_selector(
        "#sb-iv-shift", "el => { el.value = '0'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )

    # "Days on" re-POSTs with that day as `dates` (up to the day before the expiry): one dated curve, read there.
    day = minutes[-1].astimezone(IST).date()
    expiry = date.fromisoformat(body["legs"][0]["expiry"])
    assert page.get_attribute("#sb-days", "max") == str((expiry - day).days - 1)
    dated_body, dated = _priced(
        page,
        lambda: page.eval_on_selector(
            "#sb-days", "el => { el.value = '2'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
        ),
    )
    assert dated_body["dates"] == [(day + timedelta(days=2)).isoformat()] and "iv_shift" not in dated_body
    assert [curve["date"] for curve in dated["before_expiry"]] == dated_body["dates"]
    assert page.get_attribute("#sb-chart", "data-series") == "2"
    assert page.inner_text("#sb-whatif") == _inr(_interpolate(dated["before_expiry"][0]["points"], dated["spot"]))
    page.eval_on_selector(
        "#sb-days", "el => { el.value = '0'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )

    # A bad leg is the API's 400, shown as its own error; nothing is priced in the browser.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/strategies/payoff")) as seen:
        page.fill("#sb-legs-body tr.leg:nth-child(1) input.price", "-5")
        page.dispatch_event("#sb-legs-body tr.leg:nth-child(1) input.price", "change")
    page.wait_for_function("() => document.getElementById('builder').dataset.payoff === 'error'")
    status, error = _off_loop(
        _api, method="POST", path="/api/v1/strategies/payoff", body=seen.value.request.post_data_json
    )
    assert status == seen.value.status == 400 and error["error"] == "Invalid input."
    # The error and the field that was wrong, by its path in the body.
    reason = error["fields"]["legs"]["0"]["price"][0]
    assert page.inner_text("#sb-status") == f"Invalid input. legs[0].price: {reason}"
    _priced(page, lambda: page.select_option("#sb-template", "iron_condor"))

    # Saved strategies: save the condor, clear, load it back from /api/v1/strategies.
    page.fill("#sb-name", "weekly condor")
    page.click("#sb-save")
    page.wait_for_selector("#sb-saved-status:text('saved')")
    assert page.get_attribute("#builder", "data-saved") == "1"
    assert [(leg["strike"], leg["side"], leg["price"]) for leg in _off_loop(_saved, name="weekly condor")] == [
        (leg["strike"], leg["side"], leg["price"]) for leg in body["legs"]
    ]
    page.click("#sb-clear")
    page.wait_for_function("() => document.getElementById('builder').dataset.legs === '0'")
    loaded_body, _ = _priced(page, lambda: page.click("#sb-load"))
    assert loaded_body["legs"] == body["legs"]
    # Loading also draws its P&L through the day from the archive, as the pnl API answers it.
    page.wait_for_selector("#sb-pnl-chart[data-state=drawn] canvas")
    strategy_id = page.input_value("#sb-saved")
    status, day_pnl = _off_loop(_api, method="GET", path=f"/api/v1/strategies/{strategy_id}/pnl?date={day}")
    assert status == 200 and len(day_pnl["minutes"]) == len(minutes) and None not in day_pnl["pnl"]
    assert page.get_attribute("#sb-pnl-chart", "data-points") == str(len(minutes))
    assert float(page.get_attribute("#sb-pnl-chart", "data-last")) == day_pnl["pnl"][-1]
    _shot(page, tmp_path, "strategy-saved.png")

    # A calendar: the ATM call of this week sold, the same strike of next week bought; priced by the API too.
    body, answer = _priced(page, lambda: page.select_option("#sb-template", "calendar"))
    near, far = body["legs"]
    assert (near["option_type"], near["side"], far["option_type"], far["side"]) == ("CE", "sell", "CE", "buy")
    assert near["strike"] == far["strike"] == strikes[0] and far["expiry"] > near["expiry"]
    assert answer["net_premium"] < 0  # a debit: the later expiry costs more
    assert _shown(page) == _stats(answer)
    _shot(page, tmp_path, "strategy-calendar.png")
