"""The analytics of a date's last archived minute for one expiry, computing them first when they are missing."""

from __future__ import annotations

from datetime import date

from apps.analytics.models import ChainSnapshot
from apps.analytics.selectors.chain import ChainSummary, snapshot_summary
from apps.analytics.selectors.resolve import underlying_resolve
from apps.analytics.services.compute import analytics_compute_minute
from apps.core.errors import NotFoundError
from apps.market.clock import ist_day_bounds
from apps.marketdata.models import OptionQuote


def analytics_report(*, symbol: str, day: date, expiry: date) -> ChainSummary:
    underlying = underlying_resolve(symbol)
    start, end = ist_day_bounds(day)
    minute = (
        OptionQuote.objects.filter(underlying=underlying, expiry=expiry, minute__gte=start, minute__lt=end)
        .order_by("-minute")
        .values_list("minute", flat=True)
        .first()
    )
    if minute is None:
        raise NotFoundError(
            f"No {underlying.symbol} option quotes for expiry {expiry.isoformat()} on {day.isoformat()} (IST)."
        )
    snapshot = ChainSnapshot.objects.filter(underlying=underlying, expiry=expiry, minute=minute).first()
    if snapshot is None:
        analytics_compute_minute(underlying_id=underlying.id, minute=minute, exchange=underlying.exchange)
        snapshot = ChainSnapshot.objects.get(underlying=underlying, expiry=expiry, minute=minute)
    return snapshot_summary(snapshot)
