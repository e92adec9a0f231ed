"""Chain analytics at one minute: summary, greeks, smile, surface, OI by strike, GEX (typed, JSON-ready)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, TypedDict, cast

from apps.analytics.models import ChainSnapshot
from apps.analytics.selectors.resolve import (
    bucket_name,
    iso,
    minute_resolve,
    snapshot_get,
    underlying_resolve,
)
from apps.market.choices import OptionType
from apps.market.models import Underlying
from apps.marketdata import legs
from apps.marketdata.models import OptionQuote


class ChainSummary(TypedDict):
    """The stored chain analytics of one expiry at one minute (ATM IV, RR25, BF25 are decimals: 0.2588 = 25.88 %)."""

    symbol: str
    expiry: str
    bucket: str
    minute: str
    days_to_expiry: float
    spot: float
    forward: float
    forward_source: str
    t_years: float
    strike_count: int
    atm_strike: float | None
    atm_strike_spot: float | None
    atm_iv: float | None
    straddle: float | None
    expected_move: float | None
    pcr_oi: float | None
    pcr_volume: float | None
    pcr_oi_change: float | None
    max_pain: float | None
    rr25: float | None
    bf25: float | None
    call_oi_wall: float | None
    put_oi_wall: float | None
    net_gex: float | None
    total_call_oi: int
    total_put_oi: int
    sentiment: str
    sentiment_score: int
    buildup_counts: dict[str, int]


_SUMMARY_HEAD = ("symbol", "expiry", "bucket", "minute", "days_to_expiry")
SUMMARY_FIELDS: tuple[str, ...] = tuple(name for name in ChainSummary.__annotations__ if name not in _SUMMARY_HEAD)
"""The ChainSnapshot fields a summary carries, as stored."""


def snapshot_summary(snapshot: ChainSnapshot) -> ChainSummary:
    return ChainSummary(
        symbol=snapshot.underlying.symbol,
        expiry=snapshot.expiry.isoformat(),
        bucket=bucket_name(underlying=snapshot.underlying, minute=snapshot.minute, expiry=snapshot.expiry),
        minute=iso(snapshot.minute),
        days_to_expiry=round(snapshot.t_years * 365, 4),
        spot=snapshot.spot,
        forward=snapshot.forward,
        forward_source=snapshot.forward_source,
        t_years=snapshot.t_years,
        strike_count=snapshot.strike_count,
        atm_strike=snapshot.atm_strike,
        atm_strike_spot=snapshot.atm_strike_spot,
        atm_iv=snapshot.atm_iv,
        straddle=snapshot.straddle,
        expected_move=snapshot.expected_move,
        pcr_oi=snapshot.pcr_oi,
        pcr_volume=snapshot.pcr_volume,
        pcr_oi_change=snapshot.pcr_oi_change,
        max_pain=snapshot.max_pain,
        rr25=snapshot.rr25,
        bf25=snapshot.bf25,
        call_oi_wall=snapshot.call_oi_wall,
        put_oi_wall=snapshot.put_oi_wall,
        net_gex=snapshot.net_gex,
        total_call_oi=snapshot.total_call_oi,
        total_put_oi=snapshot.total_put_oi,
        sentiment=snapshot.sentiment,
        sentiment_score=snapshot.sentiment_score,
        buildup_counts=snapshot.buildup_counts,
    )


def chain_summary(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> ChainSummary:
    return snapshot_summary(snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at))


class AnalysedForward(TypedDict):
    forward: float
    forward_source: str


def forward_analysed(*, underlying: Underlying, expiry: date, minute: datetime) -> AnalysedForward | None:
    """The forward analytics resolved for one expiry at one minute (the one its IVs are on); None before it ran."""
    found = (
        ChainSnapshot.objects.filter(underlying=underlying, expiry=expiry, minute=minute)
        .values("forward", "forward_source")
        .first()
    )
    return None if found is None else AnalysedForward(forward=found["forward"], forward_source=found["forward_source"])


class GreeksLeg(TypedDict):
    """One leg in the greeks view: its strike offset, quote and analytics (the fields of LEG_FIELDS)."""

    strike_offset: int
    last_price: float
    average_price: float | None
    close_price: float | None
    volume: int
    oi: int
    oi_day_high: int
    oi_day_low: int
    bid: float | None
    bid_qty: int | None
    ask: float | None
    ask_qty: int | None
    oi_change: int | None
    iv: float | None
    iv_source: str
    iv_error: str
    delta: float | None
    gamma: float | None
    theta: float | None
    vega: float | None
    rho: float | None
    buildup: str
    quality_flags: list[str]


LEG_FIELDS: tuple[str, ...] = ("strike_offset", *legs.QUOTE, *legs.ANALYTICS)


class GreeksStrike(TypedDict):
    strike: float
    call: GreeksLeg | None
    put: GreeksLeg | None


class ChainHead(TypedDict):
    symbol: str
    expiry: str
    minute: str
    spot: float
    forward: float
    atm_strike: float | None
    atm_iv: float | None
    t_years: float


class ChainGreeks(ChainHead):
    strikes: list[GreeksStrike]


def _head(snapshot: ChainSnapshot) -> ChainHead:
    return ChainHead(
        symbol=snapshot.underlying.symbol,
        expiry=snapshot.expiry.isoformat(),
        minute=iso(snapshot.minute),
        spot=snapshot.spot,
        forward=snapshot.forward,
        atm_strike=snapshot.atm_strike,
        atm_iv=snapshot.atm_iv,
        t_years=snapshot.t_years,
    )


def chain_greeks(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> ChainGreeks:
    """Every strike with both legs' quote, IV, greeks, OI, build-up and quality flags."""
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    rows = (
        OptionQuote.objects.filter(underlying=snapshot.underlying, expiry=snapshot.expiry, minute=snapshot.minute)
        .order_by("strike", "option_type")
        .values("strike", "option_type", *LEG_FIELDS)
    )
    strikes: dict[float, GreeksStrike] = {}
    for row in rows:
        entry = strikes.setdefault(row["strike"], GreeksStrike(strike=row["strike"], call=None, put=None))
        leg = cast(GreeksLeg, {name: row[name] for name in LEG_FIELDS})
        if row["option_type"] == OptionType.CE:
            entry["call"] = leg
        else:
            entry["put"] = leg
    return ChainGreeks(**_head(snapshot), strikes=list(strikes.values()))


