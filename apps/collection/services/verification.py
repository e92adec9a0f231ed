"""Daily verification: did every session minute of the day reach the archive?"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from apps.market.calendar import is_trading_day, previous_trading_day, session_minutes
from apps.market.clock import to_ist
from apps.market.models import Underlying
from apps.marketdata.models import CollectionRun, CollectionStatus, QuoteSource, UnderlyingQuote
from apps.monitoring.services import error_record


@dataclass
class DayReport:
    day: str
    trading_day: bool
    expected_minutes: int
    collected_minutes: dict[str, int] = field(default_factory=dict)
    missing_minutes: dict[str, int] = field(default_factory=dict)
    failed_runs: int = 0

    @property
    def complete(self) -> bool:
        return self.trading_day and not any(self.missing_minutes.values()) and not self.failed_runs

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete}


def day_verify(*, day: date | None = None, record: bool = True) -> DayReport:
    """Compare the minutes stored per underlying against the session's minutes (default: last session)."""
    if day is None:
        today = to_ist(timezone.now()).date()
        day = (
            today
            if is_trading_day(today) and timezone.now() > session_minutes(today)[-1]
            else (previous_trading_day(today))
        )
    if not is_trading_day(day):
        return DayReport(day=day.isoformat(), trading_day=False, expected_minutes=0)
    minutes = session_minutes(day)
    report = DayReport(day=day.isoformat(), trading_day=True, expected_minutes=len(minutes))
    for underlying in Underlying.objects.filter(active=True):
        stored = (
            UnderlyingQuote.objects.filter(
                underlying=underlying, source=QuoteSource.COLLECTED, minute__gte=minutes[0], minute__lte=minutes[-1]
            )
            .values("minute")
            .distinct()
            .count()
        )
        report.collected_minutes[underlying.symbol] = stored
        report.missing_minutes[underlying.symbol] = len(minutes) - stored
    report.failed_runs = CollectionRun.objects.filter(
        minute__gte=minutes[0], minute__lte=minutes[-1], status=CollectionStatus.FAILED
    ).count()
    if record and not report.complete:
        gaps = ", ".join(f"{s} {n}" for s, n in report.missing_minutes.items() if n)
        error_record(
            component="verification",
            code="incomplete_day",
            message=f"{day}: missing minutes ({gaps or 'none'}), failed runs {report.failed_runs}.",
            suggestion="Check the broker session and the worker around the gaps on the system page; "
            "missed minutes cannot be collected afterwards.",
        )
    return report
