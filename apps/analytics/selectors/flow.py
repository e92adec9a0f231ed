"""OI flow through a day (strikes x minutes of one expiry, aggregated in SQL) and cumulative OI over expiries.

ΔOI is always against the previous session's close, as analytics stores it on each quote (``oi_change``: from
the archive's last minute of the previous session, or the imported bhavcopy); where neither exists it is
unknown, ``None``, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from django.db import connection

from apps.market.calendar import session_open
from apps.market.choices import OptionType
from apps.market.clock import ist_day_bounds, to_ist
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote, UnderlyingQuote

FLOW_FIELDS = ("oi", "doi_open", "doi_interval", "volume")
INTERVALS = (1, 5, 15)

Matrix = list[list[float | None]]


class Walls(TypedDict):
    call_wall: list[float | None]
    put_wall: list[float | None]


class OiFlow(TypedDict):
    symbol: str
    expiry: str
    date: str
    interval: int
    field: str
    strikes: list[float]
    minutes: list[str]
    spot: list[float | None]
    values: dict[str, Matrix]
    walls: Walls


_LAST_PER_BUCKET = """
SELECT DISTINCT ON (q.strike, q.option_type, bucket)
       q.strike, q.option_type, date_bin(%(step)s, q.minute, %(origin)s) AS bucket, q.oi, q.oi_change, q.volume
