"""Chain analytics at one minute, as JSON-ready dicts: summary, greeks, smile, surface, OI by strike, GEX."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

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

SUMMARY_FIELDS = (
    "spot",
    "forward",
    "forward_method",
    "t_years",
    "strike_count",
    "atm_strike",
    "atm_strike_spot",
    "atm_iv",
    "straddle",
    "expected_move",
    "pcr_oi",
    "pcr_volume",
    "pcr_oi_change",
    "max_pain",
    "rr25",
    "bf25",
    "call_oi_wall",
    "put_oi_wall",
    "net_gex",
    "total_call_oi",
    "total_put_oi",
    "sentiment",
    "sentiment_score",
    "buildup_counts",
)


def snapshot_summary(snapshot: ChainSnapshot) -> dict[str, Any]:
    """The stored chain analytics of one snapshot (ATM IV, RR25, BF25 are decimals: 0.2588 = 25.88 %)."""
    out: dict[str, Any] = {
        "symbol": snapshot.underlying.symbol,
        "expiry": iso(snapshot.expiry),
        "bucket": bucket_name(underlying=snapshot.underlying, minute=snapshot.minute, expiry=snapshot.expiry),
        "minute": iso(snapshot.minute),
        "days_to_expiry": round(snapshot.t_years * 365, 4),
    }
    out.update({name: getattr(snapshot, name) for name in SUMMARY_FIELDS})
    return out


def chain_summary(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    return snapshot_summary(snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at))


LEG_FIELDS: tuple[str, ...] = ("strike_offset", *legs.QUOTE, *legs.ANALYTICS)


def chain_greeks(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    """Every strike with both legs' premium, IV, greeks, OI, build-up and quality flags."""
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    rows = (
        OptionQuote.objects.filter(underlying=snapshot.underlying, expiry=snapshot.expiry, minute=snapshot.minute)
        .order_by("strike", "option_type")
        .values("strike", "option_type", *LEG_FIELDS)
    )
    strikes: dict[float, dict[str, Any]] = {}
    for row in rows:
        entry = strikes.setdefault(row["strike"], {"strike": row["strike"], "call": None, "put": None})
        leg = "call" if row["option_type"] == OptionType.CE else "put"
        entry[leg] = {name: row[name] for name in LEG_FIELDS}
    return {**_head(snapshot), "strikes": list(strikes.values())}


def _head(snapshot: ChainSnapshot) -> dict[str, Any]:
    return {
        "symbol": snapshot.underlying.symbol,
        "expiry": iso(snapshot.expiry),
        "minute": iso(snapshot.minute),
        "spot": snapshot.spot,
        "forward": snapshot.forward,
        "atm_strike": snapshot.atm_strike,
        "atm_iv": snapshot.atm_iv,
        "t_years": snapshot.t_years,
    }


def _smile_points(snapshot: ChainSnapshot) -> list[dict[str, Any]]:
    """Per strike: both IVs and the OTM IV (puts below the forward, calls at or above), with log-moneyness."""
    data = snapshot.by_strike or {}
    points = []
    for i, strike in enumerate(data.get("strikes", [])):
        call_iv, put_iv = data["call_iv"][i], data["put_iv"][i]
        otm = call_iv if strike >= snapshot.forward else put_iv
        points.append(
            {
                "strike": strike,
                "log_moneyness": math.log(strike / snapshot.forward) if strike and snapshot.forward else None,
                "call_iv": call_iv,
                "put_iv": put_iv,
                "iv": otm,
            }
        )
    return points


def iv_smile(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    return {**_head(snapshot), "rr25": snapshot.rr25, "bf25": snapshot.bf25, "points": _smile_points(snapshot)}


def iv_surface(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    """Every analysed expiry's OTM smile at the minute (expiry/bucket, when given, only pick the minute's data)."""
    found = underlying_resolve(underlying)
    minute = minute_resolve(underlying=found, at=at)
    if expiry is not None or bucket is not None:
        snapshot_get(underlying=found, expiry=expiry, bucket=bucket, at=minute)  # validates the request
    snapshots = ChainSnapshot.objects.filter(underlying=found, minute=minute).order_by("expiry")
    return {
        "symbol": found.symbol,
        "minute": iso(minute),
        "expiries": [
            {
                "expiry": iso(s.expiry),
                "t_years": s.t_years,
                "days_to_expiry": round(s.t_years * 365, 4),
                "forward": s.forward,
                "atm_iv": s.atm_iv,
                "points": _smile_points(s),
            }
            for s in snapshots.select_related("underlying")
        ],
    }


def oi_by_strike(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    """OI and ΔOI (units) per strike for both legs, with the walls and max pain."""
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    data = snapshot.by_strike or {}
    names = ("call_oi", "put_oi", "call_oi_change", "put_oi_change", "call_volume", "put_volume")
    strikes = [
        {"strike": strike, **{name: data[name][i] for name in names}}
        for i, strike in enumerate(data.get("strikes", []))
    ]
    return {
        **_head(snapshot),
        "max_pain": snapshot.max_pain,
        "call_oi_wall": snapshot.call_oi_wall,
        "put_oi_wall": snapshot.put_oi_wall,
        "pcr_oi": snapshot.pcr_oi,
        "pcr_oi_change": snapshot.pcr_oi_change,
        "strikes": strikes,
    }


def gex(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    """Dealer gamma exposure per strike and net, ₹ per 1 % move (dealers short calls, long puts)."""
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    data = snapshot.by_strike or {}
    return {
        **_head(snapshot),
        "net_gex": snapshot.net_gex,
        "convention": "dealers short calls (+) and long puts (-); GEX = gamma * OI(units) * F^2 * 0.01",
        "strikes": [{"strike": k, "gex": data["gex"][i]} for i, k in enumerate(data.get("strikes", []))],
    }
