"""The end-of-day data-quality score of one trading day, per underlying and overall.

Per underlying, over the session minutes the calendar expects (open included, close excluded):

* M = collected minutes / expected minutes
* S = stored contracts / planned contracts, over the collected minutes (the plan of each minute's run)
* Q = 1 - bad quotes / rows, a bad quote being stale (no trade in the 5 minutes before the minute) or zero
  (last price 0, or neither a bid nor an ask)
* V = 1 - rows without an IV / rows
* D = 1 - repeated minutes / collected minutes, a repeated minute being one whose whole chain (count, and the
  sums of last price, volume and OI) equals the previous collected minute's: a frozen feed

score = 40·M + 25·S + 15·Q + 10·V + 10·D (0 when nothing was collected); the day's score is the mean over the
active underlyings. The README states the same formula.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.market import rules
from apps.market.calendar import (
    is_trading_day,
    non_trading_reason,
    previous_trading_day,
    session_close,
    session_minutes,
)
from apps.market.clock import day_out_of_range, ist_label, to_ist
from apps.market.models import Underlying
from apps.marketdata.models import CollectionRun, OptionQuote, QuoteSource, UnderlyingQuote
from apps.monitoring.metrics import record_quality_score
from apps.monitoring.models import Severity
from apps.monitoring.services import error_record, error_resolve_code
from apps.quality.models import QualityReport, UnderlyingQuality

WEIGHTS = {"minutes": 40.0, "strikes": 25.0, "quotes": 15.0, "iv": 10.0, "duplicates": 10.0}
STALE_SECONDS = 300
LIVE_SOURCES = (QuoteSource.COLLECTED, QuoteSource.TICKER)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day_parse(text: str) -> date:
    """A YYYY-MM-DD date, or an ApplicationError saying what is wrong with it."""
    if not _DATE.fullmatch(text or ""):
        raise ApplicationError(f"date {(text or '')[:32]!r} is not in the form YYYY-MM-DD (e.g. 2026-01-19).")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ApplicationError(f"date {text!r} is not a real date ({exc}).") from exc
    reason = day_out_of_range(day)
    if reason is not None:
        raise ApplicationError(f"date {text!r} {reason}.")
    return day


def day_validate(day: date, *, now: datetime) -> list[str]:
    """Refuse a day that cannot be verified yet or that the calendar knows nothing about; returns caveats."""
    today = to_ist(now).date()
    covered = rules.calendar_rules().covered_years
    if day > today:
        raise ApplicationError(f"date {day.isoformat()} is in the future (today is {today.isoformat()} IST).")
    if is_trading_day(day) and day == today and now < session_close(day):
        raise ApplicationError(
            f"{day.isoformat()} is today and its session closes at {ist_label(session_close(day))}; verify it after."
        )
    if covered and day.year < min(covered):
        raise ApplicationError(
            f"date {day.isoformat()} is before the trading calendar's first year ({min(covered)}): "
            "its holidays, and so its expected minutes, are unknown."
        )
    if covered and day.year > max(covered):
        return [f"the calendar has no holidays for {day.year}: every weekday is counted as a session"]
    return []


def default_day(*, now: datetime) -> date:
    """The last trading day whose session has closed."""
    today = to_ist(now).date()
    if is_trading_day(today) and now >= session_close(today):
        return today
    return previous_trading_day(today)


@dataclass
class UnderlyingScore:
    symbol: str
    expected_minutes: int
    collected_minutes: int = 0
    planned_contracts: int = 0
    missing_contracts: int = 0
    minutes_with_missing_strikes: int = 0
    rows: int = 0
    stale_quotes: int = 0
    zero_quotes: int = 0
    bad_quotes: int = 0
    iv_failed: int = 0
    iv_failures: dict[str, int] = field(default_factory=dict)
    repeated_minutes: int = 0
    gaps: list[str] = field(default_factory=list)
    worst_minutes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def factors(self) -> dict[str, float]:
        if not self.collected_minutes:
            return dict.fromkeys(WEIGHTS, 0.0)
        return {
            "minutes": self.collected_minutes / self.expected_minutes if self.expected_minutes else 0.0,
            "strikes": (
                (self.planned_contracts - self.missing_contracts) / self.planned_contracts
                if self.planned_contracts
                else 0.0
            ),
            "quotes": 1 - self.bad_quotes / self.rows if self.rows else 0.0,
            "iv": 1 - self.iv_failed / self.rows if self.rows else 0.0,
            "duplicates": 1 - self.repeated_minutes / self.collected_minutes,
        }

    @property
    def score(self) -> float:
        return sum(WEIGHTS[name] * value for name, value in self.factors.items())

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "score": round(self.score, 2),
            "factors": {k: round(v, 6) for k, v in self.factors.items()},
            "expected_minutes": self.expected_minutes,
            "collected_minutes": self.collected_minutes,
            "missing_minutes": self.expected_minutes - self.collected_minutes,
            "gaps": self.gaps,
            "planned_contracts": self.planned_contracts,
            "missing_contracts": self.missing_contracts,
            "minutes_with_missing_strikes": self.minutes_with_missing_strikes,
            "worst_minutes": self.worst_minutes,
            "rows": self.rows,
            "stale_quotes": self.stale_quotes,
            "zero_quotes": self.zero_quotes,
            "bad_quotes": self.bad_quotes,
            "iv_failed": self.iv_failed,
            "iv_failures": self.iv_failures,
            "repeated_minutes": self.repeated_minutes,
        }


@dataclass
class DayQuality:
    day: date
    trading_day: bool
    expected_minutes: int
    underlyings: list[UnderlyingScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def score(self) -> float | None:
        if not self.trading_day or not self.underlyings:
            return None
        return statistics.fmean(u.score for u in self.underlyings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "trading_day": self.trading_day,
            "reason": self.reason,
            "score": round(self.score, 2) if self.score is not None else None,
            "expected_minutes": self.expected_minutes,
            "threshold": float(settings.OPTRADING_QUALITY_ALERT_BELOW),
            "formula": "40·M + 25·S + 15·Q + 10·V + 10·D per underlying; the day is their mean",
            "notes": self.notes,
            "underlyings": [u.as_dict() for u in self.underlyings],
        }


def _ranges(minutes: Iterable[datetime]) -> list[str]:
    """Consecutive minutes as IST ranges: ``10:15-10:29``."""
    out: list[str] = []
    run: list[datetime] = []
    for minute in sorted(minutes):
        if run and minute - run[-1] != timedelta(minutes=1):
            out.append(_range_text(run))
            run = []
        run.append(minute)
    if run:
        out.append(_range_text(run))
    return out


def _range_text(run: list[datetime]) -> str:
    first, last = to_ist(run[0]).strftime("%H:%M"), to_ist(run[-1]).strftime("%H:%M")
    return first if first == last else f"{first}-{last}"


def _planned_by_minute(*, symbol: str, start: datetime, end: datetime) -> dict[datetime, int]:
    """What each minute's run planned for ``symbol`` (the largest, if a minute had more than one run)."""
    planned: dict[datetime, int] = {}
    runs = CollectionRun.objects.filter(minute__gte=start, minute__lt=end).values_list("minute", "details")
    for minute, details in runs:
        if minute is None:
            continue
        count = ((details or {}).get(symbol) or {}).get("planned")
        if isinstance(count, int) and count > 0:
            planned[minute] = max(planned.get(minute, 0), count)
    return planned


