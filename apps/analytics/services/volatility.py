"""Per-minute volatility series: the constant-maturity 30-day ATM IV and our India-VIX-style index."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from apps.analytics.metrics.term import constant_maturity_iv
from apps.analytics.models import ChainSnapshot, VolatilitySnapshot
from apps.analytics.services.chain import clean
from apps.analytics.services.frame import ChainFrame
from apps.analytics.services.our_vix import our_vix
from apps.analytics.services.quotes import QuoteResults


def volatility_snapshot_write(
    *,
    frame: ChainFrame,
    results: QuoteResults,
    snapshots: Sequence[ChainSnapshot],
    underlying_id: int,
    symbol: str,
    rate: float,
    futures: dict[date, float],
    vix: float | None,
) -> VolatilitySnapshot:
    cm30 = constant_maturity_iv([(s.t_years, s.atm_iv) for s in snapshots if s.atm_iv is not None])
    ours = our_vix(frame=frame, results=results, futures=futures, rate=rate, symbol=symbol, underlying_id=underlying_id)
    snapshot, _ = VolatilitySnapshot.objects.update_or_create(
        underlying_id=underlying_id,
        minute=frame.minute,
        defaults={
            "cm30_iv": clean(cm30),
            "our_vix": ours.value,
            "our_vix_reason": ours.reason,
            "our_vix_note": ours.note,
            "our_vix_terms": ours.terms,
            "vix": vix,
        },
    )
    return snapshot
