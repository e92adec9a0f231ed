"""The incremental analytics runner: every minute after the cursor, in order, one transaction per minute."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.analytics.models import AnalyticsCursor, ChainSnapshot, VolatilitySnapshot
from apps.analytics.services.chain import chain_metrics, clean
from apps.analytics.services.frame import ChainFrame, frame_load
from apps.analytics.services.oi_change import oi_change_fill
from apps.analytics.services.quote_writer import quotes_update
from apps.analytics.services.quotes import QuoteResults, quotes_analyse
from apps.analytics.services.volatility import volatility_snapshot_write
from apps.analytics.signals import analytics_committed
from apps.market.calendar import years_to_expiry
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote, UnderlyingQuote

logger = logging.getLogger(__name__)

SNAPSHOT_FIELDS = [
    f.name for f in ChainSnapshot._meta.concrete_fields if f.name not in {"id", "underlying", "expiry", "minute"}
]


def _quotes_write(frame: ChainFrame, results: QuoteResults, *, now: datetime) -> None:
    greeks = results.greeks
    rows = []
    for i, pk in enumerate(frame.ids.tolist()):
        oi_change = frame.oi_change[i]
        rows.append(
            {
                "id": pk,
                "oi_change": None if np.isnan(oi_change) else round(float(oi_change)),
                "iv": clean(results.iv[i]),
                "iv_source": str(results.iv_source[i]) if np.isfinite(results.iv[i]) else "",
                "iv_error": str(results.iv_error[i])[:64],
                "delta": clean(greeks["delta"][i]),
                "gamma": clean(greeks["gamma"][i]),
                "theta": clean(greeks["theta"][i]),
                "vega": clean(greeks["vega"][i]),
                "rho": clean(greeks["rho"][i]),
                "buildup": str(results.buildup[i]),
                "quality_flags": results.flags[i],
                "analysed_at": now,
            }
        )
    quotes_update(rows, minute=frame.minute)


def _snapshots_write(
    frame: ChainFrame, results: QuoteResults, *, underlying_id: int, now: datetime
) -> list[ChainSnapshot]:
    snapshots = []
    for position, inputs in enumerate(results.expiries):
        metrics = chain_metrics(frame, results, position=position, inputs=inputs)
        snapshots.append(
            ChainSnapshot(
                underlying_id=underlying_id,
                expiry=inputs.expiry,
                minute=frame.minute,
                expiry_bucket=frame.buckets[position],
                computed_at=now,
                **metrics,
            )
        )
    ChainSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["underlying", "expiry", "minute"],
        update_fields=SNAPSHOT_FIELDS,
    )
    return snapshots


def analytics_compute_minute(
    *, underlying_id: int, minute: datetime, exchange: str | None = None, symbol: str | None = None
) -> int:
    """Analyse every option row of the underlying at ``minute`` and store the chain snapshots.

    Safe to repeat (rows are updated, snapshots upserted). Returns the number of option rows analysed.
    Runs in one transaction; ``analytics_committed`` is sent after it commits.
    """
    frame = frame_load(underlying_id=underlying_id, minute=minute)
    if not len(frame):
        return 0
    if exchange is None or symbol is None:
        symbol, exchange = Underlying.objects.values_list("symbol", "exchange").get(pk=underlying_id)
    underlying_quote = UnderlyingQuote.objects.filter(underlying_id=underlying_id, minute=minute).first()
    spot = underlying_quote.spot if underlying_quote else float(np.nanmedian(frame.spot))
    # Every future quoted that minute (``futures``): an expiry with no strike that qualifies for parity falls
    # back to its own future; one without a future of its own is carried (forward_source "carry").
    futures: dict[date, float] = {}
    if underlying_quote is not None:
        futures = {date.fromisoformat(expiry): float(price) for expiry, price in underlying_quote.futures.items()}
        if underlying_quote.future and underlying_quote.future_expiry:  # rows archived before ``futures`` existed
            futures.setdefault(underlying_quote.future_expiry, underlying_quote.future)
    rate = float(settings.OPTRADING_RISK_FREE_RATE)
    t_by_expiry = {e: years_to_expiry(minute, e, exchange) for e in frame.expiries}

    with transaction.atomic():
        oi_change_fill(frame=frame, underlying_id=underlying_id, exchange=exchange)
        results = quotes_analyse(frame, t_by_expiry=t_by_expiry, spot=spot, rate=rate, futures=futures)
        now = timezone.now()
        _quotes_write(frame, results, now=now)
        snapshots = _snapshots_write(frame, results, underlying_id=underlying_id, now=now)
        volatility_snapshot_write(
            frame=frame,
            results=results,
            snapshots=snapshots,
            underlying_id=underlying_id,
            symbol=symbol,
            rate=rate,
            futures=futures,
            vix=underlying_quote.vix if underlying_quote else None,
        )
        transaction.on_commit(
            lambda: analytics_committed.send(sender=ChainSnapshot, underlying_id=underlying_id, minute=minute)
        )
    return len(frame)


def analytics_compute(
    *,
    underlying_ids: Sequence[int] | None = None,
    limit: int | None = None,
    revisit: datetime | None = None,
    behind: bool = False,
) -> int:
    """Process every archived minute after each underlying's cursor, oldest first; returns minutes processed.

    Each minute commits with its cursor move, so a crash or restart resumes at the next minute: nothing is
    recomputed and nothing skipped. ``limit`` caps the minutes per underlying in one call (backlog chunks).
    Concurrent runners are safe: the cursor row is locked and re-checked before each minute.

    ``revisit`` is a minute that just received rows: if the cursor already passed it (the tick stream
    stored part of the minute, then quote collection added the rest) and some of its rows are not yet
    analysed, the whole minute is analysed again (safe to repeat).

    ``behind`` (the catch-up task) also analyses minutes the cursor already passed that still hold unanalysed
    rows: days stored after the cursor went by them (an older bhavcopy imported today, a back-fill), which the
    forward pass alone would never reach. At most ``limit`` of them per underlying per call.
    """
    processed_again = _revisit(underlying_ids=underlying_ids, minute=revisit) if revisit is not None else 0
    underlyings = Underlying.objects.all() if underlying_ids is not None else Underlying.objects.filter(active=True)
    if underlying_ids is not None:
        underlyings = underlyings.filter(id__in=list(underlying_ids))
    processed = 0
    for underlying in underlyings.order_by("id"):
        cursor, _ = AnalyticsCursor.objects.get_or_create(underlying=underlying)
        pending = OptionQuote.objects.filter(underlying=underlying)
        if cursor.last_minute is not None:
            pending = pending.filter(minute__gt=cursor.last_minute)
        minutes = pending.order_by("minute").values_list("minute", flat=True).distinct()
        if limit is not None:
            minutes = minutes[:limit]
        for minute in list(minutes):
            with transaction.atomic():
                locked = AnalyticsCursor.objects.select_for_update().get(pk=cursor.pk)
                if locked.last_minute is not None and locked.last_minute >= minute:
                    continue
                analytics_compute_minute(
                    underlying_id=underlying.id, minute=minute, exchange=underlying.exchange, symbol=underlying.symbol
                )
                locked.last_minute = minute
                locked.save(update_fields=["last_minute", "updated_at"])
            processed += 1
        if behind and cursor.last_minute is not None:
            processed += _behind_cursor(underlying=underlying, cursor_id=cursor.pk, limit=limit)
    return processed + processed_again


def unanalysed_minutes(
    *, underlying_id: int, start: datetime | None = None, end: datetime | None = None, limit: int | None = None
) -> list[datetime]:
    """Minutes of the underlying in [start, end] never analysed, oldest first: found on the underlying quotes (one
    row per minute, not one per contract) that have no volatility snapshot (written with every analysed minute:
    an anti-join on its unique key), each then probed for an unanalysed option row with the minute as a constant
    (one partition, the ``(underlying, minute)`` index). No index on ``analysed_at`` is needed, which keeps the
    analytics UPDATE of every stored row HOT (docs/archive.md)."""
    analysed = VolatilitySnapshot.objects.filter(underlying_id=underlying_id, minute=OuterRef("minute"))
    candidates = UnderlyingQuote.objects.filter(underlying_id=underlying_id).filter(~Exists(analysed))
    if start is not None:
        candidates = candidates.filter(minute__gte=start)
    if end is not None:
        candidates = candidates.filter(minute__lte=end)
    found: list[datetime] = []
    for minute in list(candidates.order_by("minute").values_list("minute", flat=True)):
        if OptionQuote.objects.filter(underlying_id=underlying_id, minute=minute, analysed_at__isnull=True).exists():
            found.append(minute)
            if limit is not None and len(found) >= limit:
                break
    return found


def _behind_minutes(*, underlying_id: int, last_minute: datetime, limit: int | None) -> list[datetime]:
    """Minutes at or before the cursor never analysed (``unanalysed_minutes``)."""
    return unanalysed_minutes(underlying_id=underlying_id, end=last_minute, limit=limit)


def _behind_cursor(*, underlying: Underlying, cursor_id: int, limit: int | None) -> int:
    last_minute = AnalyticsCursor.objects.filter(pk=cursor_id).values_list("last_minute", flat=True).get()
    if last_minute is None:
        return 0
    processed = 0
    for minute in _behind_minutes(underlying_id=underlying.id, last_minute=last_minute, limit=limit):
        with transaction.atomic():
            AnalyticsCursor.objects.select_for_update().filter(pk=cursor_id).first()
            if not OptionQuote.objects.filter(underlying=underlying, minute=minute, analysed_at__isnull=True).exists():
                continue  # another runner analysed it meanwhile
            analytics_compute_minute(
                underlying_id=underlying.id, minute=minute, exchange=underlying.exchange, symbol=underlying.symbol
            )
        processed += 1
    return processed


def _revisit(*, underlying_ids: Sequence[int] | None, minute: datetime) -> int:
    pending = OptionQuote.objects.filter(minute=minute, analysed_at__isnull=True)
    if underlying_ids is not None:
        pending = pending.filter(underlying_id__in=list(underlying_ids))
    processed = 0
    for underlying_id in pending.order_by().values_list("underlying_id", flat=True).distinct():
        with transaction.atomic():
            cursor = AnalyticsCursor.objects.select_for_update().filter(underlying_id=underlying_id).first()
            if cursor is None or cursor.last_minute is None or cursor.last_minute < minute:
                continue  # not passed yet: the forward pass below analyses it
            analytics_compute_minute(underlying_id=underlying_id, minute=minute)
            processed += 1
    return processed


def analytics_backlog(*, underlying_ids: Sequence[int] | None = None, behind: bool = False) -> int:
    """How many (underlying, minute) pairs are waiting after the cursors (and, with ``behind``, minutes behind
    them that still hold unanalysed rows)."""
    underlyings = Underlying.objects.filter(active=True)
    if underlying_ids is not None:
        underlyings = Underlying.objects.filter(id__in=list(underlying_ids))
    cursors = dict(AnalyticsCursor.objects.values_list("underlying_id", "last_minute"))
    total = 0
    for underlying_id in underlyings.values_list("id", flat=True):
        pending = OptionQuote.objects.filter(underlying_id=underlying_id)
        if cursors.get(underlying_id) is not None:
            pending = pending.filter(minute__gt=cursors[underlying_id])
        total += pending.order_by().values("minute").distinct().count()
        last_minute = cursors.get(underlying_id)
        if behind and last_minute is not None:
            total += len(_behind_minutes(underlying_id=underlying_id, last_minute=last_minute, limit=1))
    return total
