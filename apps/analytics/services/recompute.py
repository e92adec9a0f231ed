"""(Re)analyse a range of archived days, whatever the cursors say: ``manage.py analytics_compute``.

The incremental runner (``compute.analytics_compute``) moves a cursor per underlying forward, so a day stored
*behind* the cursor (an older bhavcopy imported today, a back-fill) is never reached by it. This service takes
every minute of the range never analysed (or, with ``recompute``, every minute of the range) and
analyses it, oldest first, one transaction per minute.

Safe beside the live worker: each minute is analysed while holding the underlying's cursor row lock
(``SELECT ... FOR UPDATE``), the same lock the worker takes for each of its minutes, so the two never analyse one
underlying at once; analysing a minute is idempotent (rows updated, snapshots upserted). The cursor is never moved
here: a minute ahead of it is analysed again by the worker's forward pass, which is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction

from apps.analytics.models import AnalyticsCursor
from apps.analytics.services.compute import analytics_compute_minute, unanalysed_minutes
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.clock import ist_day_bounds
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote


@dataclass(frozen=True)
class UnderlyingRecompute:
    symbol: str
    minutes: int
    rows: int


@dataclass(frozen=True)
class RangeRecompute:
    start: date | None
    end: date | None
    recompute: bool
    underlyings: list[UnderlyingRecompute] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(u.minutes for u in self.underlyings)

    @property
    def rows(self) -> int:
        return sum(u.rows for u in self.underlyings)


def range_validate(*, symbol: str | None, start: date | None, end: date | None) -> list[Underlying]:
    """The underlyings asked for (one by symbol, else every active one); errors before any work."""
    if (start is None) != (end is None):
        raise ApplicationError("Give both --from and --to, or neither.")
    if start is not None and end is not None and start > end:
        raise ApplicationError(f"--from ({start:%Y-%m-%d}) is after --to ({end:%Y-%m-%d}).")
    if symbol is not None:
        found = Underlying.objects.filter(symbol=symbol.upper()).first()
        if found is None:
            known = ", ".join(Underlying.objects.order_by("symbol").values_list("symbol", flat=True)) or "none loaded"
            raise NotFoundError(f"Unknown underlying {symbol!r}; known: {known}.")
        return [found]
    return list(Underlying.objects.filter(active=True).order_by("id"))


def minute_analyse_locked(*, underlying: Underlying, minute: datetime) -> int:
    """Analyse one minute under the underlying's cursor row lock (the live worker's lock); rows analysed."""
    cursor, _ = AnalyticsCursor.objects.get_or_create(underlying=underlying)
    with transaction.atomic():
        AnalyticsCursor.objects.select_for_update().filter(pk=cursor.pk).first()
        return analytics_compute_minute(
            underlying_id=underlying.id, minute=minute, exchange=underlying.exchange, symbol=underlying.symbol
        )


def pending_minutes(
    *, underlying: Underlying, start: datetime | None, end: datetime | None, recompute: bool, limit: int | None = None
) -> list[datetime]:
    """Minutes of ``underlying`` in [start, end) to analyse: those never analysed (``unanalysed_minutes``), or
    every one with option rows."""
    if not recompute:
        last = end - timedelta(microseconds=1) if end is not None else None
        return unanalysed_minutes(underlying_id=underlying.pk, start=start, end=last, limit=limit)
    rows = OptionQuote.objects.filter(underlying=underlying)
    if start is not None:
        rows = rows.filter(minute__gte=start)
    if end is not None:
        rows = rows.filter(minute__lt=end)
    minutes = rows.order_by("minute").values_list("minute", flat=True).distinct()
    return list(minutes[:limit] if limit is not None else minutes)


def analytics_range_compute(
    *, symbol: str | None = None, start: date | None = None, end: date | None = None, recompute: bool = False
) -> RangeRecompute:
    """Analyse every minute of [start, end] (IST days; default the whole archive) that has unanalysed rows, or
    with ``recompute`` every minute there, for one underlying or every active one."""
    underlyings = range_validate(symbol=symbol, start=start, end=end)
    low = ist_day_bounds(start)[0] if start is not None else None
    high = ist_day_bounds(end)[1] if end is not None else None
    done = []
    for underlying in underlyings:
        minutes = rows = 0
        for minute in pending_minutes(underlying=underlying, start=low, end=high, recompute=recompute):
            rows += minute_analyse_locked(underlying=underlying, minute=minute)
            minutes += 1
        done.append(UnderlyingRecompute(symbol=underlying.symbol, minutes=minutes, rows=rows))
    return RangeRecompute(start=start, end=end, recompute=recompute, underlyings=done)
