"""Time to expiry in years on the calendar-minute basis India VIX uses (docs/conventions.md §2.2 item 4)."""

from __future__ import annotations

from datetime import datetime

MINUTES_PER_YEAR = 525_600.0


def year_fraction_minutes(now: datetime, expiry_close: datetime) -> float:
    """Calendar minutes from now to the expiry close, divided by 525,600; negative once expired.

    Both datetimes must be timezone-aware (any zone: the difference is taken on the absolute timeline).
    Fractions of a minute are kept, so the value decays smoothly between collection runs.
    """
    for name, value in (("now", now), ("expiry_close", expiry_close)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}")
    return (expiry_close - now).total_seconds() / 60.0 / MINUTES_PER_YEAR
