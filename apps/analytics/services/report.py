"""The analytics of a date's last archived minute (for one expiry, or the underlying's volatility), computing them
first when they are missing."""

from __future__ import annotations

from datetime import date, datetime

from apps.analytics.models import ChainSnapshot, OurVixReason, VolatilitySnapshot
from apps.analytics.selectors.chain import ChainSummary, snapshot_summary
from apps.analytics.selectors.resolve import underlying_resolve
from apps.analytics.selectors.volatility import OurVixReading, our_vix_reading
from apps.analytics.services.compute import analytics_compute_minute
from apps.core.errors import NotFoundError
from apps.market.clock import ist_day_bounds
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote


def _last_minute(*, underlying: Underlying, day: date, expiry: date | None) -> datetime:
    start, end = ist_day_bounds(day)
    quotes = OptionQuote.objects.filter(underlying=underlying, minute__gte=start, minute__lt=end)
    if expiry is not None:
        quotes = quotes.filter(expiry=expiry)
    minute = quotes.order_by("-minute").values_list("minute", flat=True).first()
    if minute is None:
        of = f" for expiry {expiry.isoformat()}" if expiry is not None else ""
        raise NotFoundError(f"No {underlying.symbol} option quotes{of} on {day.isoformat()} (IST).")
    return minute


def _analysed(*, underlying: Underlying, minute: datetime) -> VolatilitySnapshot:
    """The minute's volatility snapshot, analysing the minute first when it is missing or from the earlier method."""
    snapshot = VolatilitySnapshot.objects.filter(underlying=underlying, minute=minute).first()
    if snapshot is None or snapshot.our_vix_reason == OurVixReason.LEGACY:
        analytics_compute_minute(
            underlying_id=underlying.id, minute=minute, exchange=underlying.exchange, symbol=underlying.symbol
        )
        snapshot = VolatilitySnapshot.objects.get(underlying=underlying, minute=minute)
    return snapshot


def analytics_report(*, symbol: str, day: date, expiry: date) -> ChainSummary:
    underlying = underlying_resolve(symbol)
    minute = _last_minute(underlying=underlying, day=day, expiry=expiry)
    _analysed(underlying=underlying, minute=minute)
    return snapshot_summary(ChainSnapshot.objects.get(underlying=underlying, expiry=expiry, minute=minute))


def volatility_report(*, symbol: str, day: date, expiry: date | None = None) -> OurVixReading:
    """Our India-VIX-style index at the date's last archived minute (of ``expiry``, when given) and India VIX."""
    underlying = underlying_resolve(symbol)
    minute = _last_minute(underlying=underlying, day=day, expiry=expiry)
    return our_vix_reading(_analysed(underlying=underlying, minute=minute), symbol=underlying.symbol)
