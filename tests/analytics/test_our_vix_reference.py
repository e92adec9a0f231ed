"""Our end-of-day India-VIX-style index on NSE's real NIFTY bhavcopies, against the India VIX NSE published.

Inputs: tests/fixtures/exchange/ (the bhavcopies, and NSE's daily India VIX history imported through
``import_india_vix``). The rule (docs/analytics.md "Our VIX"): settlement prices of the out-of-the-money options
that traded that day, near and next monthly, rolled to next and far within 3 days of the near monthly expiry,
forward = the future of the same expiry, r = 5.5 %, minutes from the 15:30 close to each expiry's close.
"""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import pricing
from apps.marketdata.udiff import INDEX_FUTURE, INDEX_OPTION, bhavcopy_parse, bhavcopy_text
from tests.exchange_files import FO_BHAVCOPY, INDIA_VIX_DAILY
from tests.factories.market import UnderlyingFactory

pytestmark = pytest.mark.django_db

BUSINESS_STANDARD_02JAN2025 = 13.74
"""India VIX close of 02-Jan-2025 as Business Standard reported it that day ("Nifty January futures trade at
premium", 02-Jan-2025 16:50 IST: "NSE India VIX slipped 5.30% to 13.74", beside the Nifty close of 24,188.65 that
the bhavcopy's UndrlygPric carries). Before the start of the daily-history fixture, so quoted here with its source."""


def _report(day: str) -> dict:
    out = StringIO()
    call_command("analytics_report", "NIFTY", "--date", day, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def imported() -> None:
    UnderlyingFactory()
    for name in ("NIFTY_20260324.csv", "NIFTY_20260327.csv", "NIFTY_20250102.csv"):
        call_command("import_bhavcopy", str(FO_BHAVCOPY / name), stdout=StringIO())
    call_command("import_india_vix", str(INDIA_VIX_DAILY), stdout=StringIO())


@pytest.mark.parametrize(
    ("day", "nse", "ours", "rolled", "near", "following"),
    [
        # Tue 24-Mar-2026 (a weekly expiry day): the Mar monthly (30-Mar) is 6 days away, so near and next.
        ("2026-03-24", 24.74, 24.90, False, ("2026-03-30", 22900.0, 156, 19000, 31000), ("2026-04-28", 23050.0, 115)),
        # Fri 27-Mar-2026: the Mar monthly is 3 days away, so the index rolls to the Apr and May monthlies.
        ("2026-03-27", 26.80, 26.40, True, ("2026-04-28", 22900.0, 121, 20500, 27700), ("2026-05-26", 23000.0, 91)),
    ],
)
def test_it_is_within_a_point_of_the_india_vix_nse_published(imported, day, nse, ours, rolled, near, following) -> None:
    report = _report(day)
    assert (report["india_vix"], report["india_vix_source"]) == (nse, "nse_daily_close")
    assert report["our_vix_reason"] is None
    assert abs(report["our_vix"] - report["india_vix"]) <= 1.0
    assert report["our_vix"] == pytest.approx(ours, abs=0.005)
    terms = report["our_vix_terms"]
    assert terms["rolled"] is rolled
    expiry, k0, used, low, high = near
    assert (terms["near"]["expiry"], terms["near"]["k0"], terms["near"]["strikes_used"]) == (expiry, k0, used)
    assert (terms["near"]["lowest_strike"], terms["near"]["highest_strike"]) == (low, high)
    assert (terms["next"]["expiry"], terms["next"]["k0"], terms["next"]["strikes_used"]) == following
    assert {terms[t]["prices"] for t in ("near", "next")} == {"settlement"}
    assert {terms[t]["forward_source"] for t in ("near", "next")} == {"future"}


def test_it_is_within_a_point_on_a_thursday_expiry_era_file_too(imported) -> None:
    report = _report("2025-01-02")
    assert report["india_vix"] is None  # before the imported history: nothing invented
    assert report["our_vix"] == pytest.approx(13.70, abs=0.005)
    assert abs(report["our_vix"] - BUSINESS_STANDARD_02JAN2025) <= 1.0
    assert (report["our_vix_terms"]["near"]["expiry"], report["our_vix_terms"]["next"]["expiry"]) == (
        "2025-01-30",
        "2025-02-27",
    )


def _settled(path: str, expiry: date, *, traded_only: bool) -> pricing.VixSettled:
    rows = bhavcopy_parse(bhavcopy_text(FO_BHAVCOPY / path))
    options = [r for r in rows if r.kind == INDEX_OPTION and r.expiry == expiry]
    future = next(r.settlement for r in rows if r.kind == INDEX_FUTURE and r.expiry == expiry)
    strikes = sorted({r.strike for r in options})

    def prices(option_type: str) -> np.ndarray:
        by_strike = {r.strike: r for r in options if r.option_type == option_type}
        return np.array(
            [
                by_strike[k].settlement
                if k in by_strike and (by_strike[k].volume_contracts > 0 or not traded_only)
                else np.nan
                for k in strikes
            ]
        )

    minutes = (expiry - rows[0].trade_date).days * 1440.0  # close to close
    return pricing.VixSettled(
        strikes=strikes,
        call_price=prices("CE"),
        put_price=prices("PE"),
        forward=future,
        minutes_to_expiry=minutes,
        rate=0.055,
    )


def test_it_would_be_biased_down_by_the_theoretical_prices_of_untraded_options() -> None:
    """Why only traded strikes count: NSE's settlement of an untraded option is its own theoretical value, far
    below the market in the wings of a stressed day. With every settlement price, 24-Mar-2026 falls to 22.50."""
    near, following = date(2026, 3, 30), date(2026, 4, 28)
    traded = pricing.india_vix(*(_settled("NIFTY_20260324.csv", e, traded_only=True) for e in (near, following)))
    every = pricing.india_vix(*(_settled("NIFTY_20260324.csv", e, traded_only=False) for e in (near, following)))
    assert traded.vix == pytest.approx(24.90, abs=0.005)  # the stored index, recomputed from the file alone
    assert every.vix == pytest.approx(22.50, abs=0.005)
    assert 24.74 - every.vix > 2.0  # NSE's close: more than two points above the all-settlement number


def test_it_adds_our_vix_to_the_chain_analytics_of_an_expiry_and_reads_as_text(imported) -> None:
    out = StringIO()
    call_command("analytics_report", "NIFTY", "--date", "2026-03-27", "--expiry", "2026-03-30", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["atm_iv"] == pytest.approx(0.2588, abs=5e-5)  # the expiry's chain analytics
    assert (report["our_vix"], report["india_vix"]) == (_report("2026-03-27")["our_vix"], 26.80)
    text = StringIO()
    call_command("analytics_report", "NIFTY", "--date", "2026-03-27", stdout=text)
    lines = text.getvalue().splitlines()
    assert "               our_vix: 26.398112048247185" in lines
    assert "             india_vix: 26.8" in lines
    assert any(line.startswith("          our_vix next: ") and "expiry 2026-05-26" in line for line in lines)


def test_it_exits_2_for_a_day_without_quotes(imported) -> None:
    with pytest.raises(CommandError, match=r"No NIFTY option quotes on 2026-03-26 \(IST\)") as missing:
        _report("2026-03-26")
    assert missing.value.returncode == 2
