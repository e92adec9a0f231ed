"""Collect the market overview: one quote call per minute for the sector indices and the NIFTY 50 stocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from apps.brokers.base import QUOTE_BATCH_SIZE, Broker
from apps.core.errors import ApplicationError
from apps.overview.breadth import breadth_compute, pct_change
from apps.overview.models import BreadthSnapshot, SectorQuote
from apps.overview.universe import UNIVERSE_NIFTY50, constituent_key, nifty50_symbols, sector_indices


@dataclass(frozen=True)
class OverviewCollect:
    minute: datetime
    created: bool
    """False when the minute was already stored (nothing was asked of the broker)."""
    breadth: BreadthSnapshot | None
    sectors: int


def _previous_close(quote: dict[str, Any]) -> float | None:
    ohlc = quote.get("ohlc") or {}
    close = ohlc.get("close")
    return float(close) if close else None


def overview_keys() -> list[str]:
    """The quote keys of one overview call: sector indices, then the constituents."""
    return [s.key for s in sector_indices()] + [constituent_key(s) for s in nifty50_symbols()]


def overview_collect(*, broker: Broker, minute: datetime) -> OverviewCollect:
    """Store breadth and sector changes for ``minute`` (aware). Idempotent: a stored minute is left as it is."""
    if minute.tzinfo is None:
        raise ApplicationError("overview_collect needs an aware minute (UTC).")
    existing = BreadthSnapshot.objects.filter(universe=UNIVERSE_NIFTY50, minute=minute).first()
    if existing is not None:
        return OverviewCollect(minute=minute, created=False, breadth=existing, sectors=0)
    keys = overview_keys()
    if len(keys) > QUOTE_BATCH_SIZE:
        raise ApplicationError(f"The overview needs {len(keys)} quotes; one call takes at most {QUOTE_BATCH_SIZE}.")
    quotes = broker.quote(keys, minute=minute)

    prices: dict[str, tuple[float, float | None]] = {}
    for symbol in nifty50_symbols():
        quote = quotes.get(constituent_key(symbol))
        if quote and quote.get("last_price") is not None:
            prices[symbol] = (float(quote["last_price"]), _previous_close(quote))
    breadth = breadth_compute(prices, universe=nifty50_symbols())

    sectors: list[SectorQuote] = []
    for sector in sector_indices():
        quote = quotes.get(sector.key)
        if not quote or quote.get("last_price") is None:
            continue
        last, close = float(quote["last_price"]), _previous_close(quote)
        sectors.append(
            SectorQuote(
                minute=minute,
                symbol=sector.kite_symbol,
                label=sector.label,
                last_price=last,
                previous_close=close,
                change_pct=pct_change(last, close),
            )
        )
    if breadth.counted == 0 and not sectors:
        return OverviewCollect(minute=minute, created=False, breadth=None, sectors=0)

    with transaction.atomic():
        snapshot = None
        if breadth.counted:
            snapshot, _ = BreadthSnapshot.objects.get_or_create(
                universe=UNIVERSE_NIFTY50,
                minute=minute,
                defaults={
                    "advances": breadth.advances,
                    "declines": breadth.declines,
                    "unchanged": breadth.unchanged,
                    "ad_ratio": breadth.ad_ratio,
                    "net_breadth": breadth.net,
                    "missing": list(breadth.missing),
                },
            )
        SectorQuote.objects.bulk_create(sectors, ignore_conflicts=True)
    return OverviewCollect(minute=minute, created=True, breadth=snapshot, sectors=len(sectors))
