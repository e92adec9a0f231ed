"""The chain page's second-order greeks (Greeks: all) in headless Chromium against a real ASGI server, on four
minutes collected from the simulated market at ATM ± 10 (test_browser_trader.py's archive and fixtures). Nothing is
answered in the browser: the page's greeks=all request is repeated with DRF's APIClient as the same user and every
cell drawn must be that answer, formatted as the page formats it. Screenshot: ``chain-greeks.png``."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.marketdata.models import OptionQuote
from tests.web.test_browser import _off_loop
from tests.web.test_browser_trader import (  # noqa: F401
    ROWS,
    _api,
    _ist,
    _path,
    _shot,
    _wait_at,
    browser,
    minutes,
    page,
    server,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECOND_ORDER = ("vanna", "charm", "vomma", "speed", "zomma", "color")
CELLS = (
    "tds => tds.map(td => [Number(td.closest('tr').dataset.strike), td.dataset.side, td.dataset.field, td.textContent])"
)


def _grouped(whole: str) -> str:
    """Indian digit grouping (1,23,456), as toLocaleString("en-IN") writes the whole part."""
    head, tail = whole[:-3], whole[-3:]
    groups = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)][::-1]
    return ",".join([*groups, tail])


def _sig(value: float | None) -> str:
    """A second-order greek as the page writes it: 3 significant figures (Intl.NumberFormat, half away from zero
    on the shortest decimal), E notation below 0.001; "—" when unknown."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    sign = "-" if number < 0 else ""
    number = abs(number)
    if number == 0 or number >= Decimal("0.001"):
        exponent = number.adjusted() if number else 0
        rounded = number.quantize(Decimal(1).scaleb(exponent - 2), rounding=ROUND_HALF_UP)
        if rounded.adjusted() > exponent:  # 0.9995 -> 1.00
            rounded = rounded.quantize(Decimal(1).scaleb(exponent - 1), rounding=ROUND_HALF_UP)
        whole, _, fraction = f"{rounded:f}".partition(".")
        return sign + _grouped(whole) + (f".{fraction}" if fraction else "")
    exponent = number.adjusted()
    mantissa = number.scaleb(-exponent).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if mantissa >= 10:
        mantissa, exponent = (mantissa / 10).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), exponent + 1
    return f"{sign}{mantissa}E{exponent}"


def test_the_format_matches_intl() -> None:
    assert _sig(-1.2345e-7) == "-1.23E-7"
    assert _sig(0.000999) == "9.99E-4"
    assert _sig(0.0012345) == "0.00123"
    assert _sig(123456.7) == "1,23,000"
    assert _sig(-0.5) == "-0.500"
    assert _sig(1.005) == "1.01"
    assert _sig(0.0) == "0.00"


def _greeks_asked(tab: Any, do: Any) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Run ``do``; the query of the page's greeks=all chain request and the real API's answer to the same URL, once
    the page has drawn its answer."""
    with tab.expect_response(lambda r: "/api/v1/option-chain/" in r.url and "greeks=all" in r.url) as seen:
        do()
    assert seen.value.status == 200, seen.value.text()
    tab.wait_for_function("() => document.getElementById('chain').dataset.greeksState === 'drawn'")
    status, answer = _off_loop(_api, method="GET", path=_path(seen.value.url))
    assert status == 200, answer
    return parse_qs(urlsplit(seen.value.url).query), answer


def _assert_drawn(tab: Any, answer: dict[str, Any]) -> None:
    """Every second-order cell of every row drawn is the API's value of its leg."""
    drawn = tab.eval_on_selector_all("#chain-body td[data-side]", CELLS)
    legs = {(row["strike"], side): row[side.lower()] for row in answer["rows"] for side in ("CE", "PE")}
    checked = known = 0
    for strike, side, field, text in drawn:
        if field in SECOND_ORDER:
            leg = legs.get((strike, side))
            expected = _sig(leg[field] if leg else None)
            assert text == expected, (strike, side, field, text, expected)
            checked += 1
            known += expected != "—"
    assert checked == tab.locator(ROWS).count() * 2 * len(SECOND_ORDER) > 0
    assert known > checked // 2  # the simulated legs have IVs: mostly real values, not dashes


def _headers_shown(tab: Any) -> int:
    return int(tab.eval_on_selector_all("#chain thead th.g2", "ths => ths.filter(th => !th.hidden).length"))


