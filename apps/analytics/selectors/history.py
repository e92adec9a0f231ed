"""History analytics: series of stored chain metrics, IV rank/percentile, weekday overlays, expiry-to-expiry
comparison and the NIFTY-VIX rolling correlation."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import NotRequired, TypedDict

import pricing
from apps.analytics.metrics.series import Bands, band_stats, rolling_correlation
from apps.analytics.models import ChainSnapshot, VolatilitySnapshot
from apps.analytics.selectors.daily import (
    DayWindow,
    daily_last,
    day_windows,
    expiry_spans,
    latest_minute,
    recent_expiries,
    window_clock_rows,
    window_rows,
)
from apps.analytics.selectors.resolve import (
    bucket_expiry_by_day,
    bucket_name,
    bucket_validate,
    expiry_resolve,
    iso,
    minute_resolve,
    underlying_resolve,
)
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.clock import ist_day_bounds, to_ist
from apps.market.models import Underlying
from apps.marketdata.models import UnderlyingQuote

HISTORY_FIELDS = ("pcr_oi", "pcr_volume", "max_pain", "atm_iv", "straddle", "expected_move", "rr25", "bf25", "net_gex")
RANK_SESSIONS = 252


def _field_validate(field: str, allowed: tuple[str, ...]) -> str:
    if field not in allowed:
        raise ApplicationError(f"Unknown field {field!r}; choose one of {', '.join(allowed)}.")
    return field


def _range_validate(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ApplicationError("'from' and 'to' must carry a time zone.")
    if start > end:
        raise ApplicationError(f"'from' ({iso(start)}) is after 'to' ({iso(end)}).")


class HistoryPoint(TypedDict):
    minute: str
    expiry: str
    value: float | None


class History(TypedDict):
    symbol: str
    field: str
    expiry: str | None
    bucket: str | None
    points: list[HistoryPoint]


def history(
    *,
    underlying: Underlying | str,
    field: str,
    start: datetime,
    end: datetime,
    expiry: date | None = None,
    bucket: str | None = None,
    daily: bool = False,
) -> History:
    """A stored metric over time for one expiry, or for a bucket (its expiry resolved session by session)."""
    found = underlying_resolve(underlying)
    _field_validate(field, HISTORY_FIELDS)
    _range_validate(start, end)
    if expiry is not None and bucket is not None:
        raise ApplicationError("Give either 'expiry' or 'bucket', not both.")
    if expiry is not None and not daily:
        rows = list(
            ChainSnapshot.objects.filter(underlying=found, expiry=expiry, minute__gte=start, minute__lte=end)
            .order_by("minute")
            .values_list("minute", "expiry", field)
        )
    else:
        if expiry is not None:
            windows = [replace(w, expiry=expiry) for w in day_windows(start, end)]
        else:
            default = "this_week" if found.has_weeklies else "this_month"
            wanted = bucket_validate(bucket or default)
            by_day = bucket_expiry_by_day(underlying=found, bucket=wanted, start=start, end=end)
            windows = [replace(w, expiry=by_day[w.day]) for w in day_windows(start, end) if w.day in by_day]
        if daily:
            closes = daily_last(
                model=ChainSnapshot, underlying_id=found.id, windows=windows, fields=("expiry", field), by_expiry=True
            )
            rows = [(minute, values[0], values[1]) for _, minute, values in closes]
        else:
            picked = window_rows(underlying_id=found.id, windows=windows, fields=("expiry", field))
            rows = [(minute, values[0], values[1]) for _, minute, values in picked]
    if not rows:
        raise NotFoundError(f"No {field} history for {found.symbol} between {iso(start)} and {iso(end)}.")
    return History(
        symbol=found.symbol,
        field=field,
        expiry=iso(expiry),
        bucket=bucket,
        points=[HistoryPoint(minute=iso(m), expiry=iso(e), value=v) for m, e, v in rows],
    )


class RankBlock(TypedDict):
    """Where the latest daily close sits among the last closes; rank and percentile 0-100 (None below 2 closes)."""

    value: float | None
    as_of: NotRequired[str]
    rank: float | None
    percentile: float | None
    min: NotRequired[float]
    max: NotRequired[float]
    sessions: int


def _rank_block(closes: list[tuple[datetime, float]], sessions: int) -> RankBlock:
    """``closes``: the (minute, value) of each day's last non-null value, oldest first."""
    closes = closes[-sessions:]
    values = [v for _, v in closes]
    if len(values) < 2:
        return RankBlock(value=values[-1] if values else None, rank=None, percentile=None, sessions=len(values))
    rank, percentile = pricing.iv_rank(values), pricing.iv_percentile(values)
    return RankBlock(
        value=values[-1],
        as_of=iso(closes[-1][0]),
        rank=None if not math.isfinite(rank) else float(rank),
        percentile=None if not math.isfinite(percentile) else float(percentile),
        min=min(values),
        max=max(values),
        sessions=len(values),
    )


