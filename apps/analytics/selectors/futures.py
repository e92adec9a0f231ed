"""Futures through a day: each listed future's price, open interest, basis and annualised carry against spot, the
near-next calendar spread, and rollover % (the share of the futures' open interest beyond the near expiry)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TypedDict

from apps.core.errors import NotFoundError
from apps.market.calendar import years_to_expiry
from apps.market.clock import ist_day_bounds, to_ist
from apps.market.models import Underlying
from apps.marketdata.models import UnderlyingQuote

ROLLOVER_RULE = (
    "Rollover % = open interest of the futures beyond the near expiry / open interest of all the futures quoted, "
    "x 100, each minute."
)
ROLLOVER_UNAVAILABLE = (
    "Rollover % needs the futures' open interest, which the archive does not hold for this day (minutes stored "
    "before it was kept, or no future quoted)."
)


class FutureSeries(TypedDict):
    expiry: str
    price: list[float | None]
    oi: list[int | None]
    basis: list[float | None]
    carry: list[float | None]


class CalendarSpread(TypedDict):
    near: str | None
    next: str | None
    values: list[float | None]


class Rollover(TypedDict):
    available: bool
    reason: str
    expiry_week: bool
    near: str | None
    values: list[float | None]


class FuturesDay(TypedDict):
    symbol: str
    date: str
    minutes: list[str]
    spot: list[float]
    futures: list[FutureSeries]
    calendar_spread: CalendarSpread
    rollover: Rollover


def futures_day(*, underlying: Underlying, day: date) -> FuturesDay:
    """Per archived minute of ``day``: spot and every future quoted (basis F - S in index points; carry
    ln(F/S)/t annualised, decimal, t to the future's expiry close); the spread next - near of the two nearest
    futures listed that day. None where a future was not quoted that minute."""
    start, end = ist_day_bounds(day)
    rows = list(
        UnderlyingQuote.objects.filter(underlying=underlying, minute__gte=start, minute__lt=end)
        .order_by("minute")
        .values_list("minute", "spot", "futures", "future", "future_expiry", "futures_oi")
    )
    if not rows:
        raise NotFoundError(f"No {underlying.symbol} spot quotes are archived on {day.isoformat()}.")
    quoted: list[dict[date, float]] = []
    open_interest: list[dict[date, int] | None] = []  # None: not kept that minute
    for _, _, futures, future, future_expiry, futures_oi in rows:
        prices = {date.fromisoformat(e): float(p) for e, p in (futures or {}).items() if p}
        if future and future_expiry:
            prices.setdefault(future_expiry, float(future))
        quoted.append(prices)
        open_interest.append(
            None if futures_oi is None else {date.fromisoformat(e): int(o) for e, o in futures_oi.items()}
        )
    expiries = sorted({e for prices in quoted for e in prices if e >= day})
    series = []
    for expiry in expiries:
        price, oi, basis, carry = [], [], [], []
        for (minute, spot, *_), prices, ois in zip(rows, quoted, open_interest, strict=True):
            value = prices.get(expiry)
            t = years_to_expiry(minute, expiry, underlying.exchange)
            price.append(value)
            oi.append(None if ois is None else ois.get(expiry))
            basis.append(None if value is None else round(value - spot, 4))
            carry.append(None if value is None or t <= 0 else round(math.log(value / spot) / t, 6))
        series.append(FutureSeries(expiry=expiry.isoformat(), price=price, oi=oi, basis=basis, carry=carry))
    near = expiries[0] if expiries else None
    nxt = expiries[1] if len(expiries) > 1 else None
    spread: list[float | None] = []
    for prices in quoted:
        a = prices.get(near) if near else None
        b = prices.get(nxt) if nxt else None
        spread.append(None if a is None or b is None else round(b - a, 4))
    rollover = [_rollover(ois, near) for ois in open_interest]
    return FuturesDay(
        symbol=underlying.symbol,
        date=day.isoformat(),
        minutes=[to_ist(r[0]).isoformat() for r in rows],
        spot=[r[1] for r in rows],
        futures=series,
        calendar_spread=CalendarSpread(
            near=near.isoformat() if near else None, next=nxt.isoformat() if nxt else None, values=spread
        ),
        rollover=Rollover(
            available=any(value is not None for value in rollover),
            reason=ROLLOVER_RULE if any(value is not None for value in rollover) else ROLLOVER_UNAVAILABLE,
            expiry_week=near is not None and day <= near < day + timedelta(days=7 - day.weekday()),
            near=near.isoformat() if near else None,
            values=rollover,
        ),
    )


def _rollover(open_interest: dict[date, int] | None, near: date | None) -> float | None:
    """Percent of the futures' open interest beyond ``near``; None where it was not kept, the near future's is
    missing, or there is none."""
    if open_interest is None or near is None or near not in open_interest:
        return None
    total = sum(oi for expiry, oi in open_interest.items() if expiry >= near)
    if total <= 0:
        return None
    return round(100 * (total - open_interest[near]) / total, 4)