def _without_iv(minute: datetime) -> float:
    """Drop the IV of the ATM call of the minute (its second-order greeks become unknown); its strike."""
    quote = OptionQuote.objects.get(
        minute=minute, underlying__symbol="NIFTY", expiry_bucket="this_week", strike_offset=0, option_type="CE"
    )
    OptionQuote.objects.filter(pk=quote.pk).update(iv=None)
    return quote.strike


def _drop_minute(minute: datetime) -> None:
    OptionQuote.objects.filter(minute=minute, underlying__symbol="NIFTY").delete()


def test_the_chain_shows_the_apis_second_order_greeks_on_request(
    page: Any,  # noqa: F811
    minutes: list[datetime],  # noqa: F811
    tmp_path: Path,
) -> None:
    strike = _off_loop(_without_iv, minute=minutes[2])
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/option-chain/" in r.url else None)
    page.goto(f"{page.base}/?symbol=NIFTY&bucket=this_week")
    page.wait_for_selector("#chain-status:text('live')")
    _wait_at(page, _ist(minutes[-1]))
    # Greeks: first (the default) is the page as before: no extra columns, nothing more asked.
    assert page.input_value("#greeks") == "first" and _headers_shown(page) == 0
    assert page.locator("#chain-body td[data-field=vanna]").count() == 0
    assert not [url for url in asked if "greeks=" in url]

    # All, live: the latest minute's chain with greeks=all, in the strike range shown.
    query, answer = _greeks_asked(page, lambda: page.select_option("#greeks", "all"))
    assert query["greeks"] == ["all"] and query["bucket"] == ["this_week"] and query["offsets"] == ["-10..10"]
    assert query["at"] == [_ist(minutes[-1])]
    assert _headers_shown(page) == 12 and page.get_attribute("#calls-head", "colspan") == "14"
    assert page.is_visible("#greeks-units")
    _assert_drawn(page, answer)

    # Replay one minute back: that minute's greeks, and a leg without an IV is "—", never 0.
    query, answer = _greeks_asked(page, lambda: page.click("#tt-back"))
    _wait_at(page, _ist(minutes[2]))
    assert query["at"] == [_ist(minutes[2])]
    _assert_drawn(page, answer)
    atm = page.locator(f"#chain-body tr[data-strike='{strike:g}'] td[data-side=CE][data-field=vanna]")
    assert atm.inner_text() == "—"

    # The choice survives a reload (the deep link of the minute shown).
    query, answer = _greeks_asked(page, page.reload)
    _wait_at(page, _ist(minutes[2]))
    assert page.input_value("#greeks") == "all" and query["at"] == [_ist(minutes[2])]
    _assert_drawn(page, answer)
    _shot(page, tmp_path, "chain-greeks.png")

    # An API error (a minute with nothing archived at or before it: 404) is shown as its JSON error; the page
    # goes on: the next minute draws its chain and greeks.
    _off_loop(_drop_minute, minute=minutes[0])
    with page.expect_response(lambda r: "greeks=all" in r.url) as seen:
        page.eval_on_selector(
            "#tt-slider", "el => { el.value = '0'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
        )
    assert seen.value.status == 404
    page.wait_for_function("() => document.getElementById('chain').dataset.greeksState === 'failed'")
    status, error = _off_loop(_api, method="GET", path=_path(seen.value.url))
    assert status == 404 and error["error"]
    assert page.inner_text("#greeks-error") == error["error"] and page.is_visible("#greeks-failed")
    query, answer = _greeks_asked(page, lambda: page.click("#tt-forward"))
    _wait_at(page, _ist(minutes[1]))
    _assert_drawn(page, answer)
    assert not page.is_visible("#greeks-failed")

    # Back to first: the columns go and nothing more is asked, also after a reload.
    page.select_option("#greeks", "first")
    assert _headers_shown(page) == 0 and page.get_attribute("#calls-head", "colspan") == "8"
    assert page.locator("#chain-body td[data-field=vanna]").count() == 0
    assert page.locator(ROWS).count() == 21
    before = len([url for url in asked if "greeks=" in url])
    page.click("#tt-forward")
    _wait_at(page, _ist(minutes[2]))
    page.reload()
    _wait_at(page, _ist(minutes[2]))
    assert page.input_value("#greeks") == "first" and _headers_shown(page) == 0
    assert len([url for url in asked if "greeks=" in url]) == before