def _closes(
    model: type[VolatilitySnapshot] | type[UnderlyingQuote], field: str, *, underlying_id: int, windows: list[DayWindow]
) -> list[tuple[datetime, float]]:
    rows = daily_last(model=model, underlying_id=underlying_id, windows=windows, fields=(field,), not_null=field)
    return [(minute, values[0]) for _, minute, values in rows]


class IvRank(TypedDict):
    symbol: str
    at: str
    cm30_atm_iv: RankBlock
    india_vix: RankBlock
    our_vix: RankBlock


def iv_rank(*, underlying: Underlying | str, at: datetime | None = None, sessions: int = RANK_SESSIONS) -> IvRank:
    """IV rank and percentile over the last ``sessions`` daily closes of (a) the 30-day constant-maturity ATM IV
    and (b) the published India VIX (UnderlyingQuote.vix), plus our India-VIX-style index."""
    found = underlying_resolve(underlying)
    if sessions < 2:
        raise ApplicationError(f"'sessions' must be at least 2, got {sessions}.")
    latest = [
        latest_minute(model=VolatilitySnapshot, underlying_id=found.id),
        latest_minute(model=UnderlyingQuote, underlying_id=found.id, not_null="vix"),
    ]
    known = [m for m in latest if m is not None]
    end = at or (max(known) if known else None)
    if end is None:
        raise NotFoundError(f"No volatility history for {found.symbol}.")
    # Calendar days comfortably covering ``sessions`` trading sessions.
    start = end - timedelta(days=int(sessions * 7 / 5) + 30)
    windows = day_windows(start, end)
    return IvRank(
        symbol=found.symbol,
        at=iso(end),
        cm30_atm_iv=_rank_block(
            _closes(VolatilitySnapshot, "cm30_iv", underlying_id=found.id, windows=windows), sessions
        ),
        india_vix=_rank_block(_closes(UnderlyingQuote, "vix", underlying_id=found.id, windows=windows), sessions),
        our_vix=_rank_block(_closes(VolatilitySnapshot, "our_vix", underlying_id=found.id, windows=windows), sessions),
    )


class Overlay(TypedDict):
    """Today's ATM straddle by IST minute ("HH:MM" in ``times``) against bands over past sessions."""

    symbol: str
    bucket: str
    expiry: str
    align: str
    weekday: int
    days_to_expiry: int
    sessions_used: list[str]
    times: list[str]
    today: list[float | None]
    bands: Bands


