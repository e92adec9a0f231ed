"""Query-parameter parsing shared by every endpoint. Each failure is an ApplicationError that names
the parameter, what it got and what it accepts, so clients get a 400/404 JSON reply, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from apps.archive.selectors import archived_day_check
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.choices import ExpiryBucket
from apps.market.clock import IST, day_out_of_range
from apps.market.models import Underlying
from apps.marketdata.selectors import chain_expiry_for_bucket, chain_minute_at

MAX_OFFSET = 50
SELECTABLE_BUCKETS = [choice for choice in ExpiryBucket.values if choice != ExpiryBucket.OTHER]


MAX_TEXT = 64
"""The longest parameter value read at all; longer values are refused before any parsing."""
MAX_SYMBOL = 32
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
SYMBOL_PATTERN = re.compile(r"[A-Za-z0-9&._ -]+")
"""What a symbol may hold; anything else is an unknown symbol without a database lookup."""


def _shown(value: str) -> str:
    """A value as an error message quotes it: repr, cut short so a huge value is not echoed back."""
    return repr(value) if len(value) <= MAX_TEXT else repr(value[:MAX_TEXT]) + "..."


def _text(params: Mapping[str, str], name: str) -> str | None:
    """The raw value of ``name`` (None when absent or empty), refused when too long or holding control characters."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApplicationError(f"{name} must be text.")
    if len(value) > MAX_TEXT:
        raise ApplicationError(f"{name} is too long ({len(value)} characters; at most {MAX_TEXT}).")
    if not value.isprintable():
        raise ApplicationError(f"{name}={_shown(value)} holds control characters.")
    return value


def underlying_get(*, symbol: str) -> Underlying:
    """The underlying for a symbol (case-insensitive), or 404 listing the known ones."""
    wanted = symbol.strip()
    underlying = None
    if len(wanted) <= MAX_SYMBOL and SYMBOL_PATTERN.fullmatch(wanted):
        underlying = Underlying.objects.filter(symbol__iexact=wanted).first()
    if underlying is None:
        known = ", ".join(Underlying.objects.order_by("display_order", "symbol").values_list("symbol", flat=True))
        raise NotFoundError(f"Unknown symbol {_shown(symbol)}; known symbols: {known or 'none yet'}.")
    return underlying


def parse_choice(params: Mapping[str, str], name: str, choices: Iterable[str], *, default: str | None = None) -> str:
    """One of ``choices``; ``default`` when absent (required when ``default`` is None)."""
    allowed = list(choices)
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise ApplicationError(f"{name} is required; one of {', '.join(allowed)}.")
        return default
    if value not in allowed:
        raise ApplicationError(f"{name}={_shown(value)} is not valid; choose one of {', '.join(allowed)}.")
    return value


def _in_range(name: str, value: str, day: date) -> None:
    reason = day_out_of_range(day)
    if reason is not None:
        raise ApplicationError(f"{name}={_shown(value)} {reason}.")


def parse_date(params: Mapping[str, str], name: str, *, required: bool = False) -> date | None:
    """A YYYY-MM-DD date between EARLIEST_DAY and LATEST_DAY."""
    value = _text(params, name)
    if value is None:
        if required:
            raise ApplicationError(f"{name} is required, as a date YYYY-MM-DD.")
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ApplicationError(f"{name}={_shown(value)} is not a date; use YYYY-MM-DD, e.g. 2026-01-19.") from None
    _in_range(name, value, day)
    return day


def parse_required_date(params: Mapping[str, str], name: str) -> date:
    day = parse_date(params, name, required=True)
    assert day is not None  # parse_date raised otherwise
    return day


def parse_date_range(
    params: Mapping[str, str], *, start: str = "from", end: str = "to"
) -> tuple[date | None, date | None]:
    first, last = parse_date(params, start), parse_date(params, end)
    if first and last and first > last:
        raise ApplicationError(f"{start}={first.isoformat()} is after {end}={last.isoformat()}.")
    return first, last


def parse_at(params: Mapping[str, str], name: str = "at") -> datetime | None:
    """An ISO 8601 time as aware UTC. A time without an offset is read as IST, the market's clock."""
    value = _text(params, name)
    if value is None:
        return None
    text = value.strip()
    if "T" in text and " " in text:
        # An unencoded "+05:30" arrives as " 05:30" in a query string.
        text = text.replace(" ", "+")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ApplicationError(
            f"{name}={_shown(value)} is not an ISO 8601 time; use e.g. 2026-01-19T10:15 (IST) or 2026-01-19T04:45Z."
        ) from None
    # Checked on the wall-clock date before any conversion: year 1 or 9999 would overflow in astimezone.
    _in_range(name, value, parsed.date())
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=IST)
    return parsed.astimezone(UTC)


