"""The listed-expiry ladder of an underlying, from the dated expiry-weekday rules and the holiday calendar.

Rule (docs/conventions.md §1.3): weeklies expire every rule weekday, monthlies on the last rule weekday of the month;
an expiry that falls on a non-trading day moves to the previous trading day. The last weekly of a month
*is* the monthly. The instruments dump remains the source of truth; this ladder is what the simulated
market lists and what tests check the rules with. Pure Python, no Django.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import date, timedelta

from apps.market import rules
from apps.market.calendar import is_trading_day, previous_trading_day

MAX_MONTHS = 240


def _shift_back_over_holidays(day: date, exchange: str) -> date:
    return day if is_trading_day(day, exchange) else previous_trading_day(day, exchange)


def _last_weekday_of_month(year: int, month: int, weekday: int) -> date:
    last = date(year, month, stdlib_calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _month_starts(from_date: date) -> list[date]:
    months = []
    year, month = from_date.year, from_date.month
    for _ in range(MAX_MONTHS):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly_expiry(symbol: str, year: int, month: int) -> date:
    """The monthly expiry of ``symbol`` in ``year``-``month`` after the holiday shift."""
    spec = rules.underlying_spec(symbol)
    rule = rules.expiry_rule(symbol, date(year, month, 1))
    nominal = _last_weekday_of_month(year, month, rule.monthly)
    return _shift_back_over_holidays(nominal, spec.options_exchange)


def monthly_expiries(symbol: str, from_date: date, count: int) -> list[date]:
    """The next ``count`` monthly expiries on or after ``from_date``."""
    found: list[date] = []
    for start in _month_starts(from_date):
        if len(found) >= count:
            break
        expiry = monthly_expiry(symbol, start.year, start.month)
        if expiry >= from_date:
            found.append(expiry)
    return found


def weekly_expiries(symbol: str, from_date: date, count: int) -> list[date]:
    """The next ``count`` weekly expiries on or after ``from_date`` that are not monthlies."""
    spec = rules.underlying_spec(symbol)
    found: list[date] = []
    nominal = from_date
    # Start a week early: a weekly due on a holiday right after from_date may move before it.
    nominal -= timedelta(days=7)
    horizon = from_date + timedelta(days=7 * (count + 6) + 62)
    while len(found) < count and nominal <= horizon:
        rule = rules.expiry_rule(symbol, nominal)
        if rule.weekly is not None and nominal.weekday() == rule.weekly:
            expiry = _shift_back_over_holidays(nominal, spec.options_exchange)
            if expiry >= from_date and not is_monthly_expiry(symbol, expiry) and expiry not in found:
                found.append(expiry)
        nominal += timedelta(days=1)
    return found


def expiry_schedule(underlying_symbol: str, from_date: date, count_weekly: int, count_monthly: int) -> list[date]:
    """The sorted listed expiries on or after ``from_date``: ``count_weekly`` weeklies that are not monthlies
    (only on dates whose rule lists weeklies) plus ``count_monthly`` monthlies.

    E.g. NIFTY from 2026-03-27 with 4 + 3: 03-30 (monthly, moved from the 31st), 04-07, 04-13 (moved from
    the 14th), 04-21, 04-28 (monthly), 05-05, 05-26 (monthly).
    """
    if count_weekly < 0 or count_monthly < 0:
        raise ValueError(f"Expiry counts must be non-negative, got {count_weekly} weekly and {count_monthly} monthly.")
    monthlies = monthly_expiries(underlying_symbol, from_date, count_monthly)
    weeklies = weekly_expiries(underlying_symbol, from_date, count_weekly) if count_weekly else []
    return sorted(set(monthlies) | set(weeklies))


def is_monthly_expiry(symbol: str, expiry: date) -> bool:
    """Whether ``expiry`` is the monthly expiry of its calendar month for ``symbol``."""
    return monthly_expiry(symbol, expiry.year, expiry.month) == expiry
