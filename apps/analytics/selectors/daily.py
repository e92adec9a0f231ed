"""Day-by-day reads for the history selectors, done by the database and touching only the rows needed.

Every history view is built from a few shapes: the expiries analysed on each IST session day, the last row of
each day (a daily close), and the rows of chosen (day, expiry) windows. On PostgreSQL each shape is one
statement over an ``unnest`` of the day windows, with a ``LATERAL ... ORDER BY minute DESC LIMIT 1`` probe per
day for a close, so a year of minutes costs one index probe per day instead of a read of every minute (the
statements and their plans: docs/history.md). Elsewhere (the embedded SQLite, a small archive) the same answers
come from one ORM query per day.

The indexes they use are the tables' own: ``chainsnapshot_expiry_minute`` (underlying, expiry, minute),
``chainsnapshot_underlying_min`` (underlying, minute), and the unique (underlying, minute) keys of
``VolatilitySnapshot`` and ``UnderlyingQuote``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, models

from apps.analytics.models import ChainSnapshot
from apps.market.clock import ist_day_bounds, to_ist

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class DayWindow:
    """One IST session day clipped to the range asked for: minutes in [lo, hi)."""

    day: date
    lo: datetime
    hi: datetime
    expiry: date | None = None


def day_windows(start: datetime, end: datetime) -> list[DayWindow]:
    """Every IST calendar day meeting [start, end] (both included), clipped to it, oldest first."""
    out = []
    day, last = to_ist(start).date(), to_ist(end).date()
    while day <= last:
        lo, hi = ist_day_bounds(day)
        out.append(DayWindow(day=day, lo=max(lo, start), hi=min(hi, end + _MICROSECOND)))
        day += timedelta(days=1)
    return out


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _unnest(windows: Sequence[DayWindow], *, with_expiry: bool) -> tuple[str, list[Any]]:
    params: list[Any] = [[w.day for w in windows], [w.lo for w in windows], [w.hi for w in windows]]
    if with_expiry:
        params.append([w.expiry for w in windows])
        return "unnest(%s::date[], %s::timestamptz[], %s::timestamptz[], %s::date[]) AS d(day, lo, hi, expiry)", params
    return "unnest(%s::date[], %s::timestamptz[], %s::timestamptz[]) AS d(day, lo, hi)", params


def _column(model: type[models.Model], name: str) -> str:
    column = model._meta.get_field(name).column  # type: ignore[union-attr]
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{name} is not a stored column.")
    return _q(column)


def expiries_by_day(*, underlying_id: int, start: datetime, end: datetime) -> dict[date, list[date]]:
    """IST session date → the expiries with a chain snapshot that day within [start, end], sorted."""
    windows = day_windows(start, end)
    if not windows:
        return {}
    if not _postgres():
        out: dict[date, set[date]] = defaultdict(set)
        rows = (
            ChainSnapshot.objects.filter(underlying_id=underlying_id, minute__gte=start, minute__lte=end)
            .order_by()
            .values_list("minute", "expiry")
            .distinct()
        )
        for minute, expiry in rows:
            out[to_ist(minute).date()].add(expiry)
        return {day: sorted(expiries) for day, expiries in sorted(out.items())}
    table = _q(ChainSnapshot._meta.db_table)
    days, params = _unnest(windows, with_expiry=False)
    # Every expiry the underlying ever had, by a loose index scan of (underlying, expiry, minute); its first and
    # last minute bound the days it can appear on; one EXISTS probe per (day, expiry) that could.
    sql = f"""
        WITH RECURSIVE listed(expiry) AS (
            (SELECT expiry FROM {table} WHERE underlying_id = %s ORDER BY expiry LIMIT 1)
            UNION ALL
            SELECT (SELECT s.expiry FROM {table} s WHERE s.underlying_id = %s AND s.expiry > listed.expiry
                    ORDER BY s.expiry LIMIT 1)
            FROM listed WHERE listed.expiry IS NOT NULL
        ), spans AS MATERIALIZED (
            SELECT l.expiry,
                   (SELECT min(s.minute) FROM {table} s WHERE s.underlying_id = %s AND s.expiry = l.expiry) AS first,
                   (SELECT max(s.minute) FROM {table} s WHERE s.underlying_id = %s AND s.expiry = l.expiry) AS last
            FROM listed l WHERE l.expiry IS NOT NULL
        )
        SELECT d.day, sp.expiry
        FROM {days} JOIN spans sp ON sp.first < d.hi AND sp.last >= d.lo
        WHERE EXISTS (SELECT 1 FROM {table} s WHERE s.underlying_id = %s AND s.expiry = sp.expiry
                      AND s.minute >= d.lo AND s.minute < d.hi)
        ORDER BY d.day, sp.expiry
    """  # noqa: S608 - identifiers come from the model, values are parameters
    found: dict[date, list[date]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [underlying_id] * 4 + params + [underlying_id])
        for day, expiry in cursor.fetchall():
            found[day].append(expiry)
    return dict(found)


def daily_last(
    *,
    model: type[models.Model],
    underlying_id: int,
    windows: Sequence[DayWindow],
    fields: Sequence[str],
    not_null: str | None = None,
    by_expiry: bool = False,
) -> list[tuple[date, datetime, tuple[Any, ...]]]:
    """Per window, oldest first: (day, minute, values of ``fields``) of its last row (the day's close), skipping
    rows where ``not_null`` is null; with ``by_expiry`` only rows of the window's expiry. Days without a row are
    left out."""
    if not windows:
        return []
    if not _postgres():
        out = []
        for w in windows:
            rows = model._default_manager.filter(underlying_id=underlying_id, minute__gte=w.lo, minute__lt=w.hi)
            if by_expiry:
                rows = rows.filter(expiry=w.expiry)
            if not_null is not None:
                rows = rows.filter(**{f"{not_null}__isnull": False})
            row = rows.order_by("-minute").values_list("minute", *fields).first()
            if row is not None:
                out.append((w.day, row[0], tuple(row[1:])))
        return out
    table = _q(model._meta.db_table)
    days, params = _unnest(windows, with_expiry=by_expiry)
    columns = ", ".join(f"t.{_column(model, f)}" for f in fields)
    extra = " AND t.expiry = d.expiry" if by_expiry else ""
    if not_null is not None:
        extra += f" AND t.{_column(model, not_null)} IS NOT NULL"
    sql = f"""
        SELECT d.day, x.*
        FROM {days}
        CROSS JOIN LATERAL (
            SELECT t.minute, {columns} FROM {table} t
            WHERE t.underlying_id = %s AND t.minute >= d.lo AND t.minute < d.hi{extra}
            ORDER BY t.minute DESC LIMIT 1
        ) x
        ORDER BY d.day
    """  # noqa: S608 - identifiers come from the model, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, underlying_id])
        return [(row[0], row[1], tuple(row[2:])) for row in cursor.fetchall()]


def window_rows(
    *, underlying_id: int, windows: Sequence[DayWindow], fields: Sequence[str]
) -> list[tuple[date, datetime, tuple[Any, ...]]]:
    """Every chain snapshot of each window's expiry inside the window: (day, minute, values), in minute order."""
    if not windows:
        return []
    if not _postgres():
        out: list[tuple[date, datetime, tuple[Any, ...]]] = []
        for w in windows:
            wanted = {"underlying_id": underlying_id, "expiry": w.expiry, "minute__gte": w.lo, "minute__lt": w.hi}
            rows = ChainSnapshot.objects.filter(**wanted)
            out.extend((w.day, r[0], tuple(r[1:])) for r in rows.order_by("minute").values_list("minute", *fields))
        return sorted(out, key=lambda r: r[1])
    table = _q(ChainSnapshot._meta.db_table)
    days, params = _unnest(windows, with_expiry=True)
    columns = ", ".join(f"t.{_column(ChainSnapshot, f)}" for f in fields)
    sql = f"""
        SELECT d.day, t.minute, {columns}
        FROM {days}
        JOIN {table} t ON t.underlying_id = %s AND t.expiry = d.expiry AND t.minute >= d.lo AND t.minute < d.hi
        ORDER BY t.minute
    """  # noqa: S608 - identifiers come from the model, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, underlying_id])
        return [(row[0], row[1], tuple(row[2:])) for row in cursor.fetchall()]


def recent_expiries(*, underlying_id: int, up_to: date, end: datetime, count: int) -> list[date]:
    """The ``count`` latest expiries on or before ``up_to`` with a snapshot at or before ``end``, oldest first."""
    if not _postgres():
        listed = sorted(
            ChainSnapshot.objects.filter(underlying_id=underlying_id, minute__lte=end, expiry__lte=up_to)
            .order_by()
            .values_list("expiry", flat=True)
            .distinct()
        )
        return listed[-count:]
    table = _q(ChainSnapshot._meta.db_table)
    sql = f"""
        WITH RECURSIVE e(expiry, n) AS (
            (SELECT expiry, 1 FROM {table} WHERE underlying_id = %s AND expiry <= %s AND minute <= %s
             ORDER BY expiry DESC LIMIT 1)
            UNION ALL
            SELECT (SELECT s.expiry FROM {table} s WHERE s.underlying_id = %s AND s.expiry < e.expiry
                    AND s.minute <= %s ORDER BY s.expiry DESC LIMIT 1), e.n + 1
            FROM e WHERE e.expiry IS NOT NULL AND e.n < %s
        )
        SELECT expiry FROM e WHERE expiry IS NOT NULL ORDER BY expiry
    """  # noqa: S608 - identifiers come from the model, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [underlying_id, up_to, end, underlying_id, end, count])
        return [row[0] for row in cursor.fetchall()]


def expiry_span(*, underlying_id: int, expiry: date, end: datetime) -> tuple[datetime, datetime] | None:
    """First and last minute of ``expiry``'s snapshots at or before ``end`` (two index probes)."""
    rows = ChainSnapshot.objects.filter(underlying_id=underlying_id, expiry=expiry, minute__lte=end)
    span = rows.aggregate(first=models.Min("minute"), last=models.Max("minute"))
    if span["first"] is None:
        return None
    return span["first"], span["last"]
