"""Each chain snapshot records which step of the forward rule gave its forward (docs/conventions.md §2.2), on
NSE's real end-of-day files of 27-Mar-2026 imported through the bhavcopy importer.

Expected values, computed by hand from the files (r = 0.055, t = calendar minutes from the 15:30 IST close to
the expiry's 15:30 IST close / 525600):
* NIFTY 30-Mar-2026: 131 strikes traded on both legs; the five nearest spot 22819.60 give parity forwards
  22819.91-22821.86, median 22821.08 -> "parity" (the reference value of tests/fixtures/exchange/README.md).
* NIFTY 05-May-2026 (a weekly): no strike traded on both legs and no future of that expiry is listed ->
  spot carried: 22819.60 x e^{0.055 x 39/365} = 22954.10, "carry".
* FINNIFTY 28-Apr-2026: no strike traded on both legs (TtlTradgVol = 0 on all 94); the same-expiry future
  traded 244 contracts and settled at 24542.00 -> "future", 24542.00 (tests/pricing/test_forward_on_bhavcopy.py
  has the arithmetic).
"""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

import pricing
from apps.analytics.services.frame import frame_load
from apps.analytics.services.quotes import quotes_analyse
from apps.analytics.services.report import analytics_report
from apps.market.calendar import expiry_close
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote
from tests.exchange_files import FO_BHAVCOPY
from tests.factories.market import UnderlyingFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 27)


@pytest.fixture
def imported() -> None:
    UnderlyingFactory()
    UnderlyingFactory(
        symbol="FINNIFTY", display_name="Nifty Financial Services", spot_tradingsymbol="NIFTY FIN SERVICE",
        spot_token=257801, has_weeklies=False,
    )  # fmt: skip
    for name in ("NIFTY_20260327.csv", "FINNIFTY_20260327.csv"):
        call_command("import_bhavcopy", str(FO_BHAVCOPY / name), stdout=StringIO())


@pytest.mark.parametrize(
    ("symbol", "expiry", "forward", "source"),
    [
        ("NIFTY", date(2026, 3, 30), 22821.08, "parity"),
        ("NIFTY", date(2026, 5, 5), 22954.10, "carry"),
    ],
)
def test_it_records_the_step_of_the_rule_that_gave_the_forward(imported, symbol, expiry, forward, source) -> None:
    report = analytics_report(symbol=symbol, day=DAY, expiry=expiry)

    assert (round(report["forward"], 2), report["forward_source"]) == (forward, source)


def _futures(name: str) -> dict[date, float]:
    """Every index future's settlement price in the file, by expiry."""
    with (FO_BHAVCOPY / name).open(newline="") as handle:
        return {
            date.fromisoformat(row["XpryDt"]): float(row["SttlmPric"])
            for row in csv.DictReader(handle)
            if row["FinInstrmTp"] == "IDF"
        }


def test_it_takes_the_same_expiry_future_when_no_strike_traded_on_both_legs(imported) -> None:
    """The analytics of the imported rows, given the futures the file lists."""
    finnifty = Underlying.objects.get(symbol="FINNIFTY")
    minute = OptionQuote.objects.filter(underlying=finnifty).values_list("minute", flat=True).first()
    frame = frame_load(underlying_id=finnifty.pk, minute=minute)
    t_by_expiry = {e: float(pricing.year_fraction_minutes(minute, expiry_close(e))) for e in frame.expiries}

    results = quotes_analyse(
        frame,
        t_by_expiry=t_by_expiry,
        spot=24373.20,
        rate=settings.OPTRADING_RISK_FREE_RATE,
        futures=_futures("FINNIFTY_20260327.csv"),
    )

    by_expiry = {inputs.expiry: (inputs.forward, inputs.forward_source) for inputs in results.expiries}
    assert by_expiry[date(2026, 4, 28)] == (24542.00, "future")
    assert by_expiry[date(2026, 5, 26)] == (24594.60, "future")  # nothing traded on both legs there either


def test_it_reports_the_far_month_future_end_to_end(imported) -> None:
    report = analytics_report(symbol="FINNIFTY", day=DAY, expiry=date(2026, 4, 28))

    assert (report["forward"], report["forward_source"]) == (24542.00, "future")
