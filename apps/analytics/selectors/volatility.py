"""Our India-VIX-style index at one minute, beside the published India VIX: the number, or the reason it is absent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypedDict

from apps.analytics.models import IndiaVixClose, OurVixReason, VolatilitySnapshot
from apps.analytics.selectors.history import OUR_VIX_LABEL
from apps.analytics.selectors.resolve import iso, underlying_resolve
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.calendar import session_close
from apps.market.clock import to_ist
from apps.market.models import Underlying

COLLECTED = "collected"
NSE_DAILY_CLOSE = "nse_daily_close"


class OurVixReading(TypedDict):
    symbol: str
    minute: str
    our_vix: float | None
    """None when the snapshot cannot support the index; ``our_vix_reason`` then says why."""
    our_vix_label: str
    our_vix_reason: str | None
    our_vix_reason_text: str | None
    our_vix_note: str
    our_vix_terms: dict[str, Any]
    """Per term (near, next): expiry, prices (settlement or quotes), minutes, forward and its source, k0, variance,
    strikes_used, lowest_strike, highest_strike, filled; and ``rolled``."""
    india_vix: float | None
    india_vix_source: str | None
    """``collected`` (quoted with the chain at that minute) or ``nse_daily_close`` (the imported daily history, for a
    snapshot at the session close)."""
    cm30_atm_iv: float | None


def india_vix_close(*, day: date) -> float | None:
    """NSE's published India VIX close of ``day``, when its daily history has been imported."""
    return IndiaVixClose.objects.filter(date=day).values_list("close", flat=True).first()


def reason_text(reason: str) -> str | None:
    return str(OurVixReason(reason).label) if reason else None


def _published(snapshot: VolatilitySnapshot) -> tuple[float | None, str | None]:
    if snapshot.vix is not None:
        return snapshot.vix, COLLECTED
    day = to_ist(snapshot.minute).date()
    if snapshot.minute >= session_close(day):
        close = india_vix_close(day=day)
        if close is not None:
            return close, NSE_DAILY_CLOSE
    return None, None


def our_vix_reading(snapshot: VolatilitySnapshot, *, symbol: str) -> OurVixReading:
    india_vix, source = _published(snapshot)
    return OurVixReading(
        symbol=symbol,
        minute=iso(snapshot.minute),
        our_vix=snapshot.our_vix,
        our_vix_label=OUR_VIX_LABEL,
        our_vix_reason=snapshot.our_vix_reason or None,
        our_vix_reason_text=reason_text(snapshot.our_vix_reason),
        our_vix_note=snapshot.our_vix_note,
        our_vix_terms=snapshot.our_vix_terms,
        india_vix=india_vix,
        india_vix_source=source,
        cm30_atm_iv=snapshot.cm30_iv,
    )


def our_vix_at(*, underlying: Underlying | str, at: datetime | None = None) -> OurVixReading:
    """The latest analysed minute at or before ``at`` (default: the latest): our index or why it is absent."""
    found = underlying_resolve(underlying)
    if at is not None and at.tzinfo is None:
        raise ApplicationError(f"'at' must carry a time zone, got {at.isoformat()}.")
    snapshots = VolatilitySnapshot.objects.filter(underlying=found)
    if at is not None:
        snapshots = snapshots.filter(minute__lte=at)
    snapshot = snapshots.order_by("-minute").first()
    if snapshot is None:
        raise NotFoundError(f"No volatility analytics for {found.symbol}.")
    return our_vix_reading(snapshot, symbol=found.symbol)
