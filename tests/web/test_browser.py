"""The dashboard in headless Chromium against a real ASGI server: log in, see the chain, watch it update
over the websocket when the test collects the next minute on the simulated market, without a reload."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.contrib.auth.models import User
from django.db import connection

from apps.brokers.base import get_broker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus, OptionQuote
from tests.web.asgi_server import ROOT, asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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
            page.evaluate("window.__sameDocument = true")

            second = _off_loop(chain_collect, broker=broker, underlyings=["NIFTY"])
            assert second.status == CollectionStatus.SUCCESS, second.error
            assert second.minute > first.minute
            page.wait_for_function(
                "minute => document.getElementById('chain').dataset.minute === minute", arg=second.minute.isoformat()
            )
            assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
            ce = _off_loop(_atm_call, minute=second.minute)
            price_cell = page.locator("#chain-body tr.atm td[data-field=price]").first
            assert price_cell.inner_text().replace(",", "") == f"{ce.last_price:.2f}"

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
            for chart in ("smile", "oi", "doi", "pcr", "straddle", "gex"):
                page.wait_for_selector(f"#chart-{chart} canvas")
            page.screenshot(path=str(output / "charts.png"), full_page=True)
            page.goto(f"{base}/system/")
            page.wait_for_selector("#health-feed:text('live updates: live')")
            components = page.inner_text("#components")
            assert "collection" in components and "database" in components and "worker" in components
            assert errors == []
        finally:
            browser.close()
