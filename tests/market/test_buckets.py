from __future__ import annotations

from datetime import date

from apps.market.buckets import assign_buckets, bucket_of
from apps.market.choices import ExpiryBucket
from apps.market.expiries import expiry_schedule


def test_it_buckets_a_nifty_ladder() -> None:
    ladder = expiry_schedule("NIFTY", date(2026, 4, 1), 4, 3)
    buckets = assign_buckets(ladder, today=date(2026, 4, 1), has_weeklies=True)
    assert buckets == {
        ExpiryBucket.THIS_WEEK.value: date(2026, 4, 7),
        ExpiryBucket.NEXT_WEEK.value: date(2026, 4, 13),
        ExpiryBucket.THIS_MONTH.value: date(2026, 4, 28),
        ExpiryBucket.NEXT_MONTH.value: date(2026, 5, 26),
    }
    assert bucket_of(date(2026, 4, 21), buckets) == ExpiryBucket.OTHER
    assert bucket_of(date(2026, 4, 13), buckets) == ExpiryBucket.NEXT_WEEK


def test_it_shares_the_monthly_in_the_last_week_of_the_month() -> None:
    ladder = expiry_schedule("NIFTY", date(2026, 3, 25), 4, 3)
    buckets = assign_buckets(ladder, today=date(2026, 3, 25), has_weeklies=True)
    assert buckets["this_week"] == date(2026, 3, 30)
    assert buckets["this_month"] == date(2026, 3, 30)
    assert buckets["next_week"] == date(2026, 4, 7)
    assert buckets["next_month"] == date(2026, 4, 28)
    assert bucket_of(date(2026, 3, 30), buckets) == "this_week"


def test_it_counts_an_expiry_due_today_as_this_week() -> None:
    ladder = [date(2026, 3, 24), date(2026, 3, 30), date(2026, 4, 7)]
    buckets = assign_buckets(ladder, today=date(2026, 3, 24), has_weeklies=True)
    assert buckets["this_week"] == date(2026, 3, 24)
    assert buckets["this_month"] == date(2026, 3, 30)
    after = assign_buckets(ladder, today=date(2026, 3, 25), has_weeklies=True)
    assert after["this_week"] == date(2026, 3, 30)


def test_it_gives_banknifty_only_month_buckets() -> None:
    ladder = expiry_schedule("BANKNIFTY", date(2026, 3, 27), 4, 3)
    buckets = assign_buckets(ladder, today=date(2026, 3, 27), has_weeklies=False)
    assert buckets == {"this_month": date(2026, 3, 30), "next_month": date(2026, 4, 28)}
    assert bucket_of(date(2026, 5, 26), buckets) == "other"


def test_it_uses_the_last_listed_expiry_of_a_month_as_the_monthly() -> None:
    ladder = [date(2026, 4, 7), date(2026, 4, 13), date(2026, 4, 21), date(2026, 4, 28), date(2026, 5, 5)]
    buckets = assign_buckets(ladder, today=date(2026, 4, 1), has_weeklies=True)
    assert buckets["this_month"] == date(2026, 4, 28)
    assert buckets["next_month"] == date(2026, 5, 5)


def test_it_returns_no_buckets_when_nothing_is_listed() -> None:
    assert assign_buckets([], today=date(2026, 4, 1), has_weeklies=True) == {}
