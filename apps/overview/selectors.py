"""The market overview, typed and JSON-ready: breadth, sector moves, and per underlying spot, change, ATM IV, PCR."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.utils import timezone

from apps.analytics.models import ChainSnapshot
from apps.market.clock import to_ist
from apps.market.models import Underlying
from apps.marketdata.models import UnderlyingQuote
from apps.overview.breadth import pct_change
from apps.overview.models import BreadthSnapshot, SectorQuote
from apps.overview.universe import UNIVERSE_NIFTY50


class Breadth(TypedDict):
    minute: str
    universe: str
    advances: int
    declines: int
    unchanged: int
    ad_ratio: float | None
    net_breadth: int
    missing: list[str]


class SectorMove(TypedDict):
    minute: str
    symbol: str
    label: str
    last_price: float
    previous_close: float | None
    change_pct: float | None


class ChainMetrics(TypedDict):
    """The nearest expiry's ATM IV and PCRs (None without analytics)."""

    expiry: str | None
    atm_iv: float | None
    pcr_oi: float | None
    pcr_volume: float | None


class IndexOverview(ChainMetrics):
    symbol: str
    minute: str | None
    spot: float | None
    spot_close: float | None
    change: float | None
    change_pct: float | None


def _iso_ist(moment: datetime) -> str:
    """A stored (UTC) minute as ISO text in IST, as every reply gives times."""
    return to_ist(moment).isoformat()


def _at(at: datetime | None) -> datetime:
    return at if at is not None else timezone.now()


def overview_breadth(at: datetime | None = None, *, universe: str = UNIVERSE_NIFTY50) -> Breadth | None:
    """The latest breadth snapshot at or before ``at`` (default now), or None when none is stored."""
    snap = BreadthSnapshot.objects.filter(universe=universe, minute__lte=_at(at)).order_by("-minute").first()
    if snap is None:
        return None
    return Breadth(
        minute=_iso_ist(snap.minute),
        universe=snap.universe,
        advances=snap.advances,
        declines=snap.declines,
        unchanged=snap.unchanged,
        ad_ratio=snap.ad_ratio,
        net_breadth=snap.net_breadth,
        missing=snap.missing,
    )


def overview_sectors(at: datetime | None = None) -> list[SectorMove]:
    """Sector indices at the latest stored minute at or before ``at``, best performer first."""
    minute = (
        SectorQuote.objects.filter(minute__lte=_at(at)).order_by("-minute").values_list("minute", flat=True).first()
    )
    if minute is None:
        return []
    rows = [
        SectorMove(
            minute=_iso_ist(q.minute),
            symbol=q.symbol,
            label=q.label,
            last_price=q.last_price,
            previous_close=q.previous_close,
            change_pct=q.change_pct,
        )
        for q in SectorQuote.objects.filter(minute=minute)
    ]
    rows.sort(key=lambda r: (r["change_pct"] is None, -(r["change_pct"] or 0.0), r["symbol"]))
    return rows


def _chain_metrics(*, underlying: Underlying, minute: datetime) -> ChainMetrics:
    """ATM IV and PCR of the nearest expiry analysed at ``minute`` (analytics' ChainSnapshot), if any."""
    today = to_ist(minute).date()
    snap = (
        ChainSnapshot.objects.filter(underlying=underlying, minute=minute, expiry__gte=today).order_by("expiry").first()
    )
    if snap is None:
        return ChainMetrics(expiry=None, atm_iv=None, pcr_oi=None, pcr_volume=None)
    return ChainMetrics(
        expiry=snap.expiry.isoformat(), atm_iv=snap.atm_iv, pcr_oi=snap.pcr_oi, pcr_volume=snap.pcr_volume
    )


def overview_indices(at: datetime | None = None) -> list[IndexOverview]:
    """Each active underlying's latest spot at or before ``at``, its change vs the previous close, ATM IV and PCR."""
    moment = _at(at)
    rows: list[IndexOverview] = []
    for underlying in Underlying.objects.filter(active=True):
        quote = UnderlyingQuote.objects.filter(underlying=underlying, minute__lte=moment).order_by("-minute").first()
        if quote is None:
            rows.append(
                IndexOverview(
                    symbol=underlying.symbol,
                    minute=None,
                    spot=None,
                    spot_close=None,
                    change=None,
                    change_pct=None,
                    expiry=None,
                    atm_iv=None,
                    pcr_oi=None,
                    pcr_volume=None,
                )
            )
            continue
        rows.append(
            IndexOverview(
                symbol=underlying.symbol,
                minute=_iso_ist(quote.minute),
                spot=quote.spot,
                spot_close=quote.spot_close,
                change=quote.spot - quote.spot_close if quote.spot_close else None,
                change_pct=pct_change(quote.spot, quote.spot_close),
                **_chain_metrics(underlying=underlying, minute=quote.minute),
            )
        )
    return rows
