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

from apps.analytics.models import CLOSE_FIELDS, ChainDailyClose, ChainSnapshot, UnderlyingDailyClose
from apps.market.clock import ist_day_bounds, to_ist

_MICROSECOND = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_BRANCHES = 31
"""Up to this many windows, ``window_rows`` is one UNION ALL branch per window (constant bounds each)."""


@dataclass(frozen=True)
class DayWindow:
    """One IST session day clipped to the range asked for: minutes in [lo, hi)."""

    day: date
    lo: datetime
    hi: datetime
    expiry: date | None = None
    whole: bool = False
    """The window is its whole IST day (so the day's rollup rows answer it)."""


def day_windows(start: datetime, end: datetime) -> list[DayWindow]:
    """Every IST calendar day meeting [start, end] (both included), clipped to it, oldest first."""
    out = []
    # In the days' own zone, so the comparisons below are plain field comparisons (aware datetimes of different
    # zones compare through utcoffset(): ~3 ms for a year's windows).
    start, end = to_ist(start), to_ist(end)
    day, last = start.date(), end.date()
    stop = end + _MICROSECOND
    lo = ist_day_bounds(day)[0]
    while day <= last:
        hi = lo + _DAY  # IST has no daylight saving: every day is 24 hours
        out.append(
            DayWindow(day=day, lo=max(lo, start), hi=min(hi, stop), expiry=None, whole=start <= lo and hi <= stop)
        )
        day, lo = day + _DAY, hi
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


def _bounds(windows: Sequence[DayWindow]) -> tuple[datetime, datetime]:
    """The constant [lo, hi) covering every window: with it in a statement the planner prunes the day partitions
    outside the range at plan time (bounds read from ``unnest`` only prune at run time, after every partition was
    planned: ~40 ms a statement over a year's 250 partitions)."""
    return min(w.lo for w in windows), max(w.hi for w in windows)


def _column(model: type[models.Model], name: str) -> str:
    column = model._meta.get_field(name).column  # type: ignore[union-attr]
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{name} is not a stored column.")
    return _q(column)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [tuple(row) for row in cursor.fetchall()]


_UNDERLYING_CLOSE_MINUTE = {
    # (model, the field whose last non-null value is the close) -> (its minute column, the fields kept beside it)
    ("marketdata.underlyingquote", "vix"): ("vix_minute", ("spot", "vix")),
    ("analytics.volatilitysnapshot", "cm30_iv"): ("cm30_minute", ("cm30_iv",)),
    ("analytics.volatilitysnapshot", "our_vix"): ("our_vix_minute", ("our_vix",)),
}


def _rollup_statement(
    model: type[models.Model], underlying_id: int, windows: Sequence[DayWindow], fields: Sequence[str],
    not_null: str | None, by_expiry: bool,
) -> tuple[str, list[Any], bool] | None:  # fmt: skip
    """The rollup read behind ``daily_last``: rows (day, expiry or NULL, first minute, close minute, values of
    ``fields``) and whether the first minute is the day's first row (chain; NULL on a whole day, which does not
    need it) or, NULL, the close itself (a last non-null value: the minute is read once); None when no rollup
    keeps that close."""
    days = [w.day for w in windows]
    if model is ChainSnapshot and by_expiry and not_null is None and set(fields) <= {"expiry", *CLOSE_FIELDS}:
        columns = ", ".join(f"c.{_q(f)}" for f in fields)
        # A whole day's first minute is not needed (the rollup answers it whatever it is): only the days a range
        # cuts carry it, so a year's answer parses one timestamp a day, not two.
        sql = f"""
            SELECT c.day, c.expiry, CASE WHEN c.day = ANY(%s::date[]) THEN c.first_minute END, c.last_minute, {columns}
            FROM unnest(%s::date[], %s::date[]) AS d(day, expiry)
            JOIN {_q(ChainDailyClose._meta.db_table)} c
              ON c.underlying_id = %s AND c.day = d.day AND c.expiry = d.expiry
        """  # noqa: S608 - identifiers come from the model, values are parameters
        cut = [w.day for w in windows if not w.whole]
        return sql, [cut, days, [w.expiry for w in windows], underlying_id], True
    kept = _UNDERLYING_CLOSE_MINUTE.get((model._meta.label_lower, not_null or ""))
    if kept is None or by_expiry or not set(fields) <= set(kept[1]):
        return None
    minute = _q(kept[0])
    columns = ", ".join(f"c.{_q(f)}" for f in fields)
    sql = f"""
        SELECT c.day, NULL, NULL, c.{minute}, {columns} FROM {_q(UnderlyingDailyClose._meta.db_table)} c
        WHERE c.underlying_id = %s AND c.day = ANY(%s::date[]) AND c.{minute} IS NOT NULL
    """  # noqa: S608 - identifiers come from the model, values are parameters
    return sql, [underlying_id, days], False


