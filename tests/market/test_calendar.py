from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from apps.market import rules
from apps.market.calendar import (
    expiry_close,
    is_trading_day,
    market_status,
    next_trading_day,
    previous_trading_day,
    session_close,
    session_minutes,
    session_open,
)
from apps.market.clock import IST, to_ist
from tests.exchange_files import INDIA_VIX_DAILY


def ist(*args: int) -> datetime:
    return datetime(*args, tzinfo=IST)  # type: ignore[misc]


@pytest.mark.parametrize(
    "day",
    [date(2026, 1, 15), date(2026, 1, 26), date(2026, 3, 3), date(2026, 3, 31), date(2026, 4, 14), date(2026, 11, 24)],
)
def test_it_closes_on_the_2026_holidays(day: date) -> None:
    assert not is_trading_day(day)
    assert not is_trading_day(day, "BSE")
    assert not is_trading_day(day, "NFO")


def test_it_opens_the_budget_sunday_special_session() -> None:
    assert date(2026, 2, 1).weekday() == 6
    assert is_trading_day(date(2026, 2, 1))
    assert session_open(date(2026, 2, 1)) == ist(2026, 2, 1, 9, 15)


def test_it_treats_weekends_and_plain_weekdays_correctly() -> None:
    assert not is_trading_day(date(2026, 11, 21))  # Saturday
    assert is_trading_day(date(2026, 11, 23))  # Monday


def test_it_matches_the_sessions_in_the_real_india_vix_history() -> None:
    """Every weekday missing from NSE's India VIX daily file between Aug-2025 and Sep-2026 is a holiday here, and
    every day in it (Muhurat 21-Oct-2025 aside) is a trading day."""
    import csv

    with INDIA_VIX_DAILY.open() as handle:
        days = {date.fromisoformat(row["date"]) for row in csv.DictReader(handle)}
    day, end = min(days), max(days)
    while day <= end:
        if day != date(2025, 10, 21) and day.weekday() < 5:
            assert is_trading_day(day) == (day in days), day
        day = date.fromordinal(day.toordinal() + 1)


def test_it_closes_at_1530_before_and_1540_from_3_august_2026() -> None:
    assert session_close(date(2026, 7, 31)) == ist(2026, 7, 31, 15, 30)
    assert session_close(date(2026, 8, 3)) == ist(2026, 8, 3, 15, 40)
    assert expiry_close(date(2026, 7, 28)) == ist(2026, 7, 28, 15, 30)
    assert expiry_close(date(2026, 8, 4)) == ist(2026, 8, 4, 15, 40)
    assert expiry_close(date(2026, 8, 4)).tzinfo is UTC


def test_it_lists_session_minutes_from_open_inclusive_to_close_exclusive() -> None:
    before = session_minutes(date(2026, 7, 31))
    after = session_minutes(date(2026, 8, 3))
    assert len(before) == 375
    assert len(after) == 385
    assert before[0] == ist(2026, 7, 31, 9, 15)
    assert before[-1] == ist(2026, 7, 31, 15, 29)
    assert after[-1] == ist(2026, 8, 3, 15, 39)
    assert all(minute.tzinfo is UTC for minute in before)
    assert session_minutes(date(2026, 11, 24)) == []


def test_it_steps_over_holidays_and_weekends() -> None:
    assert previous_trading_day(date(2026, 11, 25)) == date(2026, 11, 23)
    assert next_trading_day(date(2026, 11, 23)) == date(2026, 11, 25)
    assert next_trading_day(date(2026, 3, 27)) == date(2026, 3, 30)
    assert previous_trading_day(date(2026, 4, 1)) == date(2026, 3, 30)
    assert next_trading_day(date(2026, 1, 30)) == date(2026, 2, 1)


def test_it_reports_an_open_market_on_a_weekday() -> None:
    status = market_status(ist(2026, 11, 23, 11, 0))
    assert status.state == "open"
    assert status.is_open and status.trading_day
    assert status.session_open == ist(2026, 11, 23, 9, 15)
    assert status.session_close == ist(2026, 11, 23, 15, 40)  # after 3-Aug-2026
    assert status.next_open == ist(2026, 11, 25, 9, 15)


def test_it_reports_a_holiday_with_its_name() -> None:
    status = market_status(ist(2026, 11, 24, 11, 0))
    assert status.state == "closed"
    assert not status.is_open and not status.trading_day
    assert status.reason == "holiday: Guru Nanak Jayanti"
    assert status.next_open == ist(2026, 11, 25, 9, 15)


def test_it_reports_a_weekend() -> None:
    status = market_status(ist(2026, 11, 21, 11, 0))
    assert status.reason == "weekend"
    assert status.next_open == ist(2026, 11, 23, 9, 15)


def test_it_reports_pre_open_and_after_close() -> None:
    pre = market_status(ist(2026, 11, 23, 9, 5))
    assert pre.state == "pre_open" and not pre.is_open and pre.next_open == ist(2026, 11, 23, 9, 15)
    early = market_status(ist(2026, 11, 23, 8, 0))
    assert early.state == "closed" and early.next_open == ist(2026, 11, 23, 9, 15)
    after = market_status(ist(2026, 11, 23, 15, 40))
    assert after.state == "closed" and after.reason == "after close"
    assert after.next_open == ist(2026, 11, 25, 9, 15)
    assert market_status(ist(2026, 11, 23, 15, 39)).is_open
    assert not market_status(ist(2026, 7, 31, 15, 35)).is_open


def test_it_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        market_status(datetime(2026, 11, 23, 11, 0))
    with pytest.raises(ValueError, match="naive"):
        to_ist(datetime(2026, 11, 23, 11, 0))


def test_it_converts_to_ist() -> None:
    assert to_ist(datetime(2026, 11, 23, 3, 45, tzinfo=UTC)).hour == 9
    assert to_ist(datetime(2026, 11, 23, 3, 45, tzinfo=UTC)).minute == 15


def test_it_knows_which_years_the_holiday_data_covers() -> None:
    assert {2025, 2026} <= set(rules.calendar_rules().covered_years)
