"""The end-of-day score of a day with known gaps, exactly as the formula says; bad input refused before any work."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from apps.market.calendar import session_minutes
from apps.market.models import Underlying
from apps.marketdata.models import CollectionRun, OptionQuote, UnderlyingQuote
from apps.monitoring.models import ErrorEvent
from apps.quality.models import QualityReport
from apps.quality.services.eod import eod_verify
from tests.factories.market import OptionInstrumentFactory, UnderlyingFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 19)  # Monday: 375 session minutes, 09:15-15:29 IST
AFTER = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
EXPIRY = date(2026, 1, 20)
GAP = range(45, 60)  # 10:00-10:14 IST not collected
SHORT = range(100, 110)  # 10:55-11:04 IST: 3 of the 4 planned contracts
REPEATED = (200, 201)  # 12:35 and 12:36 IST repeat 12:34's chain exactly


def _day(underlying: Underlying) -> dict[str, int]:
    """Write the day; returns what was written."""
    legs = [
        OptionInstrumentFactory(underlying=underlying, expiry=EXPIRY, strike=strike, instrument_type=kind)
        for strike in (23000.0, 23050.0)
        for kind in ("CE", "PE")
    ]
    minutes = session_minutes(DAY)
    quotes: list[OptionQuote] = []
    stale = zero = iv_failed = not_analysed = 0
    for i, at in enumerate(minutes):
        if i in GAP:
            continue
        CollectionRun.objects.create(
            started_at=at, finished_at=at, minute=at, broker="kite", status="success", details={"NIFTY": {"planned": 4}}
        )
        UnderlyingQuote.objects.create(underlying=underlying, minute=at, spot=23000.0)
        step = REPEATED[0] - 1 if i in REPEATED else i  # a repeated minute is a copy of the one before it
        for j, leg in enumerate(legs[:3] if i in SHORT else legs):
            row = OptionQuote(
                minute=at,
                instrument=leg,
                underlying=underlying,
                expiry=EXPIRY,
                strike=leg.strike,
                option_type=leg.instrument_type,
                expiry_bucket="this_week",
                strike_offset=0,
                last_price=100.0 + j + step * 0.05,
                volume=1000 + step * 10,
                oi=50_000,
                bid=99.0,
                ask=101.0,
                last_trade_time=at,
                spot=23000.0,
                forward=23010.0,
                iv=0.15,
                analysed_at=at,
            )
            if j == 0 and i % 18 == 1 and stale < 20:  # 20 quotes whose last trade is 10 minutes old
                row.last_trade_time, stale = at - timedelta(minutes=10), stale + 1
            elif j == 1 and i % 35 == 2 and zero < 10:  # 10 quotes with neither a bid nor an ask
                row.bid, row.ask, zero = None, None, zero + 1
            if j == 2 and i % 7 == 0 and iv_failed < 50:  # 50 analysed quotes whose IV could not be solved
                row.iv, row.iv_error, iv_failed = None, "below_intrinsic", iv_failed + 1
            elif j == 3 and i % 60 == 5 and not_analysed < 5:  # 5 quotes analytics never reached
                row.iv, row.analysed_at, not_analysed = None, None, not_analysed + 1
            quotes.append(row)
    OptionQuote.objects.bulk_create(quotes)
    return {"rows": len(quotes), "stale": stale, "zero": zero, "iv_failed": iv_failed, "not_analysed": not_analysed}


def test_it_scores_a_day_with_known_gaps_exactly_as_the_formula_says(settings: Any) -> None:
    written = _day(UnderlyingFactory())
    assert written == {"rows": 1430, "stale": 20, "zero": 10, "iv_failed": 50, "not_analysed": 5}
    quality = eod_verify(day=DAY, now=AFTER)

    (nifty,) = quality.underlyings
    assert (nifty.expected_minutes, nifty.collected_minutes, nifty.gaps) == (375, 360, ["10:00-10:14"])
    assert (nifty.planned_contracts, nifty.missing_contracts, nifty.minutes_with_missing_strikes) == (1440, 10, 10)
    assert (nifty.rows, nifty.stale_quotes, nifty.zero_quotes, nifty.bad_quotes) == (1430, 20, 10, 30)
    assert nifty.iv_failed == 55 and nifty.iv_failures == {"below_intrinsic": 50, "not_analysed": 5}
    assert nifty.repeated_minutes == 2
    # 40·M + 25·S + 15·Q + 10·V + 10·D
    expected = 40 * 360 / 375 + 25 * 1430 / 1440 + 15 * (1 - 30 / 1430) + 10 * (1 - 55 / 1430) + 10 * (1 - 2 / 360)
    assert nifty.score == pytest.approx(expected, abs=1e-9)
    assert round(expected, 4) == 97.4715  # 38.4 + 24.826 + 14.685 + 9.615 + 9.944
    assert quality.score == pytest.approx(expected, abs=1e-9)

    report = QualityReport.objects.get(day=DAY)
    assert report.score == pytest.approx(expected) and report.underlyings.get().missing_contracts == 10
    assert not ErrorEvent.objects.filter(code="low_score").exists()  # above the default threshold of 90


def test_a_day_below_the_threshold_raises_a_critical_event_and_a_later_good_day_resolves_it(settings: Any) -> None:
    UnderlyingFactory()
    settings.OPTRADING_QUALITY_ALERT_BELOW = 90
    quality = eod_verify(day=DAY, now=AFTER)  # nothing collected at all
    assert quality.score == 0.0
    event = ErrorEvent.objects.get(code="low_score", resolved=False)
    assert event.severity == "critical" and event.message.startswith("2026-01-19 scored 0.0 (alert below 90)")
    assert "375 minutes missing: 09:15-15:29" in event.message and "bhavcopy" in event.suggestion
    settings.OPTRADING_QUALITY_ALERT_BELOW = 0  # the next day passes
    eod_verify(day=date(2026, 1, 20), now=datetime(2026, 1, 21, 12, 0, tzinfo=UTC))
    assert not ErrorEvent.objects.filter(code="low_score", resolved=False).exists()


def test_the_calendar_sets_the_expected_minutes() -> None:
    UnderlyingFactory()
    assert eod_verify(day=date(2026, 8, 3), now=datetime(2026, 8, 4, tzinfo=UTC)).expected_minutes == 385  # 15:40 close
    holiday = eod_verify(day=date(2026, 1, 26), now=AFTER.replace(month=2))  # Republic Day
    assert (
        not holiday.trading_day
        and holiday.reason.startswith("holiday")
        and not QualityReport.objects.filter(day=date(2026, 1, 26)).exists()
    )


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("19-01-2026", "date '19-01-2026' is not in the form YYYY-MM-DD"),
        ("2026-02-30", "date '2026-02-30' is not a real date"),
        ("2099-01-05", "date 2099-01-05 is in the future"),
        ("2019-03-01", "before the trading calendar's first year (2025)"),
    ],
)
def test_the_command_refuses_bad_dates_before_any_work(argument: str, message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        call_command("eod_verify", "--date", argument)
    assert refused.value.returncode == 2
    assert not QualityReport.objects.exists()


def test_the_command_prints_json_and_the_api_serves_the_stored_report(capsys: pytest.CaptureFixture[str]) -> None:
    _day(UnderlyingFactory())
    call_command("eod_verify", "--date", DAY.isoformat(), "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed["date"] == "2026-01-19" and printed["underlyings"][0]["gaps"] == ["10:00-10:14"]
    client = Client()
    client.force_login(User.objects.create_user("trader"))
    served = client.get("/api/v1/quality", {"date": "2026-01-19"}).json()
    assert served["score"] == printed["score"] and served["underlyings"][0]["repeated_minutes"] == 2
    assert client.get("/api/v1/quality").json()["date"] == "2026-01-19"  # the latest
    missing = client.get("/api/v1/quality", {"date": "2026-01-16"})
    assert missing.status_code == 404 and "No quality report for 2026-01-16" in missing.json()["error"]
    bad = client.get("/api/v1/quality", {"date": "yesterday"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]
    assert Client().get("/api/v1/quality").status_code in (401, 403)