def _from_rollup(w: DayWindow, first: datetime, close: datetime, *, spans: bool) -> bool | None:
    """Whether the day's rollup row answers window ``w``: True (its close is the window's), False (the window
    holds no row), None (only the minute table can say: the window cuts the day's rows)."""
    if w.whole or (w.lo <= first and close < w.hi):
        return True
    if close < w.lo or (spans and first >= w.hi):
        return False
    return None


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
    # From the rollup (one row per day and expiry: its first and last minute, docs/history.md): a whole day, or a
    # cut one whose rows the rollup shows in or out of the window; a window inside a day's rows, from that day's
    # partition, with constant bounds so the planner keeps only that partition.
    # ``windows`` is every calendar day from the first to the last, so a day range selects them; only the days the
    # range cuts (its first and last, at most) carry their minutes, so a year of whole days parses no timestamp.
    cut = [w.day for w in windows if not w.whole]
    sql = f"""
        SELECT day, expiry, CASE WHEN day = ANY(%s::date[]) THEN first_minute END,
               CASE WHEN day = ANY(%s::date[]) THEN last_minute END
        FROM {_q(ChainDailyClose._meta.db_table)} WHERE underlying_id = %s AND day >= %s AND day <= %s
    """  # noqa: S608 - identifiers come from the model, values are parameters
    kept = _fetch(sql, [cut, cut, underlying_id, windows[0].day, windows[-1].day])
    by_day: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
    for row in kept:
        by_day[row[0]].append(row)
    pairs: list[tuple[date, date]] = []
    table = _q(ChainSnapshot._meta.db_table)
    for w in windows:
        unsure = False
        for _, expiry, first, last in by_day.get(w.day, []):
            if w.whole or w.lo <= first < w.hi or w.lo <= last < w.hi:
                pairs.append((w.day, expiry))
            elif first < w.lo and last >= w.hi:
                unsure = True
        if unsure:
            pairs = [p for p in pairs if p[0] != w.day]
            pairs += [(w.day, expiry) for (expiry,) in _fetch(
                f"SELECT DISTINCT expiry FROM {table} WHERE underlying_id = %s AND minute >= %s AND minute < %s",  # noqa: S608
                [underlying_id, w.lo, w.hi],
            )]  # fmt: skip
    found: dict[date, list[date]] = defaultdict(list)
    for day, expiry in sorted(pairs):
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
    found: list[tuple[Any, ...]] = []
    rest = list(windows)
    rollup = _rollup_statement(model, underlying_id, windows, fields, not_null, by_expiry)
    if rollup is not None:
        sql, params, spans = rollup
        closes = {(row[0], row[1]): row for row in _fetch(sql, params)}
        rest = []
        for w in windows:
            row = closes.get((w.day, w.expiry if by_expiry else None))
            if row is None:
                continue  # no row that day (of that expiry, with that value)
            use = _from_rollup(w, row[2] if spans else row[3], row[3], spans=spans)
            if use:
                found.append((w.day, row[3], *row[4:]))
            elif use is None:
                rest.append(w)
    if rest:
        found += _daily_last_live(model, underlying_id, rest, fields, not_null, by_expiry)
    found.sort(key=lambda row: row[0])
    return [(row[0], row[1], tuple(row[2:])) for row in found]


