"""ΔOI for collected rows: OI minus the instrument's OI at its last stored minute of the previous session."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.db import connection
from django.db.models import Max

from apps.analytics.services.frame import ChainFrame
from apps.market.calendar import previous_trading_day
from apps.market.clock import ist_day_bounds, to_ist
from apps.marketdata.models import OptionQuote


def oi_change_fill(*, frame: ChainFrame, underlying_id: int, exchange: str = "NSE") -> None:
    """Fill ``frame.oi_change`` where it is missing (in memory; the caller writes it). One query on PostgreSQL,
    two elsewhere.

    Rows whose instrument was not stored in the previous session keep ΔOI unknown (NaN).
    """
    missing = frame.oi_change_missing & ~frame.settlement
    if not missing.any():
        return
    day = to_ist(frame.minute).date()
    start, _ = ist_day_bounds(previous_trading_day(day, exchange))
    end, _ = ist_day_bounds(day)
    wanted = frame.instrument_ids[missing].tolist()
    previous_oi = _previous_close_oi(underlying_id=underlying_id, instrument_ids=wanted, start=start, end=end)
    if not previous_oi:
        return
    before = np.array([previous_oi.get(int(i), np.nan) for i in frame.instrument_ids], dtype=float)
    fill = missing & np.isfinite(before)
    frame.oi_change[fill] = frame.oi[fill] - before[fill]


def _previous_close_oi(
    *, underlying_id: int, instrument_ids: list[int], start: datetime, end: datetime
) -> dict[int, int]:
    """Each instrument's OI at its last stored minute in [start, end).

    On PostgreSQL one probe per instrument, newest first on the ``(instrument, minute)`` unique index, in the one
    day partition the constant bounds leave (a GROUP BY of the whole previous session read every row of it, ~375
    minutes a contract, for each analysed minute); elsewhere ``_previous_close_oi_grouped``."""
    if connection.vendor != "postgresql":
        return _previous_close_oi_grouped(
            underlying_id=underlying_id, instrument_ids=instrument_ids, start=start, end=end
        )
    table = connection.ops.quote_name(OptionQuote._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.id, q.oi FROM unnest(%s::bigint[]) AS w(id) CROSS JOIN LATERAL ("  # noqa: S608 - model table
            f"SELECT oi FROM {table} WHERE instrument_id = w.id AND minute >= %s AND minute < %s "
            "ORDER BY minute DESC LIMIT 1) q",
            [instrument_ids, start, end],
        )
        return dict(cursor.fetchall())


def _previous_close_oi_grouped(
    *, underlying_id: int, instrument_ids: list[int], start: datetime, end: datetime
) -> dict[int, int]:
    """The same in generic SQL (the embedded SQLite): the last minutes by GROUP BY, then their OI."""
    last_minutes = {
        row["instrument_id"]: row["last"]
        for row in OptionQuote.objects.filter(
            underlying_id=underlying_id, instrument_id__in=instrument_ids, minute__gte=start, minute__lt=end
        )
        .values("instrument_id")
        .annotate(last=Max("minute"))
        .order_by()
    }
    if not last_minutes:
        return {}
    return {
        instrument_id: oi
        for instrument_id, minute, oi in OptionQuote.objects.filter(
            instrument_id__in=list(last_minutes), minute__in=set(last_minutes.values())
        ).values_list("instrument_id", "minute", "oi")
        if last_minutes.get(instrument_id) == minute
    }