def underlying_score(*, underlying: Underlying, minutes: list[datetime]) -> UnderlyingScore:
    result = UnderlyingScore(symbol=underlying.symbol, expected_minutes=len(minutes))
    if not minutes:
        return result
    start, end = minutes[0], minutes[-1] + timedelta(minutes=1)
    expected = set(minutes)
    collected = (
        set(
            UnderlyingQuote.objects.filter(
                underlying=underlying, minute__gte=start, minute__lt=end, source__in=LIVE_SOURCES
            ).values_list("minute", flat=True)
        )
        & expected
    )
    result.collected_minutes = len(collected)
    result.gaps = _ranges(expected - collected)

    quotes = OptionQuote.objects.filter(
        underlying=underlying, minute__gte=start, minute__lt=end, source__in=LIVE_SOURCES
    )
    stale = Q(last_trade_time__isnull=True) | Q(last_trade_time__lt=F("minute") - timedelta(seconds=STALE_SECONDS))
    zero = Q(last_price=0) | ((Q(bid__isnull=True) | Q(bid__lte=0)) & (Q(ask__isnull=True) | Q(ask__lte=0)))
    totals = quotes.aggregate(
        rows=Count("id"),
        stale=Count("id", filter=stale),
        zero=Count("id", filter=zero),
        bad=Count("id", filter=stale | zero),
        iv_failed=Count("id", filter=Q(iv__isnull=True)),
        not_analysed=Count("id", filter=Q(iv__isnull=True, analysed_at__isnull=True)),
    )
    result.rows = totals["rows"]
    result.stale_quotes, result.zero_quotes, result.bad_quotes = totals["stale"], totals["zero"], totals["bad"]
    result.iv_failed = totals["iv_failed"]
    if totals["not_analysed"]:
        result.iv_failures["not_analysed"] = totals["not_analysed"]
    reasons = quotes.filter(iv__isnull=True, analysed_at__isnull=False).values("iv_error").annotate(n=Count("id"))
    for reason, n in reasons.order_by("iv_error").values_list("iv_error", "n"):
        result.iv_failures[reason or "unknown"] = n

    per_minute: dict[datetime, tuple[int, Any, Any, Any]] = {
        minute: (n, price, volume, oi)
        for minute, n, price, volume, oi in quotes.values("minute")
        .annotate(n=Count("id"), price=Sum("last_price"), volume=Sum("volume"), oi=Sum("oi"))
        .order_by("minute")
        .values_list("minute", "n", "price", "volume", "oi")
    }
    planned = _planned_by_minute(symbol=underlying.symbol, start=start, end=end)
    # A minute without a recorded plan (a run before plans were recorded) is held to the day's usual plan.
    usual = int(statistics.median(planned.values())) if planned else max((r[0] for r in per_minute.values()), default=0)
    previous: tuple[Any, ...] | None = None
    worst: list[tuple[int, datetime, int, int]] = []
    for minute in sorted(collected):
        row = per_minute.get(minute)
        stored = row[0] if row else 0
        wanted = planned.get(minute, usual)
        missing = max(wanted - stored, 0)
        result.planned_contracts += wanted
        result.missing_contracts += missing
        if missing:
            result.minutes_with_missing_strikes += 1
            worst.append((missing, minute, wanted, stored))
        fingerprint = row
        if fingerprint is not None and stored and fingerprint == previous:
            result.repeated_minutes += 1
        previous = fingerprint
    worst.sort(key=lambda w: (-w[0], w[1]))
    result.worst_minutes = [
        {"minute": to_ist(m).isoformat(), "planned": p, "stored": s, "missing": n} for n, m, p, s in worst[:10]
    ]
    return result