def _daily_last_live(
    model: type[models.Model], underlying_id: int, windows: Sequence[DayWindow], fields: Sequence[str],
    not_null: str | None, by_expiry: bool,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """``daily_last`` from the minute table itself: one backward index probe per window."""
    table = _q(model._meta.db_table)
    columns = ", ".join(f"t.{_column(model, f)}" for f in fields)
    extra = " AND t.expiry = %s" if by_expiry else ""
    if not_null is not None:
        extra += f" AND t.{_column(model, not_null)} IS NOT NULL"
    if len(windows) <= _BRANCHES:
        # One branch per window with its own constant bounds: each plans only its day's partition.
        # Identifiers come from the model, values are parameters.
        branch = f"SELECT %s::date, t.minute, {columns} FROM {table} t WHERE t.underlying_id = %s AND t.minute >= %s AND t.minute < %s{extra} ORDER BY t.minute DESC LIMIT 1"  # noqa: E501, S608
        values: list[Any] = []
        for w in windows:
            values += [w.day, underlying_id, w.lo, w.hi] + ([w.expiry] if by_expiry else [])
        return _fetch(" UNION ALL ".join(f"({branch})" for _ in windows), values)
    days, params = _unnest(windows, with_expiry=by_expiry)
    extra = extra.replace("t.expiry = %s", "t.expiry = d.expiry")
    sql = f"""
        SELECT d.day, x.*
        FROM {days}
        CROSS JOIN LATERAL (
            SELECT t.minute, {columns} FROM {table} t
            WHERE t.underlying_id = %s AND t.minute >= %s AND t.minute < %s
              AND t.minute >= d.lo AND t.minute < d.hi{extra}
            ORDER BY t.minute DESC LIMIT 1
        ) x
    """  # noqa: S608 - identifiers come from the model, values are parameters
    return _fetch(sql, [*params, underlying_id, *_bounds(windows)])


def window_clock_rows(
    *, underlying_id: int, windows: Sequence[DayWindow], fields: Sequence[str]
) -> list[tuple[date, str, tuple[Any, ...]]]:
    """``window_rows`` with each minute as its IST wall-clock "HH:MM" (made by PostgreSQL: an overlay's few
    thousand rows then cost no timestamp parsing in Python), in (day, clock) order."""
    if not windows:
        return []
    if not _postgres():
        rows = window_rows(underlying_id=underlying_id, windows=windows, fields=fields)
        return sorted(((day, to_ist(minute).strftime("%H:%M"), values) for day, minute, values in rows), key=_first2)
    table = _q(ChainSnapshot._meta.db_table)
    columns = ", ".join(f"t.{_column(ChainSnapshot, f)}" for f in fields)
    clock = "to_char(t.minute AT TIME ZONE 'Asia/Kolkata', 'HH24:MI')"
    # One branch per window with its own constant bounds: each plans only its day's partition.
    branch = f"SELECT %s::date, {clock}, {columns} FROM {table} t WHERE t.underlying_id = %s AND t.expiry = %s AND t.minute >= %s AND t.minute < %s"  # noqa: E501, S608
    values = [v for w in windows for v in (w.day, underlying_id, w.expiry, w.lo, w.hi)]
    found = _fetch(" UNION ALL ".join(f"({branch})" for _ in windows) + " ORDER BY 1, 2", values)
    return [(row[0], row[1], tuple(row[2:])) for row in found]


def _first2(row: tuple[Any, ...]) -> tuple[Any, Any]:
    return row[0], row[1]


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
    if len(windows) <= _BRANCHES:
        # A few windows (one session, an overlay's sessions): one branch each with its own constant bounds, so
        # each plans only its day's partition.
        branch = f"SELECT %s::date, t.minute, {columns} FROM {table} t WHERE t.underlying_id = %s AND t.expiry = %s AND t.minute >= %s AND t.minute < %s"  # noqa: E501, S608
        sql = " UNION ALL ".join(f"({branch})" for _ in windows) + " ORDER BY 2"
        values = [v for w in windows for v in (w.day, underlying_id, w.expiry, w.lo, w.hi)]
    else:
        sql = f"""
            SELECT d.day, t.minute, {columns}
            FROM {days}
            JOIN {table} t ON t.underlying_id = %s AND t.expiry = d.expiry AND t.minute >= d.lo AND t.minute < d.hi
                AND t.minute >= %s AND t.minute < %s
            ORDER BY t.minute
        """  # noqa: S608 - identifiers come from the model, values are parameters
        values = [*params, underlying_id, *_bounds(windows)]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
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
    # An expiry has a snapshot at or before ``end`` exactly when one of its days' rollup rows starts by then.
    sql = f"""
        SELECT expiry FROM {_q(ChainDailyClose._meta.db_table)}
        WHERE underlying_id = %s AND expiry <= %s AND first_minute <= %s
        GROUP BY expiry ORDER BY expiry DESC LIMIT %s
    """  # noqa: S608 - identifiers come from the model, values are parameters
    return sorted(expiry for (expiry,) in _fetch(sql, [underlying_id, up_to, end, count]))


def expiry_spans(
    *, underlying_id: int, expiries: Sequence[date], end: datetime
) -> dict[date, tuple[datetime, datetime]]:
    """Per expiry, the first and last minute of its snapshots at or before ``end`` (expiries without one left
    out); on PostgreSQL from their days' rollup rows in one read, and a probe into the day of ``end`` for an
    expiry whose rows that day go past it."""
    if not _postgres():
        spans = {e: expiry_span(underlying_id=underlying_id, expiry=e, end=end) for e in expiries}
        return {e: span for e, span in spans.items() if span is not None}
    rows = _fetch(
        f"SELECT expiry, day, first_minute, last_minute FROM {_q(ChainDailyClose._meta.db_table)} "  # noqa: S608
        "WHERE underlying_id = %s AND expiry = ANY(%s::date[]) AND first_minute <= %s",
        [underlying_id, list(expiries), end],
    )
    firsts: dict[date, datetime] = {}
    lasts: dict[date, list[datetime]] = defaultdict(list)
    for expiry, day, first, last in rows:
        firsts[expiry] = min(first, firsts.get(expiry, first))
        if last <= end:
            lasts[expiry].append(last)
        else:  # the day of ``end``, cut by it
            cut = ChainSnapshot.objects.filter(
                underlying_id=underlying_id, expiry=expiry, minute__gte=ist_day_bounds(day)[0], minute__lte=end
            ).aggregate(last=models.Max("minute"))
            lasts[expiry].append(cut["last"])
    return {e: (firsts[e], max(lasts[e])) for e in expiries if e in firsts}


def expiry_span(*, underlying_id: int, expiry: date, end: datetime) -> tuple[datetime, datetime] | None:
    """First and last minute of ``expiry``'s snapshots at or before ``end``."""
    if _postgres():
        return expiry_spans(underlying_id=underlying_id, expiries=[expiry], end=end).get(expiry)
    rows = ChainSnapshot.objects.filter(underlying_id=underlying_id, expiry=expiry, minute__lte=end)
    span = rows.aggregate(first=models.Min("minute"), last=models.Max("minute"))
    if span["first"] is None:
        return None
    return span["first"], span["last"]


def latest_minute(
    *, model: type[models.Model], underlying_id: int, at: datetime | None = None, not_null: str | None = None
) -> datetime | None:
    """The last minute of ``model``'s rows (chain snapshots, or rows whose ``not_null`` is set among the kept
    closes) at or before ``at`` (default: the last); on PostgreSQL from the rollups and, when ``at`` cuts a day,
    a probe into that day's partition."""
    rows = model._default_manager.filter(underlying_id=underlying_id)
    if not_null is not None:
        rows = rows.filter(**{f"{not_null}__isnull": False})
    rollup, minute = "", ""
    if model is ChainSnapshot and not_null is None:
        rollup, minute = ChainDailyClose._meta.db_table, "last_minute"
    elif (kept := _UNDERLYING_CLOSE_MINUTE.get((model._meta.label_lower, not_null or ""))) is not None:
        rollup, minute = UnderlyingDailyClose._meta.db_table, kept[0]
    if not _postgres() or not rollup:
        if at is not None:
            rows = rows.filter(minute__lte=at)
        return rows.order_by("-minute").values_list("minute", flat=True).first()
    table, minute = _q(rollup), _q(minute)
    if at is None:
        found = _fetch(f"SELECT max({minute}) FROM {table} WHERE underlying_id = %s", [underlying_id])  # noqa: S608
        return found[0][0]
    # The last day ending by ``at``; the day ``at`` falls in, if it started by then, is probed itself.
    done = _fetch(
        f"SELECT max({minute}) FROM {table} WHERE underlying_id = %s AND {minute} <= %s",  # noqa: S608
        [underlying_id, at],
    )[0][0]
    day = to_ist(at).date()
    lo = ist_day_bounds(day)[0]
    cut = rows.filter(minute__gte=lo, minute__lte=at).order_by("-minute").values_list("minute", flat=True).first()
    candidates = [m for m in (done, cut) if m is not None]
    return max(candidates) if candidates else None
