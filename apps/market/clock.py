"""India Standard Time at the edges: the one IST zone, conversions, IST day bounds and IST text.

The archive stores aware UTC; pages, API replies and parsed input use IST. IST is a fixed +05:30 (no
daylight saving since 1945), so it is a fixed offset here rather than the tz database's Asia/Kolkata,
which answers dates before 1942 in local mean time (+05:53:28), an offset no client can parse.
Pure Python, no Django.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

IST = timezone(timedelta(hours=5, minutes=30), "IST")
_EPOCH_JUNK = datetime(1971, 1, 1)


def to_ist(value: datetime) -> datetime:
    """``value`` (aware) in India Standard Time."""
    if value.tzinfo is None:
        raise ValueError(f"Expected an aware datetime, got naive {value.isoformat()}.")
    return value.astimezone(IST)


def ist_at(day: date, clock: time) -> datetime:
    """``day`` at IST wall-clock ``clock``, as aware UTC."""
    return datetime.combine(day, clock, tzinfo=IST).astimezone(UTC)


def ist_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The aware start (included) and end (excluded) of an IST calendar day."""
    start = datetime.combine(day, time.min, tzinfo=IST)
    return start, start + timedelta(days=1)


def ist_naive_to_utc(value: object) -> datetime | None:
    """Kite's naive IST timestamps as aware UTC; values at or before 1970 are Kite's "none"."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        if value <= _EPOCH_JUNK:
            return None
        value = value.replace(tzinfo=IST)
    return value.astimezone(UTC)


def ist_label(moment: datetime) -> str:
    """``2026-01-19 10:15 IST``: how messages name a minute."""
    return to_ist(moment).strftime("%Y-%m-%d %H:%M IST")


EARLIEST_DAY = date(2000, 1, 1)
"""The first day any input may name: NSE's index options began in June 2001, and nothing this platform
stores or computes lies before it (far-past values are refused rather than answered in odd offsets)."""
LATEST_DAY = date(2099, 12, 31)
"""The last day any input may name: far beyond every listed expiry, well short of where date arithmetic
(a day's end, a 30-day window) overflows."""


def day_out_of_range(day: date) -> str | None:
    """Why ``day`` lies outside the dates the platform accepts, or None when it is within them."""
    if day < EARLIEST_DAY:
        return f"is before {EARLIEST_DAY.isoformat()}, the earliest date accepted"
    if day > LATEST_DAY:
        return f"is after {LATEST_DAY.isoformat()}, the latest date accepted"
    return None