FROM {quotes} q
WHERE q.underlying_id = %(underlying)s AND q.expiry = %(expiry)s AND q.minute >= %(start)s AND q.minute < %(end)s
ORDER BY q.strike, q.option_type, bucket, q.minute DESC
"""

_SPOT_PER_BUCKET = """
SELECT DISTINCT ON (bucket) date_bin(%(step)s, u.minute, %(origin)s) AS bucket, u.spot
FROM {spots} u
WHERE u.underlying_id = %(underlying)s AND u.minute >= %(start)s AND u.minute < %(end)s
ORDER BY bucket, u.minute DESC
"""


def oi_flow(*, underlying: Underlying, expiry: date, day: date, interval: int, field: str) -> OiFlow:
    """Per strike and interval (labelled by its first minute, from the session open): ``oi`` at the interval's
    last archived minute; ``doi_open`` its ΔOI against the previous session's close; ``doi_interval`` the OI
    change over the interval; ``volume`` the units traded in it. The first interval of a change counts from the
    previous close (OI) or zero (the day's volume) only when it starts at the session open; else it is None."""
    start, end = ist_day_bounds(day)
    origin = session_open(day, underlying.exchange)
    args: dict[str, Any] = {
        "step": timedelta(minutes=interval),
        "origin": origin,
        "underlying": underlying.pk,
        "expiry": expiry,
        "start": start,
        "end": end,
    }
    with connection.cursor() as cursor:
        cursor.execute(_LAST_PER_BUCKET.format(quotes=OptionQuote._meta.db_table), args)
        rows = cursor.fetchall()
        cursor.execute(_SPOT_PER_BUCKET.format(spots=UnderlyingQuote._meta.db_table), args)
        spots = dict(cursor.fetchall())
    strikes = sorted({row[0] for row in rows})
    buckets = sorted({row[2] for row in rows})
    strike_at = {k: i for i, k in enumerate(strikes)}
    bucket_at = {b: j for j, b in enumerate(buckets)}
    shape = (len(strikes), len(buckets))
    raw: dict[str, dict[str, Matrix]] = {
        side: {name: _empty(shape) for name in ("oi", "oi_change", "volume")} for side in (OptionType.CE, OptionType.PE)
    }
    for strike, option_type, bucket, oi, oi_change, volume in rows:
        i, j = strike_at[strike], bucket_at[bucket]
        cells = raw[option_type]
        cells["oi"][i][j], cells["oi_change"][i][j], cells["volume"][i][j] = oi, oi_change, volume
    opens = bool(buckets) and buckets[0] == origin
    values = {side: _field(raw[side], field, opens_at_open=opens) for side in (OptionType.CE, OptionType.PE)}
    return OiFlow(
        symbol=underlying.symbol,
        expiry=expiry.isoformat(),
        date=day.isoformat(),
        interval=interval,
        field=field,
        strikes=strikes,
        minutes=[to_ist(b).isoformat() for b in buckets],
        spot=[spots.get(b) for b in buckets],
        values={str(side): matrix for side, matrix in values.items()},
        walls=Walls(
            call_wall=_walls(strikes, raw[OptionType.CE]["oi"], len(buckets)),
            put_wall=_walls(strikes, raw[OptionType.PE]["oi"], len(buckets)),
        ),
    )


def _empty(shape: tuple[int, int]) -> Matrix:
    return [[None] * shape[1] for _ in range(shape[0])]


def _field(cells: dict[str, Matrix], field: str, *, opens_at_open: bool) -> Matrix:
    if field == "oi":
        return cells["oi"]
    if field == "doi_open":
        return cells["oi_change"]
    level, first = (cells["oi"], cells["oi_change"]) if field == "doi_interval" else (cells["volume"], cells["volume"])
    out: Matrix = []
    for i, row in enumerate(level):
        changes: list[float | None] = [first[i][0] if opens_at_open else None]
        for j in range(1, len(row)):
            now, before = row[j], row[j - 1]
            changes.append(None if now is None or before is None else now - before)
        out.append(changes if row else [])
    return out


def _walls(strikes: list[float], oi: Matrix, width: int) -> list[float | None]:
    """The strike with the largest OI at each interval (None where no strike has an OI)."""
    out: list[float | None] = []
    for j in range(width):
        best: tuple[float, float] | None = None
        for i, strike in enumerate(strikes):
            value = oi[i][j]
            if value is not None and (best is None or value > best[0]):
                best = (value, strike)
        out.append(None if best is None else best[1])
    return out


class CumulativeSide(TypedDict):
    oi: list[float | None]
    oi_change: list[float | None]


class CumulativeOi(TypedDict):
    symbol: str
    minute: str
    expiries: list[str]
    strikes: list[float]
    CE: CumulativeSide
    PE: CumulativeSide


def oi_cumulative(*, underlying: Underlying, expiries: Sequence[date], minute: datetime) -> CumulativeOi:
    """OI and ΔOI by strike summed over ``expiries`` at ``minute``, each expiry at its latest archived minute at
    or before it (within that day). A strike's ΔOI is None when any expiry listing it has an unknown ΔOI."""
    day_start, _ = ist_day_bounds(to_ist(minute).date())
    sums: dict[tuple[float, str], list[float | None]] = {}
    for expiry in expiries:
        latest = (
            OptionQuote.objects.filter(underlying=underlying, expiry=expiry, minute__lte=minute, minute__gte=day_start)
            .order_by("-minute")
            .values_list("minute", flat=True)
            .first()
        )
        if latest is None:
            continue
        rows = OptionQuote.objects.filter(underlying=underlying, expiry=expiry, minute=latest).values_list(
            "strike", "option_type", "oi", "oi_change"
        )
        for strike, option_type, oi, oi_change in rows:
            total = sums.setdefault((strike, option_type), [0.0, 0.0])
            total[0] = None if total[0] is None or oi is None else total[0] + oi
            total[1] = None if total[1] is None or oi_change is None else total[1] + oi_change
    strikes = sorted({strike for strike, _ in sums})
    sides = {
        side: CumulativeSide(
            oi=[sums.get((k, side), [None, None])[0] for k in strikes],
            oi_change=[sums.get((k, side), [None, None])[1] for k in strikes],
        )
        for side in (OptionType.CE, OptionType.PE)
    }
    return CumulativeOi(
        symbol=underlying.symbol,
        minute=to_ist(minute).isoformat(),
        expiries=[e.isoformat() for e in expiries],
        strikes=strikes,
        CE=sides[OptionType.CE],
        PE=sides[OptionType.PE],
    )
