"""Expiry buckets: which listed expiry is "this week", "next week", "this month" and "next month".

Definitions (precise; docs/market.md repeats them):

* Only expiries on or after ``today`` count.
* A *monthly* expiry is the last listed expiry of its calendar month.
* ``this_week``: the nearest listed expiry (weekly or monthly); ``next_week``: the listed expiry after it.
  Both only for underlyings with weeklies.
* ``this_month``: the nearest monthly expiry; ``next_month``: the monthly after it.
* Buckets may share an expiry: in the last week of a month ``this_week`` is also ``this_month``.

Pure Python, no Django; the bucket names are ``ExpiryBucket`` values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

THIS_WEEK = "this_week"
NEXT_WEEK = "next_week"
THIS_MONTH = "this_month"
NEXT_MONTH = "next_month"
OTHER = "other"
BUCKET_ORDER = (THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH)


def monthly_expiries(expiries: Sequence[date]) -> list[date]:
    """The last listed expiry of each calendar month, sorted."""
    last_of_month: dict[tuple[int, int], date] = {}
    for expiry in expiries:
        key = (expiry.year, expiry.month)
        if key not in last_of_month or expiry > last_of_month[key]:
            last_of_month[key] = expiry
    return sorted(last_of_month.values())


def assign_buckets(expiries: Sequence[date], *, today: date, has_weeklies: bool) -> dict[str, date]:
    """Bucket name -> expiry, for the buckets that have an expiry."""
    listed = sorted(set(expiries))
    monthlies = [expiry for expiry in monthly_expiries(listed) if expiry >= today]
    upcoming = [expiry for expiry in listed if expiry >= today]
    buckets: dict[str, date] = {}
    if has_weeklies:
        for name, expiry in zip((THIS_WEEK, NEXT_WEEK), upcoming, strict=False):
            buckets[name] = expiry
    for name, expiry in zip((THIS_MONTH, NEXT_MONTH), monthlies, strict=False):
        buckets[name] = expiry
    return buckets


def bucket_of(expiry: date, buckets: Mapping[str, date]) -> str:
    """The first bucket (this_week, next_week, this_month, next_month) holding ``expiry``, else "other"."""
    for name in BUCKET_ORDER:
        if buckets.get(name) == expiry:
            return name
    return OTHER
