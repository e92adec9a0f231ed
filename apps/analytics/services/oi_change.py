"""ΔOI for collected rows: OI minus the instrument's OI at its last stored minute of the previous session."""

from __future__ import annotations

import numpy as np
from django.db.models import Max

from apps.analytics.services.frame import ChainFrame
from apps.market.calendar import previous_trading_day
from apps.market.clock import ist_day_bounds, to_ist
from apps.marketdata.models import OptionQuote


def oi_change_fill(*, frame: ChainFrame, underlying_id: int, exchange: str = "NSE") -> None:
    """Fill ``frame.oi_change`` where it is missing (in memory; the caller writes it). Two queries at most.

    Rows whose instrument was not stored in the previous session keep ΔOI unknown (NaN).
    """
    missing = frame.oi_change_missing & ~frame.settlement
    if not missing.any():
        return
    day = to_ist(frame.minute).date()
    start, _ = ist_day_bounds(previous_trading_day(day, exchange))
    end, _ = ist_day_bounds(day)
    wanted = frame.instrument_ids[missing].tolist()
    last_minutes = {
        row["instrument_id"]: row["last"]
        for row in OptionQuote.objects.filter(
            underlying_id=underlying_id, instrument_id__in=wanted, minute__gte=start, minute__lt=end
        )
        .values("instrument_id")
        .annotate(last=Max("minute"))
        .order_by()
    }
    if not last_minutes:
        return
    previous_oi = {
        instrument_id: oi
        for instrument_id, minute, oi in OptionQuote.objects.filter(
            instrument_id__in=list(last_minutes), minute__in=set(last_minutes.values())
        ).values_list("instrument_id", "minute", "oi")
        if last_minutes.get(instrument_id) == minute
    }
    before = np.array([previous_oi.get(int(i), np.nan) for i in frame.instrument_ids], dtype=float)
    fill = missing & np.isfinite(before)
    frame.oi_change[fill] = frame.oi[fill] - before[fill]
