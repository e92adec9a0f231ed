"""The price toggle: premium series as last price or the day's VWAP (Kite average_price), per strike offset,
with the day's time-weighted average and percentiles against the day and the last N sessions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TypedDict

from apps.analytics.metrics.series import percentile_of, time_weighted_average
from apps.analytics.selectors.resolve import (
    bucket_expiry_by_day,
    bucket_name,
    expiry_resolve,
    iso,
    minute_resolve,
    underlying_resolve,
)
from apps.core.errors import ApplicationError
from apps.market.clock import ist_day_bounds, to_ist
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote

MODES = {"last": "last_price", "average": "average_price"}


class TogglePoint(TypedDict):
    minute: str
    premium: float | None


class ToggleLeg(TypedDict):
    """One (strike offset, CE/PE) of the expiry today; percentiles 0-100, None without a current premium."""

    strike_offset: int
    option_type: str
    strike: float
    premium: float | None
    twap_day: float | None
    percentile_day: float | None
    percentile_sessions: float | None
    series: list[TogglePoint]


class PriceToggle(TypedDict):
    symbol: str
    expiry: str
    bucket: str
    mode: str
    minute: str
    sessions: int
    legs: list[ToggleLeg]


def price_toggle(
    *,
    underlying: Underlying | str,
    expiry: date | None = None,
    bucket: str | None = None,
    mode: str = "last",
    at: datetime | None = None,
    sessions: int = 20,
) -> PriceToggle:
    """Per (strike offset, CE/PE) of the expiry: today's premium series in ``mode``, its time-weighted average,
    and the current premium's percentile against today's minutes and against the last ``sessions`` sessions'
    minutes at the same offset and bucket (mid-rank percentile, 0-100)."""
    found = underlying_resolve(underlying)
    if mode not in MODES:
        raise ApplicationError(f"Unknown price mode {mode!r}; choose last or average.")
    if sessions < 0:
        raise ApplicationError(f"'sessions' must be zero or more, got {sessions}.")
    column = MODES[mode]
    minute = minute_resolve(underlying=found, at=at)
    chosen = expiry_resolve(underlying=found, minute=minute, expiry=expiry, bucket=bucket)
    wanted = bucket or bucket_name(underlying=found, minute=minute, expiry=chosen)
    today = to_ist(minute).date()
    day_start, _ = ist_day_bounds(today)

    today_rows = (
        OptionQuote.objects.filter(underlying=found, expiry=chosen, minute__gte=day_start, minute__lte=minute)
        .order_by("minute")
        .values_list("minute", "strike_offset", "option_type", "strike", column)
    )
    series: dict[tuple[int, str], list[tuple[datetime, float, float | None]]] = defaultdict(list)
    for m, offset, option_type, strike, price in today_rows:
        series[(offset, option_type)].append((m, strike, price))

    history: dict[tuple[int, str], list[float]] = defaultdict(list)
    if sessions:
        lookback = day_start - timedelta(days=int(sessions * 7 / 5) + 10)
        by_day = bucket_expiry_by_day(underlying=found, bucket=wanted, start=lookback, end=day_start)
        past_days = sorted(day for day in by_day if day < today)[-sessions:]
        if past_days:
            rows = OptionQuote.objects.filter(
                underlying=found, minute__gte=ist_day_bounds(past_days[0])[0], minute__lt=day_start
            ).values_list("minute", "expiry", "strike_offset", "option_type", column)
            wanted_days = set(past_days)
            for m, exp, offset, option_type, price in rows.iterator(chunk_size=5000):
                day = to_ist(m).date()
                if day in wanted_days and by_day[day] == exp and price is not None:
                    history[(offset, option_type)].append(price)

    legs = []
    for (offset, option_type), points in sorted(series.items()):
        prices = [p if p is not None else float("nan") for _, _, p in points]
        current = points[-1][2] if points[-1][0] == minute else None
        times = [(m - day_start).total_seconds() for m, _, _ in points]
        twap = time_weighted_average(times, prices, end=(minute - day_start).total_seconds() + 60)
        legs.append(
            ToggleLeg(
                strike_offset=offset,
                option_type=option_type,
                strike=points[-1][1],
                premium=current,
                twap_day=twap,
                percentile_day=percentile_of(current, prices) if current is not None else None,
                percentile_sessions=percentile_of(current, history[(offset, option_type)])
                if current is not None
                else None,
                series=[TogglePoint(minute=iso(m), premium=p) for m, _, p in points],
            )
        )
    return PriceToggle(
        symbol=found.symbol,
        expiry=iso(chosen),
        bucket=wanted,
        mode=mode,
        minute=iso(minute),
        sessions=sessions,
        legs=legs,
    )
