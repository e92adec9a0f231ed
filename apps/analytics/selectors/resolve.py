"""Shared input resolution for the analytics selectors: symbol, minute, expiry or bucket. Errors say what was wrong."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, overload

from apps.analytics.models import ChainSnapshot
from apps.analytics.selectors.daily import expiries_by_day, latest_minute
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.buckets import assign_buckets, bucket_of
from apps.market.choices import ExpiryBucket
from apps.market.clock import to_ist
from apps.market.models import Underlying

BUCKETS = [choice.value for choice in ExpiryBucket if choice != ExpiryBucket.OTHER]


@overload
def iso(value: datetime | date) -> str: ...
@overload
def iso(value: None) -> None: ...
def iso(value: datetime | date | None) -> str | None:
    """ISO text for the edge: datetimes in IST, dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_ist(value).isoformat()
    return value.isoformat()


def underlying_resolve(underlying: Underlying | str) -> Underlying:
    if isinstance(underlying, Underlying):
        return underlying
    found = Underlying.objects.filter(symbol=str(underlying).upper()).first()
    if found is None:
        known = ", ".join(Underlying.objects.order_by("symbol").values_list("symbol", flat=True)) or "none loaded"
        raise NotFoundError(f"Unknown symbol {underlying!r}; known symbols: {known}.")
    return found


def bucket_validate(bucket: str) -> str:
    if bucket not in BUCKETS:
        raise ApplicationError(f"Unknown expiry bucket {bucket!r}; choose one of {', '.join(BUCKETS)}.")
    return bucket


def minute_resolve(*, underlying: Underlying, at: datetime | None) -> datetime:
    """The latest analysed minute at or before ``at`` (default: the latest)."""
    if at is not None and at.tzinfo is None:
        raise ApplicationError(f"'at' must carry a time zone, got {at.isoformat()}.")
    minute = latest_minute(model=ChainSnapshot, underlying_id=underlying.id, at=at)
    if minute is None:
        when = f" at or before {iso(at)}" if at is not None else ""
        raise NotFoundError(f"No analytics for {underlying.symbol}{when}.")
    return minute


def expiries_at(*, underlying: Underlying, minute: datetime) -> list[date]:
    return sorted(ChainSnapshot.objects.filter(underlying=underlying, minute=minute).values_list("expiry", flat=True))


def buckets_at(*, underlying: Underlying, minute: datetime, expiries: list[date] | None = None) -> dict[str, date]:
    listed = expiries if expiries is not None else expiries_at(underlying=underlying, minute=minute)
    return assign_buckets(listed, today=to_ist(minute).date(), has_weeklies=underlying.has_weeklies)


def expiry_resolve(
    *, underlying: Underlying, minute: datetime, expiry: date | None = None, bucket: str | None = None
) -> date:
    """The expiry asked for: ``expiry`` itself, the expiry in ``bucket`` at that minute, or the nearest one."""
    if expiry is not None and bucket is not None:
        raise ApplicationError("Give either 'expiry' or 'bucket', not both.")
    listed = expiries_at(underlying=underlying, minute=minute)
    if expiry is not None:
        if expiry not in listed:
            options = ", ".join(e.isoformat() for e in listed)
            raise NotFoundError(
                f"No analytics for {underlying.symbol} expiry {expiry.isoformat()} at {iso(minute)}; "
                f"expiries analysed then: {options}."
            )
        return expiry
    if bucket is not None:
        bucket_validate(bucket)
        buckets = buckets_at(underlying=underlying, minute=minute, expiries=listed)
        if bucket not in buckets:
            raise NotFoundError(f"{underlying.symbol} has no {bucket} expiry at {iso(minute)}.")
        return buckets[bucket]
    today = to_ist(minute).date()
    upcoming = [e for e in listed if e >= today]
    return (upcoming or listed)[0]


def bucket_name(*, underlying: Underlying, minute: datetime, expiry: date) -> str:
    return bucket_of(expiry, buckets_at(underlying=underlying, minute=minute))


def snapshot_get(
    *,
    underlying: Underlying | str,
    expiry: date | None = None,
    bucket: str | None = None,
    at: datetime | None = None,
) -> ChainSnapshot:
    found = underlying_resolve(underlying)
    if bucket is not None:
        bucket_validate(bucket)
    minute = minute_resolve(underlying=found, at=at)
    chosen = expiry_resolve(underlying=found, minute=minute, expiry=expiry, bucket=bucket)
    return ChainSnapshot.objects.select_related("underlying").get(underlying=found, expiry=chosen, minute=minute)


def session_expiries(*, underlying: Underlying, start: datetime, end: datetime) -> dict[date, list[date]]:
    """IST session date → the expiries analysed that day, for resolving a bucket day by day (in the database:
    one probe per day and expiry, never a read of every minute)."""
    return expiries_by_day(underlying_id=underlying.id, start=start, end=end)


def bucket_expiry_by_day(*, underlying: Underlying, bucket: str, start: datetime, end: datetime) -> dict[date, date]:
    """For each session in [start, end], the expiry that was in ``bucket`` that day."""
    out = {}
    for day, expiries in session_expiries(underlying=underlying, start=start, end=end).items():
        buckets: dict[str, Any] = assign_buckets(expiries, today=day, has_weeklies=underlying.has_weeklies)
        if bucket in buckets:
            out[day] = buckets[bucket]
    return out
