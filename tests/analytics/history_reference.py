"""A small reference archive for the history selectors and what they answered on it.

``reference_archive`` builds 19 sessions of NIFTY (29-Dec-2025 to 23-Jan-2026, three minutes a session, three
expiries a minute: this week's, next week's and the Feb-2026 monthly), analyses them through the real runner, adds
India VIX to the underlying quotes and imports two real participant files. ``reference_outputs`` calls every
history selector the way the API does. The outputs captured before the selectors moved their aggregation into
the database are in tests/fixtures/history/reference_outputs.json; the test compares with them.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.management import call_command

from apps.analytics import selectors
from apps.analytics.services import analytics_compute
from apps.market.calendar import is_trading_day
from apps.market.clock import ist_at
from apps.market.models import Underlying
from apps.marketdata.models import UnderlyingQuote
from apps.participants.selectors import participants_history
from tests.analytics.conftest import build_chain
from tests.exchange_files import PARTICIPANTS

FIRST, LAST = date(2025, 12, 29), date(2026, 1, 23)
CLOCKS = (time(9, 30), time(9, 31), time(15, 29))
MONTHLY = date(2026, 2, 24)
STRIKES = [22900, 23000, 23100]


def sessions() -> list[date]:
    days, day = [], FIRST
    while day <= LAST:
        if is_trading_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _next_tuesday(day: date) -> date:
    return day + timedelta(days=(1 - day.weekday()) % 7)


def reference_archive(underlying: Underlying) -> None:
    for i, day in enumerate(sessions()):
        weekly = _next_tuesday(day)
        for j, clock in enumerate(CLOCKS):
            minute = ist_at(day, clock)
            forward = 23000.0 + (i % 5) * 10 + j * 5
            for k, expiry in enumerate((weekly, weekly + timedelta(days=7), MONTHLY)):
                if i == 7 and k == 1 and j == 2:
                    continue  # next week's chain missing at one close: a day's expiries are the union of its minutes
                build_chain(
                    underlying,
                    minute=minute,
                    expiry=expiry,
                    forward=forward + k * 15,
                    sigma=0.10 + 0.004 * i + 0.01 * j + 0.02 * k + 0.03 * math.sin(i),
                    strikes=STRIKES,
                    call_oi=[65_000 + 650 * (i + k), 70_000 + 1300 * j, 60_000 + 325 * i],
                    put_oi=[80_000 - 650 * i, 65_000 + 975 * (i % 4), 50_000 + 650 * (j + k)],
                )
            UnderlyingQuote.objects.filter(underlying=underlying, minute=minute).update(
                vix=round(12.0 + 0.35 * i + 1.5 * math.cos(i) + 0.1 * j, 2)
            )
    analytics_compute()
    for name in ("fao_participant_oi_13072015.csv", "fao_participant_oi_28072026.csv"):
        call_command("import_participants", str(PARTICIPANTS / name), stdout=io.StringIO(), stderr=io.StringIO())


def _utc(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def reference_outputs() -> dict[str, Any]:
    start, end = _utc(FIRST), _utc(LAST, 23, 59)
    mid = ist_at(date(2026, 1, 14), time(15, 29))
    out: dict[str, Any] = {}
    out["history_pcr_bucket"] = selectors.history(underlying="NIFTY", field="pcr_oi", start=start, end=end)
    out["history_pcr_bucket_daily"] = selectors.history(
        underlying="NIFTY", field="pcr_oi", start=start, end=end, daily=True
    )
    out["history_max_pain_next_week_daily"] = selectors.history(
        underlying="NIFTY", field="max_pain", start=start, end=end, bucket="next_week", daily=True
    )
    out["history_atm_iv_monthly"] = selectors.history(
        underlying="NIFTY", field="atm_iv", start=start, end=end, expiry=MONTHLY
    )
    out["history_straddle_monthly_daily_window"] = selectors.history(
        underlying="NIFTY",
        field="straddle",
        start=ist_at(date(2026, 1, 5), time(9, 31)),
        end=ist_at(date(2026, 1, 9), time(9, 31)),
        expiry=MONTHLY,
        daily=True,
    )
    out["iv_rank"] = selectors.iv_rank(underlying="NIFTY")
    out["iv_rank_10_at_mid"] = selectors.iv_rank(underlying="NIFTY", sessions=10, at=mid)
    out["overlay_weekday"] = selectors.overlay(underlying="NIFTY", bucket="this_week", sessions=3)
    out["overlay_dte"] = selectors.overlay(underlying="NIFTY", bucket="this_week", sessions=3, align="dte")
    out["overlay_wednesday_at_mid"] = selectors.overlay(underlying="NIFTY", weekday=2, sessions=8, at=mid)
    out["overlay_monthly_dte"] = selectors.overlay(underlying="NIFTY", expiry=MONTHLY, sessions=4, align="dte")
    out["expiry_comparison_pcr"] = selectors.expiry_comparison(underlying="NIFTY", field="pcr_oi", expiries=3)
    out["expiry_comparison_straddle_at_mid"] = selectors.expiry_comparison(
        underlying="NIFTY", field="straddle", expiries=5, at=mid
    )
    out["expiry_comparison_max_pain_next_week"] = selectors.expiry_comparison(
        underlying="NIFTY", field="max_pain", expiries=2, bucket="next_week"
    )
    out["vix_correlation"] = selectors.vix_correlation(underlying="NIFTY", window=5)
    out["vix_correlation_at_mid"] = selectors.vix_correlation(underlying="NIFTY", window=3, at=mid, sessions=6)
    out["participants_history"] = participants_history(date(2015, 1, 1), date(2026, 12, 31))
    out["participants_history_window"] = participants_history(date(2026, 1, 1), date(2026, 12, 31))
    return out