def overlay(
    *,
    underlying: Underlying | str,
    expiry: date | None = None,
    bucket: str | None = None,
    at: datetime | None = None,
    weekday: int | None = None,
    sessions: int = 8,
    align: str = "weekday",
) -> Overlay:
    """Today's ATM straddle by minute against the mean, ±1sigma and min/max of past sessions of the same bucket:
    the last ``sessions`` sessions on ``weekday`` (0 = Monday; default today's), or with ``align="dte"`` the last
    sessions at the same calendar days-to-expiry."""
    found = underlying_resolve(underlying)
    if align not in {"weekday", "dte"}:
        raise ApplicationError(f"Unknown align {align!r}; choose weekday or dte.")
    if weekday is not None and not 0 <= weekday <= 6:
        raise ApplicationError(f"'weekday' must be 0 (Monday) to 6 (Sunday), got {weekday}.")
    if sessions < 1:
        raise ApplicationError(f"'sessions' must be positive, got {sessions}.")
    minute = minute_resolve(underlying=found, at=at)
    chosen = expiry_resolve(underlying=found, minute=minute, expiry=expiry, bucket=bucket)
    wanted = bucket or bucket_name(underlying=found, minute=minute, expiry=chosen)
    today = to_ist(minute).date()
    day_of_week = today.weekday() if weekday is None else weekday
    dte = (chosen - today).days
    lookback_start = minute - timedelta(days=max(sessions, 1) * 7 * (1 if align == "weekday" else 5) + 14)
    by_day = bucket_expiry_by_day(underlying=found, bucket=wanted, start=lookback_start, end=minute)
    past_days = sorted(
        (
            day
            for day, exp in by_day.items()
            if day < today
            and ((align == "weekday" and day.weekday() == day_of_week) or (align == "dte" and (exp - day).days == dte))
        ),
        reverse=True,
    )[:sessions]

    series = _day_series_ist(found, {today: chosen, **{day: by_day[day] for day in past_days}}, minute)
    today_series = series.get(today, {})
    past = [series.get(day, {}) for day in sorted(past_days)]
    clock = sorted({t for s in [today_series, *past] for t in s})
    matrix = [[s.get(t) if s.get(t) is not None else math.nan for t in clock] for s in past]
    return Overlay(
        symbol=found.symbol,
        bucket=wanted,
        expiry=iso(chosen),
        align=align,
        weekday=day_of_week,
        days_to_expiry=dte,
        sessions_used=[d.isoformat() for d in sorted(past_days)],
        times=clock,
        today=[today_series.get(t) for t in clock],
        bands=band_stats(matrix),
    )


def _day_series_ist(
    found: Underlying, expiry_by_day: dict[date, date], until: datetime
) -> dict[date, dict[str, float | None]]:
    """Per session, the straddle by IST wall-clock minute ("HH:MM") of that day's expiry, up to ``until``; one
    statement for every session."""
    windows = []
    for day, expiry in sorted(expiry_by_day.items()):
        lo, hi = ist_day_bounds(day)
        windows.append(DayWindow(day=day, lo=lo, hi=min(hi, until + timedelta(microseconds=1)), expiry=expiry))
    out: dict[date, dict[str, float | None]] = {}
    for day, clock, (straddle,) in window_clock_rows(underlying_id=found.id, windows=windows, fields=("straddle",)):
        out.setdefault(day, {})[clock] = straddle
    return out


class ComparisonPoint(TypedDict):
    days_to_expiry: int
    date: str
    value: float | None


class ComparisonExpiry(TypedDict):
    expiry: str
    points: list[ComparisonPoint]


class ExpiryComparison(TypedDict):
    symbol: str
    field: str
    expiries: list[ComparisonExpiry]


def expiry_comparison(
    *,
    underlying: Underlying | str,
    field: str = "pcr_oi",
    expiries: int = 4,
    bucket: str | None = None,
    at: datetime | None = None,
) -> ExpiryComparison:
    """The daily-close path of PCR or max pain by calendar days-to-expiry: the bucket's current expiry (default
    this_week, or this_month without weeklies) and the ``expiries - 1`` expiries before it."""
    found = underlying_resolve(underlying)
    _field_validate(field, ("pcr_oi", "max_pain", "pcr_volume", "atm_iv", "straddle"))
    if expiries < 1:
        raise ApplicationError(f"'expiries' must be positive, got {expiries}.")
    end = minute_resolve(underlying=found, at=at)
    current = expiry_resolve(
        underlying=found, minute=end, bucket=bucket or ("this_week" if found.has_weeklies else "this_month")
    )
    recent = recent_expiries(underlying_id=found.id, up_to=current, end=end, count=expiries)
    spans = expiry_spans(underlying_id=found.id, expiries=recent, end=end)
    # Every expiry's days in one read: each close carries its expiry.
    windows = [replace(w, expiry=exp) for exp, span in spans.items() for w in day_windows(*span)]
    closes = daily_last(
        model=ChainSnapshot, underlying_id=found.id, windows=windows, fields=("expiry", field), by_expiry=True
    )
    points: dict[date, list[ComparisonPoint]] = {exp: [] for exp in recent}
    for day, _, (exp, value) in closes:
        points[exp].append(ComparisonPoint(days_to_expiry=(exp - day).days, date=iso(day), value=value))
    return ExpiryComparison(
        symbol=found.symbol, field=field, expiries=[ComparisonExpiry(expiry=iso(e), points=points[e]) for e in recent]
    )


