"""Which contracts one collection run asks for: buckets, forward estimate, ATM and strike offsets.

Pure functions over plain data; the collection service loads the listed contracts and quotes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from apps.market.buckets import assign_buckets, bucket_of
from apps.market.calendar import years_to_expiry
from apps.market.strikes import atm_strike, strike_offset, strike_step, strikes_for_offsets
from pricing.year_fraction import MINUTES_PER_YEAR

ONE_HOUR_IN_YEARS = 60 / MINUTES_PER_YEAR
"""A future this close to its expiry says nothing about the carry."""


@dataclass(frozen=True)
class Contract:
    """One listed option as the planner needs it."""

    instrument_id: int
    key: str
    expiry: date
    strike: float
    option_type: str


@dataclass(frozen=True)
class Future:
    key: str
    expiry: date


@dataclass
class PlannedExpiry:
    expiry: date
    bucket: str
    forward: float
    atm: float
    step: float
    contracts: list[tuple[Contract, int]] = field(default_factory=list)  # (contract, strike offset)


@dataclass
class UnderlyingPlan:
    spot: float
    spot_close: float | None
    future: float | None
    future_expiry: date | None
    futures: dict[date, float]
    expiries: list[PlannedExpiry]
    futures_oi: dict[date, int] = field(default_factory=dict)  # units, as Kite sends them

    @property
    def keys(self) -> list[str]:
        return [c.key for e in self.expiries for c, _ in e.contracts]


def forward_estimate(*, spot: float, expiry: date, minute: datetime, futures: dict[date, float], rate: float) -> float:
    """The future of the same expiry; else spot carried at the cost of carry implied by the nearest
    quoted future (it includes the dividend yield); else spot·e^{rt}. Analytics later replaces this
    collection-time estimate with the put-call-parity forward."""
    if expiry in futures:
        return futures[expiry]
    t = max(years_to_expiry(minute, expiry), 0.0)
    carry = rate
    for fut_expiry, price in sorted(futures.items()):
        t_fut = years_to_expiry(minute, fut_expiry)
        if t_fut > ONE_HOUR_IN_YEARS and price > 0 and spot > 0:
            carry = math.log(price / spot) / t_fut
            break
    return spot * math.exp(carry * t)


def plan_underlying(
    *,
    contracts: Iterable[Contract],
    spot: float,
    spot_close: float | None,
    futures: dict[date, float],
    minute: datetime,
    today: date,
    has_weeklies: bool,
    rate: float,
    scope: str,
    offsets: Sequence[int],
    full_pct: float,
    full_expiries: int,
) -> UnderlyingPlan:
    by_expiry: dict[date, list[Contract]] = defaultdict(list)
    for contract in contracts:
        if contract.expiry >= today:
            by_expiry[contract.expiry].append(contract)
    listed = sorted(by_expiry)
    buckets = assign_buckets(listed, today=today, has_weeklies=has_weeklies)
    chosen = listed[:full_expiries] if scope == "full" else sorted(set(buckets.values()))

    planned: list[PlannedExpiry] = []
    for expiry in chosen:
        chain = by_expiry[expiry]
        strikes = sorted({c.strike for c in chain})
        forward = forward_estimate(spot=spot, expiry=expiry, minute=minute, futures=futures, rate=rate)
        atm = atm_strike(strikes, forward)
        step = strike_step(strikes, atm)
        if scope == "full":
            low, high = forward * (1 - full_pct / 100), forward * (1 + full_pct / 100)
            wanted = {s for s in strikes if low <= s <= high}
        else:
            wanted = set(strikes_for_offsets(strikes, atm, offsets).values())
        selected = sorted(
            ((c, strike_offset(c.strike, atm, step)) for c in chain if c.strike in wanted),
            key=lambda pair: (pair[0].strike, pair[0].option_type),
        )
        planned.append(
            PlannedExpiry(
                expiry=expiry,
                bucket=bucket_of(expiry, buckets),
                forward=forward,
                atm=atm,
                step=step,
                contracts=selected,
            )
        )
    nearest_future = min(futures) if futures else None
    return UnderlyingPlan(
        spot=spot,
        spot_close=spot_close,
        future=futures[nearest_future] if nearest_future else None,
        future_expiry=nearest_future,
        futures=dict(sorted(futures.items())),
        expiries=planned,
    )
