"""The dashboard in headless Chromium against a real ASGI server: log in, see the chain, watch it update
over the websocket when the test collects the next minute on the simulated market, without a reload: changed
cells in place, rows of strikes that left removed, new strikes inserted in order."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.db import connection

from apps.analytics.models import ChainSnapshot
from apps.brokers.base import get_broker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.live.publisher import chain_group, chain_latest_build
from apps.market.models import Underlying
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus, OptionQuote
from tests.web.asgi_server import ROOT, asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STRIKES_SHOWN = "#chain-body tr[data-strike]"
SHOWN = "rows => rows.map(r => r.dataset.strike)"

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _off_loop(function: Callable[..., T], /, **kwargs: Any) -> T:
    """Run ORM work in a thread: playwright's sync API keeps an event loop running in this one."""

    def call() -> T:
        try:
            return function(**kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def _strikes(minute: datetime) -> list[str]:
    quotes = OptionQuote.objects.filter(minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week")
    return [f"{strike:g}" for strike in sorted(set(quotes.values_list("strike", flat=True)))]


def _snapshot_source(minute: datetime) -> str:
    snapshot = ChainSnapshot.objects.get(minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week")
    return snapshot.forward_source


def _send_moved_window(*, new_price: float) -> dict[str, Any]:
    """The latest chain as the publisher builds it, with its window moved one strike up and the ATM call repriced,
    sent to the page's group as a publication would be. Returns what moved."""
    underlying = Underlying.objects.get(symbol="NIFTY")
    message = chain_latest_build(underlying=underlying, bucket="this_week")
    assert message is not None
    strikes = sorted({row["strike"] for row in message["rows"]})
    low, high, step = strikes[0], strikes[-1], strikes[1] - strikes[0]
    added = [
        {**row, "key": row["key"].replace(f":{high:g}:", f":{high + step:g}:"), "strike": high + step}
        for row in message["rows"]
        if row["strike"] == high
    ]
    rows = [row for row in message["rows"] if row["strike"] != low] + added
    for row in rows:
        if row["strike_offset"] == 0 and row["option_type"] == "CE":
            row["last_price"] = new_price
    async_to_sync(get_channel_layer().group_send)(
        chain_group(symbol="NIFTY", bucket="this_week"), {**message, "rows": rows}
    )
    return {"removed": f"{low:g}", "added": f"{high + step:g}"}


def _atm_call(minute: datetime) -> OptionQuote:
    return OptionQuote.objects.get(
        minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week", strike_offset=0, option_type="CE"
    )


def test_it_updates_the_dashboard_chain_over_the_websocket_without_a_reload(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium (never a downloaded one)"
    broker = get_broker("simulated")
    underlyings_load()
    instruments_sync(broker=broker)
    User.objects.create_user("trader", password="a-long-password-1")
    first = chain_collect(broker=broker, underlyings=["NIFTY"])
    assert first.status == CollectionStatus.SUCCESS, first.error

    with asgi_server() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base}/")
            assert page.url == f"{base}/accounts/login/?next=/"
            page.fill("input[name=username]", "trader")
            page.fill("input[name=password]", "a-long-password-1")
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")

            page.goto(f"{base}/?symbol=NIFTY&bucket=this_week")
            page.wait_for_selector("#chain-body tr[data-strike]")
            page.wait_for_selector("#chain-status:text('live')")
            assert page.get_attribute("#chain", "data-minute") == first.minute.isoformat()
            strikes = page.eval_on_selector_all(
                "#chain-body tr[data-strike]", "rows => rows.map(r => r.dataset.strike)"
            )
            assert len(strikes) == 5  # offsets -2..2
            atm = _off_loop(_atm_call, minute=first.minute)
            assert page.get_attribute("#chain-body tr.atm", "data-strike") == f"{atm.strike:g}"
            # The stats start from the analytics of that minute, with the step of the forward rule behind it.
            assert _off_loop(_snapshot_source, minute=first.minute) == "parity"
            assert page.inner_text("#stat-forward-source") == "put-call parity"
            page.evaluate("window.__sameDocument = true")
            page.evaluate("window.__rows = Array.from(document.querySelectorAll('#chain-body tr[data-strike]'))")

            second = _off_loop(chain_collect, broker=broker, underlyings=["NIFTY"])
            assert second.status == CollectionStatus.SUCCESS, second.error
            assert second.minute > first.minute
            page.wait_for_function(
                "minute => document.getElementById('chain').dataset.minute === minute", arg=second.minute.isoformat()
            )
            assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
            ce = _off_loop(_atm_call, minute=second.minute)
            price_cell = page.locator("#chain-body tr.atm td[data-side=CE][data-field=price]")
            assert price_cell.inner_text().replace(",", "") == f"{ce.last_price:.2f}"
            # The rows were updated in place: the strikes of both minutes kept their elements, in strike order.
            assert page.eval_on_selector_all(STRIKES_SHOWN, SHOWN) == _off_loop(_strikes, minute=second.minute)
            kept = page.evaluate("window.__rows.filter(tr => tr.isConnected).map(tr => tr.dataset.strike)")
            assert kept == [s for s in strikes if s in _off_loop(_strikes, minute=second.minute)]

            # A diff that moves the window: the lowest strike leaves, a higher one arrives, the ATM call reprices.
            updates = int(page.get_attribute("#chain", "data-updates") or 0)
            page.evaluate("window.__rows = Array.from(document.querySelectorAll('#chain-body tr[data-strike]'))")
            moved = _off_loop(_send_moved_window, new_price=4321.55)
            page.wait_for_function("n => Number(document.getElementById('chain').dataset.updates) > n", arg=updates)
            shown = page.eval_on_selector_all(STRIKES_SHOWN, SHOWN)
            assert moved["removed"] not in shown and shown[-1] == moved["added"]
            assert shown == sorted(shown, key=float)
            assert page.evaluate("window.__rows.filter(tr => tr.isConnected).length") == len(shown) - 1
            assert price_cell.inner_text().replace(",", "") == "4321.55"
            new_row = page.locator(f"#chain-body tr[data-strike='{moved['added']}']")
            assert new_row.locator("td[data-side=PE][data-field=oi]").inner_text() != ""
            assert page.locator("#chain-body td.flash").count() == 8 + 16  # the repriced leg and the new strike

            output = ROOT / "test-output"
            output.mkdir(exist_ok=True)
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            shutil.copy(shot, output / "dashboard.png")

            # On a phone the chain keeps price, OI, ΔOI, IV and delta and drops the wide columns.
            page.set_viewport_size({"width": 390, "height": 844})
            assert page.locator("#chain thead th.wide").first.is_hidden()
            assert page.locator("#chain-body tr.atm td[data-field=price]").first.is_visible()
            page.screenshot(path=str(output / "dashboard-phone.png"), full_page=True)

            # The charts draw from the analytics of the collected minutes; the system page's health feed connects.
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{base}/charts/?symbol=NIFTY&bucket=this_week")
            for chart in ("smile", "oi", "doi", "pcr", "straddle", "gex", "term", "vix"):
                page.wait_for_selector(f"#chart-{chart} canvas")
            page.screenshot(path=str(output / "charts.png"), full_page=True)
            page.goto(f"{base}/system/")
            page.wait_for_selector("#health-feed:text('live updates: live')")
            components = page.inner_text("#components")
            assert "collection" in components and "database" in components and "worker" in components
            assert errors == []
        finally:
            browser.close()