CorrelationPoint = TypedDict(
    "CorrelationPoint", {"date": str, "return": float, "vix_change": float, "correlation": float | None}
)
"""One session: the index's daily return, India VIX's daily change (points) and their rolling correlation."""


class VixCorrelation(TypedDict):
    symbol: str
    window: int
    points: list[CorrelationPoint]


def vix_correlation(
    *, underlying: Underlying | str = "NIFTY", window: int = 20, at: datetime | None = None, sessions: int = 252
) -> VixCorrelation:
    """Rolling correlation of daily index returns with daily India VIX changes (points), daily closes."""
    found = underlying_resolve(underlying)
    if window < 3:
        raise ApplicationError(f"'window' must be at least 3 sessions, got {window}.")
    end = latest_minute(model=UnderlyingQuote, underlying_id=found.id, at=at, not_null="vix")
    if end is None:
        raise NotFoundError(f"No India VIX history stored with {found.symbol}.")
    start = end - timedelta(days=int((sessions + window) * 7 / 5) + 30)
    daily = daily_last(
        model=UnderlyingQuote,
        underlying_id=found.id,
        windows=day_windows(start, end),
        fields=("spot", "vix"),
        not_null="vix",
    )
    closes = daily[-(sessions + 1) :]
    days = [day for day, _, _ in closes]
    spots = [values[0] for _, _, values in closes]
    vixes = [values[1] for _, _, values in closes]
    returns = [spots[i] / spots[i - 1] - 1.0 for i in range(1, len(spots))]
    changes = [vixes[i] - vixes[i - 1] for i in range(1, len(vixes))]
    corr = rolling_correlation(returns, changes, window)
    return VixCorrelation(
        symbol=found.symbol,
        window=window,
        points=[
            CorrelationPoint(
                {"date": iso(days[i + 1]), "return": returns[i], "vix_change": changes[i], "correlation": corr[i]}
            )
            for i in range(len(returns))
        ],
    )


class VolatilityPoint(TypedDict):
    minute: str
    cm30_atm_iv: float | None
    our_vix: float | None
    our_vix_reason: str | None
    """Why ``our_vix`` is None (an OurVixReason value); None when it is a number."""
    our_vix_note: str
    india_vix: float | None


class VolatilitySeries(TypedDict):
    symbol: str
    our_vix_label: str
    points: list[VolatilityPoint]


OUR_VIX_LABEL = "optrading India-VIX-style (ours)"


def volatility_series(*, underlying: Underlying | str, start: datetime, end: datetime) -> VolatilitySeries:
    """The stored per-minute 30-day ATM IV, our India-VIX-style index (labelled ours, or the reason it is absent)
    and the published VIX."""
    found = underlying_resolve(underlying)
    _range_validate(start, end)
    rows = VolatilitySnapshot.objects.filter(underlying=found, minute__gte=start, minute__lte=end).order_by("minute")
    fields = ("minute", "cm30_iv", "our_vix", "our_vix_reason", "our_vix_note", "vix")
    return VolatilitySeries(
        symbol=found.symbol,
        our_vix_label=OUR_VIX_LABEL,
        points=[
            VolatilityPoint(
                minute=iso(m),
                cm30_atm_iv=cm30,
                our_vix=ours,
                our_vix_reason=reason or None,
                our_vix_note=note,
                india_vix=vix,
            )
            for m, cm30, ours, reason, note, vix in rows.values_list(*fields)
        ],
    )
