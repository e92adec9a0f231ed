"""What the pages need beyond the other apps' selectors: small, read-only, composed for one screen."""

from __future__ import annotations

from datetime import date, datetime

from apps.market.clock import ist_day_bounds
from apps.market.models import Instrument, InstrumentType, Underlying
from apps.marketdata.models import OptionQuote


def chain_minutes_of_day(*, underlying: Underlying, day: date) -> list[datetime]:
    """Every minute of the IST session ``day`` at which the underlying's chain was archived, in time order
    (what the time-travel slider steps through)."""
    start, end = ist_day_bounds(day)
    return list(
        OptionQuote.objects.filter(underlying=underlying, minute__gte=start, minute__lt=end)
        .order_by("minute")
        .values_list("minute", flat=True)
        .distinct()
    )


def option_lot_sizes(*, underlying: Underlying) -> dict[str, int]:
    """Expiry (ISO date) → lot size of the underlying's listed options, so the pages can show OI in lots."""
    rows = (
        Instrument.objects.filter(
            underlying=underlying, instrument_type__in=[InstrumentType.CE, InstrumentType.PE], lot_size__gt=0
        )
        .values_list("expiry", "lot_size")
        .distinct()
    )
    return {expiry.isoformat(): lot for expiry, lot in rows if expiry is not None}
