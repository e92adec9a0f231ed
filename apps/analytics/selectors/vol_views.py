"""Volatility views at a minute and through time: IV term structure, the strikes x expiries IV surface, the skew
history (RR25, BF25, ATM IV, straddle), and greek exposures by strike with the gamma flip."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, TypedDict

import numpy as np
from django.conf import settings
from django.db.models import Max

from apps.analytics.metrics.exposure import gamma_flip, signed
from apps.analytics.models import ChainSnapshot
from apps.analytics.selectors.resolve import bucket_name, iso, minute_resolve, snapshot_get, underlying_resolve
from apps.core.errors import NotFoundError
from apps.market.choices import OptionType
from apps.market.clock import to_ist
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote
from pricing import black76_second_order

ASSUMPTION = (
    "Exposures use the sign convention of net_gex: dealers are assumed long the calls and short the puts "
    "(the public writes calls and buys puts), so call exposure counts positive and put exposure negative, "
    "weighted by open interest in units. "
    "This is an assumption about positioning, not observed dealer books."
)


class TermPoint(TypedDict):
    expiry: str
    bucket: str
    days_to_expiry: float
    forward: float
    atm_iv: float | None
    straddle: float | None
    expected_move: float | None


class TermStructure(TypedDict):
    symbol: str
    minute: str
    expiries: list[TermPoint]


def term_structure(*, underlying: Underlying | str, at: datetime | None = None) -> TermStructure:
    """ATM IV (decimal), straddle and 1-sigma move of every expiry analysed at the minute."""
    found = underlying_resolve(underlying)
    minute = minute_resolve(underlying=found, at=at)
    snapshots = ChainSnapshot.objects.filter(underlying=found, minute=minute).order_by("expiry")
    return TermStructure(
        symbol=found.symbol,
        minute=iso(minute),
        expiries=[
            TermPoint(
                expiry=s.expiry.isoformat(),
                bucket=bucket_name(underlying=found, minute=minute, expiry=s.expiry),
                days_to_expiry=round(s.t_years * 365, 4),
                forward=s.forward,
                atm_iv=s.atm_iv,
                straddle=s.straddle,
                expected_move=s.expected_move,
            )
            for s in snapshots
        ],
    )


class Surface(TypedDict):
    symbol: str
    minute: str
    expiries: list[str]
    days_to_expiry: list[float]
    forwards: list[float]
    strikes: list[float]
    iv: list[list[float | None]]


def iv_matrix(*, underlying: Underlying | str, at: datetime | None = None) -> Surface:
    """IV (decimal) of the out-of-the-money leg at each strike (the other leg where it has none), one row per
    expiry and one column per strike of the union; None where that expiry does not list the strike."""
    found = underlying_resolve(underlying)
    minute = minute_resolve(underlying=found, at=at)
    snapshots = list(ChainSnapshot.objects.filter(underlying=found, minute=minute).order_by("expiry"))
    forwards = {s.expiry: s.forward for s in snapshots}
    cells: dict[tuple[object, float], dict[str, float | None]] = {}
    for expiry, strike, option_type, iv in OptionQuote.objects.filter(
        underlying=found, minute=minute, expiry__in=list(forwards)
    ).values_list("expiry", "strike", "option_type", "iv"):
        cells.setdefault((expiry, strike), {})[option_type] = iv
    strikes = sorted({strike for _, strike in cells})
    rows = []
    for s in snapshots:
        row: list[float | None] = []
        for strike in strikes:
            legs = cells.get((s.expiry, strike), {})
            first, second = (OptionType.CE, OptionType.PE) if strike >= s.forward else (OptionType.PE, OptionType.CE)
            row.append(legs.get(first) or legs.get(second))
        rows.append(row)
    return Surface(
        symbol=found.symbol,
        minute=iso(minute),
        expiries=[s.expiry.isoformat() for s in snapshots],
        days_to_expiry=[round(s.t_years * 365, 4) for s in snapshots],
        forwards=[s.forward for s in snapshots],
        strikes=strikes,
        iv=rows,
    )


class SkewPoint(TypedDict):
    minute: str
    expiry: str
    rr25: float | None
    bf25: float | None
    atm_iv: float | None
    straddle: float | None


class SkewHistory(TypedDict):
    symbol: str
    daily: bool
    points: list[SkewPoint]


def skew_history(
    *, underlying: Underlying | str, start: datetime, end: datetime, daily: bool, bucket: str | None = None
) -> SkewHistory:
    """RR25, BF25, ATM IV (decimals) and the ATM straddle of the nearest expiry (or the one filed in ``bucket``)
    at each analysed minute in [start, end], or at the last analysed minute of each day when ``daily``."""
    found = underlying_resolve(underlying)
    snapshots = ChainSnapshot.objects.filter(underlying=found, minute__gte=start, minute__lte=end)
    if bucket is not None:
        snapshots = snapshots.filter(expiry_bucket=bucket)
    fields = ("minute", "expiry", "rr25", "bf25", "atm_iv", "straddle")
    rows: list[dict[str, Any]] = [dict(r) for r in snapshots.order_by("minute", "expiry").values(*fields)]
    first: dict[datetime, dict[str, Any]] = {}
    for row in rows:
        if row["expiry"] >= to_ist(row["minute"]).date():
            first.setdefault(row["minute"], row)
    chosen = [first[m] for m in sorted(first)]
    if daily:
        last_of_day: dict[date, dict[str, Any]] = {}
        for picked in chosen:
            last_of_day[to_ist(picked["minute"]).date()] = picked
        chosen = [last_of_day[d] for d in sorted(last_of_day)]
    return SkewHistory(
        symbol=found.symbol,
        daily=daily,
        points=[
            SkewPoint(
                minute=iso(r["minute"]),
                expiry=r["expiry"].isoformat(),
                rr25=r["rr25"],
                bf25=r["bf25"],
                atm_iv=r["atm_iv"],
                straddle=r["straddle"],
            )
            for r in chosen
        ],
    )


def latest_analysed(*, underlying: Underlying | str) -> datetime:
    found = underlying_resolve(underlying)
    latest = ChainSnapshot.objects.filter(underlying=found).aggregate(last=Max("minute"))["last"]
    if latest is None:
        raise NotFoundError(f"No analytics for {found.symbol} yet.")
    return latest


class ExposureStrike(TypedDict):
    strike: float
    delta: float
    gamma: float
    vanna: float
    charm: float


class Exposures(TypedDict):
    symbol: str
    expiry: str
    minute: str
    forward: float
    assumption: str
    units: dict[str, str]
    strikes: list[ExposureStrike]
    net: dict[str, float]
    gamma_flip: float | None


UNITS = {
    "delta": "₹ of underlying: sign·delta·OI·F",
    "gamma": "₹ of delta per 1 % move: sign·gamma·OI·F²·0.01 (as net_gex)",
    "vanna": "₹ of delta per vol point: sign·vanna·OI·F",
    "charm": "₹ of delta per calendar day: sign·charm·OI·F",
    "gamma_flip": "the forward level within ±10 % where net gamma exposure changes sign (sticky-strike IVs)",
}


def exposures(
    *, underlying: Underlying | str, expiry: date | None = None, bucket: str | None = None, at: datetime | None = None
) -> Exposures:
    """Delta, gamma, vanna and charm exposure per strike and net, and the gamma flip (units in ``UNITS``)."""
    snapshot = snapshot_get(underlying=underlying, expiry=expiry, bucket=bucket, at=at)
    rows = list(
        OptionQuote.objects.filter(underlying=snapshot.underlying, expiry=snapshot.expiry, minute=snapshot.minute)
        .order_by("strike", "option_type")
        .values_list("strike", "option_type", "oi", "iv", "delta", "gamma")
    )
    strikes = np.array([r[0] for r in rows], dtype=float)
    is_call = np.array([r[1] == OptionType.CE for r in rows], dtype=bool)
    oi = np.array([r[2] or 0 for r in rows], dtype=float)
    iv = np.array([math.nan if r[3] is None else r[3] for r in rows], dtype=float)
    delta = np.array([math.nan if r[4] is None else r[4] for r in rows], dtype=float)
    gamma = np.array([math.nan if r[5] is None else r[5] for r in rows], dtype=float)
    f, t = snapshot.forward, snapshot.t_years
    rate = float(settings.OPTRADING_RISK_FREE_RATE)
    second = black76_second_order(f, strikes, t, rate, np.where(np.isfinite(iv), iv, 0.0), is_call)
    per = {
        "delta": signed(delta, is_call) * oi * f,
        "gamma": signed(gamma, is_call) * oi * f * f * 0.01,
        "vanna": signed(second["vanna"], is_call) * oi * f,
        "charm": signed(second["charm"], is_call) * oi * f,
    }
    unique, index = np.unique(strikes, return_inverse=True)
    totals = {name: np.zeros(unique.shape) for name in per}
    for name, values in per.items():
        np.add.at(totals[name], index, values)
    return Exposures(
        symbol=snapshot.underlying.symbol,
        expiry=snapshot.expiry.isoformat(),
        minute=iso(snapshot.minute),
        forward=f,
        assumption=ASSUMPTION,
        units=UNITS,
        strikes=[
            ExposureStrike(
                strike=float(k),
                delta=round(float(totals["delta"][i]), 2),
                gamma=round(float(totals["gamma"][i]), 2),
                vanna=round(float(totals["vanna"][i]), 2),
                charm=round(float(totals["charm"][i]), 2),
            )
            for i, k in enumerate(unique)
        ],
        net={name: round(float(values.sum()), 2) for name, values in totals.items()},
        gamma_flip=gamma_flip(forward=f, strikes=strikes, oi=oi, is_call=is_call, ivs=iv, t=t, r=rate),
    )