def parse_bound(params: Mapping[str, str], name: str, *, end: bool = False) -> datetime | None:
    """A range bound: a date (its IST day's start, or its end when ``end``) or an ISO time (IST without offset)."""
    value = _text(params, name)
    if value is None:
        return None
    if len(value.strip()) == 10:
        day = parse_date(params, name)
        assert day is not None
        start = datetime.combine(day, time.min, tzinfo=IST)
        moment = start + timedelta(days=1) - timedelta(microseconds=1) if end else start
        return moment.astimezone(UTC)
    return parse_at(params, name)


def parse_bool(params: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    value = _text(params, name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes"}:
        return True
    if lowered in {"0", "false", "no"}:
        return False
    raise ApplicationError(f"{name}={_shown(value)} is not a boolean; use true or false.")


def _integer(name: str, text: str) -> int:
    """A whole number in ASCII digits, at most 12 of them (so no huge number is ever converted)."""
    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        raise ValueError(name)
    return int(stripped)


def parse_int(
    params: Mapping[str, str], name: str, *, default: int, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = _text(params, name)
    if value is None:
        return default
    try:
        number = _integer(name, value)
    except ValueError:
        raise ApplicationError(f"{name}={_shown(value)} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ApplicationError(f"{name}={number} is too small; the minimum is {minimum}.")
    if maximum is not None and number > maximum:
        raise ApplicationError(f"{name}={number} is too large; the maximum is {maximum}.")
    return number


def parse_offsets(params: Mapping[str, str], name: str = "offsets") -> list[int] | None:
    """Strike offsets from ATM: a range ``-2..2`` or a list ``-2,0,2``. None means every archived strike.

    Every bound is checked before a range is built, so a huge range costs nothing."""
    value = params.get(name)
    if value is None or value == "":
        return None
    hint = (
        f"{name}={_shown(value)} is not valid; use a range like -2..2 or a list like -2,0,2 "
        f"(each within ±{MAX_OFFSET})."
    )
    if len(value) > 4 * (2 * MAX_OFFSET + 1):
        raise ApplicationError(hint)
    try:
        if ".." in value:
            low_text, high_text = value.split("..", 1)
            low, high = _integer(name, low_text), _integer(name, high_text)
            if low > high or abs(low) > MAX_OFFSET or abs(high) > MAX_OFFSET:
                raise ApplicationError(hint)
            offsets = list(range(low, high + 1))
        else:
            offsets = sorted({_integer(name, part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise ApplicationError(hint) from None
    if not offsets or any(abs(offset) > MAX_OFFSET for offset in offsets):
        raise ApplicationError(hint)
    return offsets


@dataclass(frozen=True)
class ChainPoint:
    """Which chain a request means: the underlying, the expiry and the archived minute."""

    underlying: Underlying
    expiry: date
    minute: datetime
    bucket: str | None


def resolve_chain_point(*, underlying: Underlying, params: Mapping[str, str]) -> ChainPoint:
    """``expiry=`` or ``bucket=`` (default: the nearest archived expiry), at ``at`` (default: now).

    A bucket is resolved from the archive: the expiry the collector filed under that bucket at the
    latest archived minute at or before ``at``, so past chains use the buckets of their own day.
    """
    at = parse_at(params) or timezone.now()
    archived_day_check(at.astimezone(IST).date())
    expiry = parse_date(params, "expiry")
    if expiry is not None and params.get("bucket"):
        raise ApplicationError("Give either expiry or bucket, not both.")
    if expiry is not None:
        minute = chain_minute_at(underlying=underlying, expiry=expiry, at=at)
        if minute is None:
            raise NotFoundError(
                f"No {underlying.symbol} quotes for expiry {expiry.isoformat()} are archived at or before {_ist(at)}."
            )
        return ChainPoint(underlying=underlying, expiry=expiry, minute=minute, bucket=None)
    bucket = parse_choice(params, "bucket", SELECTABLE_BUCKETS, default="") or None
    minute = chain_minute_at(underlying=underlying, at=at)
    if minute is None:
        raise NotFoundError(f"No {underlying.symbol} quotes are archived at or before {_ist(at)}.")
    bucket_expiry = chain_expiry_for_bucket(underlying=underlying, bucket=bucket, minute=minute)
    if bucket_expiry is None:
        raise NotFoundError(f"No {underlying.symbol} expiry was collected in bucket {bucket} at {_ist(minute)}.")
    return ChainPoint(underlying=underlying, expiry=bucket_expiry, minute=minute, bucket=bucket)


def _ist(moment: datetime) -> str:
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M IST")