def day_quality(*, day: date, now: datetime) -> DayQuality:
    """Score ``day`` (validated first) without storing anything."""
    notes = day_validate(day, now=now)
    if not is_trading_day(day):
        return DayQuality(day=day, trading_day=False, expected_minutes=0, reason=non_trading_reason(day) or "closed")
    minutes = session_minutes(day)
    quality = DayQuality(day=day, trading_day=True, expected_minutes=len(minutes), notes=notes)
    for underlying in Underlying.objects.filter(active=True).order_by("display_order", "symbol"):
        quality.underlyings.append(underlying_score(underlying=underlying, minutes=minutes))
    return quality


def eod_verify(*, day: date | None = None, now: datetime | None = None, record: bool = True) -> DayQuality:
    """Score a trading day (default: the last closed session), store the report, and raise a critical event
    when the score is below ``OPTRADING_QUALITY_ALERT_BELOW`` (a good latest day resolves it)."""
    now = now or timezone.now()
    day = day or default_day(now=now)
    quality = day_quality(day=day, now=now)
    if not record or not quality.trading_day or quality.score is None:
        return quality
    _store(quality, now=now)
    _alert(quality, now=now)
    return quality


def _store(quality: DayQuality, *, now: datetime) -> None:
    assert quality.score is not None
    symbols = {u.symbol: u for u in Underlying.objects.filter(symbol__in=[s.symbol for s in quality.underlyings])}
    with transaction.atomic():
        report, _ = QualityReport.objects.update_or_create(
            day=quality.day,
            defaults={
                "score": quality.score,
                "expected_minutes": quality.expected_minutes,
                "notes": quality.notes,
                "computed_at": now,
            },
        )
        report.underlyings.all().delete()
        UnderlyingQuality.objects.bulk_create(
            [
                UnderlyingQuality(
                    report=report,
                    underlying=symbols[u.symbol],
                    expected_minutes=u.expected_minutes,
                    collected_minutes=u.collected_minutes,
                    planned_contracts=u.planned_contracts,
                    missing_contracts=u.missing_contracts,
                    minutes_with_missing_strikes=u.minutes_with_missing_strikes,
                    rows=u.rows,
                    stale_quotes=u.stale_quotes,
                    zero_quotes=u.zero_quotes,
                    bad_quotes=u.bad_quotes,
                    iv_failed=u.iv_failed,
                    iv_failures=u.iv_failures,
                    repeated_minutes=u.repeated_minutes,
                    score=round(u.score, 6),
                    details={"gaps": u.gaps, "worst_minutes": u.worst_minutes, "factors": u.factors},
                )
                for u in quality.underlyings
            ]
        )
    record_quality_score("all", quality.score)
    for u in quality.underlyings:
        record_quality_score(u.symbol, u.score)


def _alert(quality: DayQuality, *, now: datetime) -> None:
    assert quality.score is not None
    threshold = float(settings.OPTRADING_QUALITY_ALERT_BELOW)
    if quality.score < threshold:
        worst = sorted(quality.underlyings, key=lambda u: u.score)[:3]
        parts = []
        for u in worst:
            gaps = ", ".join(u.gaps[:3]) + (" …" if len(u.gaps) > 3 else "")
            missing = u.expected_minutes - u.collected_minutes
            parts.append(
                f"{u.symbol} {u.score:.1f} ({missing} minutes missing{': ' + gaps if gaps else ''}; "
                f"{u.missing_contracts} planned contracts missing; {u.bad_quotes} stale/zero quotes)"
            )
        error_record(
            component="quality",
            code="low_score",
            message=f"{quality.day.isoformat()} scored {quality.score:.1f} (alert below {threshold:g}): "
            + "; ".join(parts),
            suggestion="Look at the system page around the gaps: a stopped worker, a broker session that expired or "
            "broker errors at those times. Missed minutes cannot be collected afterwards; import the day's bhavcopy "
            "for its end-of-day chain.",
            severity=Severity.CRITICAL,
            now=now,
        )
        return
    latest = QualityReport.objects.order_by("-day").values_list("day", flat=True).first()
    if latest is None or latest <= quality.day:
        error_resolve_code(component="quality", code="low_score", now=now)
