"""The exchange trading calendar: trading days, session times, expiry close and the market's state now.

Pure Python (no database): rules come from ``apps.market.rules``. Every datetime returned is aware UTC;
``to_ist`` converts at the edges. Trading days are Monday to Friday minus the exchange's holidays, plus
the odd weekend special session (Budget day). Years outside the data files' ``covered_years`` have no
holidays listed, so their weekdays count as trading days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from apps.market import rules
from apps.market.clock import ist_at, to_ist
from pricing.year_fraction import year_fraction_minutes

ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)
MAX_SEARCH_DAYS = 30
"""No exchange closes for more than a few days in a row; a longer search means broken data."""

MarketState = Literal["open", "pre_open", "closed"]


def is_trading_day(d: date, exchange: str = "NSE") -> bool:
    if rules.special_session(d, exchange) is not None:
        return True
    if d.weekday() >= 5:
        return False
    return rules.holiday_name(d, exchange) is None


def non_trading_reason(d: date, exchange: str = "NSE") -> str | None:
    """Why ``d`` is not a trading day (``"holiday: Diwali"``, ``"weekend"``), or None if it is one."""
    if is_trading_day(d, exchange):
        return None
    name = rules.holiday_name(d, exchange)
    if name:
        return f"holiday: {name}"
    return "weekend"


def session_open(d: date, exchange: str = "NSE") -> datetime:
    """When the normal market opens on ``d`` (the nominal time, even if ``d`` is not a trading day)."""
    special = rules.special_session(d, exchange)
    return ist_at(d, special.open if special else rules.session_rule(d).open)


def session_close(d: date, exchange: str = "NSE") -> datetime:
    """When the normal market closes on ``d``: 15:30 IST, 15:40 IST from 2026-08-03 (dated rule)."""
    special = rules.special_session(d, exchange)
    return ist_at(d, special.close if special else rules.session_rule(d).close)


def pre_open_start(d: date, exchange: str = "NSE") -> datetime:
    return ist_at(d, rules.session_rule(d).pre_open)


def expiry_close(expiry: date, exchange: str = "NSE") -> datetime:
    """Contracts expire at the normal market close of their expiry day."""
    return session_close(expiry, exchange)


def years_to_expiry(moment: datetime, expiry: date, exchange: str = "NSE") -> float:
    """Time from ``moment`` to the expiry close in years on India VIX's calendar-minute basis
    (``pricing.year_fraction``); negative once expired. The one year fraction of the platform."""
    return year_fraction_minutes(moment, expiry_close(expiry, exchange))


def previous_trading_day(d: date, exchange: str = "NSE") -> date:
    """The last trading day strictly before ``d``."""
    day = d - ONE_DAY
    for _ in range(MAX_SEARCH_DAYS):
        if is_trading_day(day, exchange):
            return day
        day -= ONE_DAY
    raise ValueError(f"No trading day in the {MAX_SEARCH_DAYS} days before {d.isoformat()}; check the holiday data.")


def next_trading_day(d: date, exchange: str = "NSE") -> date:
    """The first trading day strictly after ``d``."""
    day = d + ONE_DAY
    for _ in range(MAX_SEARCH_DAYS):
        if is_trading_day(day, exchange):
            return day
        day += ONE_DAY
    raise ValueError(f"No trading day in the {MAX_SEARCH_DAYS} days after {d.isoformat()}; check the holiday data.")


def trading_day_on_or_before(d: date, exchange: str = "NSE") -> date:
    return d if is_trading_day(d, exchange) else previous_trading_day(d, exchange)


def session_minutes(d: date, exchange: str = "NSE") -> list[datetime]:
    """Aware-UTC starts of every market minute of ``d``: from the open (included) to the close (excluded)."""
    if not is_trading_day(d, exchange):
        return []
    start, end = session_open(d, exchange), session_close(d, exchange)
    count = int((end - start) / ONE_MINUTE)
    return [start + i * ONE_MINUTE for i in range(count)]


@dataclass(frozen=True)
class MarketStatus:
    state: MarketState
    is_open: bool
    trading_day: bool
    session_open: datetime | None
    session_close: datetime | None
    next_open: datetime
    reason: str


def market_status(now: datetime, exchange: str = "NSE") -> MarketStatus:
    """The state of the normal market at ``now`` (aware). ``session_open``/``session_close`` are today's
    times on a trading day, else None; ``next_open`` is the next open strictly after ``now``."""
    if now.tzinfo is None:
        raise ValueError(f"Expected an aware datetime, got naive {now.isoformat()}.")
    today = to_ist(now).date()
    if not is_trading_day(today, exchange):
        next_day = next_trading_day(today, exchange)
        return MarketStatus(
            state="closed",
            is_open=False,
            trading_day=False,
            session_open=None,
            session_close=None,
            next_open=session_open(next_day, exchange),
            reason=non_trading_reason(today, exchange) or "closed",
        )
    opens, closes = session_open(today, exchange), session_close(today, exchange)
    next_open = session_open(next_trading_day(today, exchange), exchange)
    if now < opens:
        in_pre_open = now >= pre_open_start(today, exchange)
        return MarketStatus(
            state="pre_open" if in_pre_open else "closed",
            is_open=False,
            trading_day=True,
            session_open=opens,
            session_close=closes,
            next_open=opens,
            reason="pre-open session" if in_pre_open else "before pre-open",
        )
    if now < closes:
        special = rules.special_session(today, exchange)
        return MarketStatus(
            state="open",
            is_open=True,
            trading_day=True,
            session_open=opens,
            session_close=closes,
            next_open=next_open,
            reason=f"special session: {special.name}" if special else "normal market",
        )
    return MarketStatus(
        state="closed",
        is_open=False,
        trading_day=True,
        session_open=opens,
        session_close=closes,
        next_open=next_open,
        reason="after close",
    )