class SmilePoint(TypedDict):
    strike: float
    log_moneyness: float | None
    call_iv: float | None
    put_iv: float | None
    iv: float | None


def _by_strike(snapshot: ChainSnapshot) -> dict[str, list[Any]]:
    """The snapshot's per-strike arrays (strikes, call_iv, put_oi, gex, ...); empty lists when none were stored."""
    data: dict[str, list[Any]] = snapshot.by_strike or {}
    return data if data.get("strikes") else {"strikes": []}


def _smile_points(snapshot: ChainSnapshot) -> list[SmilePoint]:
    """Per strike: both IVs and the OTM IV (puts below the forward, calls at or above), with log-moneyness."""
    data = _by_strike(snapshot)
    points = []
    for i, strike in enumerate(data["strikes"]):
        call_iv, put_iv = data["call_iv"][i], data["put_iv"][i]
        points.append(
            SmilePoint(
                strike=strike,
                log_moneyness=math.log(strike / snapshot.forward) if strike and snapshot.forward else None,
                call_iv=call_iv,
                put_iv=put_iv,
                iv=call_iv if strike >= snapshot.forward else put_iv,
            )
        )
    return points


class IvSmile(ChainHead):
    rr25: float | None
    bf25: float | None
    points: list[SmilePoint]


def iv_smile(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> IvSmile:
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    return IvSmile(**_head(snapshot), rr25=snapshot.rr25, bf25=snapshot.bf25, points=_smile_points(snapshot))


class SurfaceExpiry(TypedDict):
    expiry: str
    t_years: float
    days_to_expiry: float
    forward: float
    atm_iv: float | None
    points: list[SmilePoint]


class IvSurface(TypedDict):
    symbol: str
    minute: str
    expiries: list[SurfaceExpiry]


def iv_surface(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> IvSurface:
    """Every analysed expiry's OTM smile at the minute (expiry/bucket, when given, only pick the minute's data)."""
    found = underlying_resolve(underlying)
    minute = minute_resolve(underlying=found, at=at)
    if expiry is not None or bucket is not None:
        snapshot_get(underlying=found, expiry=expiry, bucket=bucket, at=minute)  # validates the request
    snapshots = ChainSnapshot.objects.filter(underlying=found, minute=minute).order_by("expiry")
    return IvSurface(
        symbol=found.symbol,
        minute=iso(minute),
        expiries=[
            SurfaceExpiry(
                expiry=s.expiry.isoformat(),
                t_years=s.t_years,
                days_to_expiry=round(s.t_years * 365, 4),
                forward=s.forward,
                atm_iv=s.atm_iv,
                points=_smile_points(s),
            )
            for s in snapshots.select_related("underlying")
        ],
    )


class OiStrike(TypedDict):
    """OI, ΔOI and volume in units; None where that leg is not archived (or ΔOI unknown)."""

    strike: float
    call_oi: int | None
    put_oi: int | None
    call_oi_change: int | None
    put_oi_change: int | None
    call_volume: int | None
    put_volume: int | None


class OiByStrike(ChainHead):
    max_pain: float | None
    call_oi_wall: float | None
    put_oi_wall: float | None
    pcr_oi: float | None
    pcr_oi_change: float | None
    strikes: list[OiStrike]


def _units(value: float | None) -> int | None:
    """A count stored in the per-strike arrays (as a JSON number) as the whole number it is."""
    return None if value is None else round(value)


def oi_by_strike(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> OiByStrike:
    """OI and ΔOI (units) per strike for both legs, with the walls and max pain."""
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    data = _by_strike(snapshot)
    strikes = [
        OiStrike(
            strike=strike,
            call_oi=_units(data["call_oi"][i]),
            put_oi=_units(data["put_oi"][i]),
            call_oi_change=_units(data["call_oi_change"][i]),
            put_oi_change=_units(data["put_oi_change"][i]),
            call_volume=_units(data["call_volume"][i]),
            put_volume=_units(data["put_volume"][i]),
        )
        for i, strike in enumerate(data["strikes"])
    ]
    return OiByStrike(
        **_head(snapshot),
        max_pain=snapshot.max_pain,
        call_oi_wall=snapshot.call_oi_wall,
        put_oi_wall=snapshot.put_oi_wall,
        pcr_oi=snapshot.pcr_oi,
        pcr_oi_change=snapshot.pcr_oi_change,
        strikes=strikes,
    )


class GexStrike(TypedDict):
    strike: float
    gex: float | None


class GammaExposure(ChainHead):
    net_gex: float | None
    convention: str
    strikes: list[GexStrike]


GEX_CONVENTION = "dealers long calls (+) and short puts (-); GEX = gamma * OI(units) * F^2 * 0.01"


def gex(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> GammaExposure:
    """Dealer gamma exposure per strike and net, ₹ per 1 % move (dealers long calls, short puts)."""
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    data = _by_strike(snapshot)
    return GammaExposure(
        **_head(snapshot),
        net_gex=snapshot.net_gex,
        convention=GEX_CONVENTION,
        strikes=[GexStrike(strike=k, gex=data["gex"][i]) for i, k in enumerate(data["strikes"])],
    )
