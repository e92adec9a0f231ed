"""A strategy's payoff on the archived chain of one minute: each leg priced with its expiry's smile (sticky strike,
the chain's own IVs interpolated over strikes) on its expiry's forward, entry prices defaulting to the mid."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

import numpy as np
from django.conf import settings
from django.utils import timezone

from apps.analytics.models import ChainSnapshot
from apps.core.errors import ApplicationError
from apps.market import rules
from apps.market.calendar import is_trading_day, session_close, years_to_expiry
from apps.market.choices import OptionType
from apps.market.clock import IST, to_ist
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote, UnderlyingQuote
from apps.marketdata.selectors import chain_minute_at
from apps.strategies.services.margin import MarginLeg, strategy_margin
from pricing import strategy as maths
from pricing.year_fraction import year_fraction_minutes

MAX_DATES = 5


class StrategyInvalid(ApplicationError):
    """A 400 naming the field: ``{"error": "<field>: <why>", "fields": {"<field>": ["<why>"]}}``."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", extra={"fields": {field: [message]}})


@dataclass(frozen=True)
class LegInput:
    expiry: date
    strike: float
    option_type: str
    side: str
    lots: int
    price: float | None = None


@dataclass
class ExpiryChain:
    """One expiry at its archived minute: the forward, the smile, the ATM IV and each contract's mid."""

    expiry: date
    minute: datetime
    forward: float
    atm_iv: float | None
    smile_strikes: np.ndarray
    smile_ivs: np.ndarray
    mids: dict[tuple[float, str], float]


class PnlPoint(TypedDict):
    spot: float
    pnl: float


class DatedCurve(TypedDict):
    date: str
    points: list[PnlPoint]


class LegOut(TypedDict):
    expiry: str
    strike: float
    option_type: str
    side: str
    lots: int
    lot_size: int
    quantity: int
    price: float
    price_source: str
    iv: float | None


class Payoff(TypedDict):
    symbol: str
    minute: str
    spot: float
    lot_size: int
    legs: list[LegOut]
    at_expiry: list[PnlPoint]
    before_expiry: list[DatedCurve]
    breakevens: list[float]
    max_profit: float | None
    max_loss: float | None
    unlimited: dict[str, bool]
    pop: float | None
    net_premium: float
    greeks: dict[str, float]
    margin: dict[str, Any]


def underlying_for(symbol: str) -> Underlying:
    underlying = Underlying.objects.filter(symbol__iexact=symbol.strip()).first()
    if underlying is None:
        raise StrategyInvalid("symbol", f"unknown symbol {symbol!r}.")
    return underlying


def mid_price(bid: float | None, ask: float | None, last: float | None) -> float | None:
    """The mid of a two-sided, uncrossed quote; else the last traded price."""
    if bid and ask and bid > 0 and ask >= bid:
        return (bid + ask) / 2.0
    return last if last and last > 0 else None


def expiry_chain(*, underlying: Underlying, expiry: date, at: datetime, field: str) -> ExpiryChain:
    minute = chain_minute_at(underlying=underlying, at=at, expiry=expiry)
    if minute is None:
        raise StrategyInvalid(
            field,
            f"no {underlying.symbol} quotes for expiry {expiry.isoformat()} are archived at or before {_ist(at)}.",
        )
    rows = list(
        OptionQuote.objects.filter(underlying=underlying, expiry=expiry, minute=minute).values(
            "strike", "option_type", "iv", "bid", "ask", "last_price", "forward"
        )
    )
    snapshot = (
        ChainSnapshot.objects.filter(underlying=underlying, expiry=expiry, minute=minute)
        .values("forward", "atm_iv")
        .first()
    )
    forward = float(snapshot["forward"]) if snapshot else float(np.median([r["forward"] for r in rows]))
    by_strike: dict[float, dict[str, float | None]] = {}
    mids: dict[tuple[float, str], float] = {}
    for row in rows:
        by_strike.setdefault(row["strike"], {})[row["option_type"]] = row["iv"]
        mid = mid_price(row["bid"], row["ask"], row["last_price"])
        if mid is not None:
            mids[(row["strike"], row["option_type"])] = mid
    strikes = np.array(sorted(by_strike), dtype=float)
    # The out-of-the-money side's IV at each strike (the other side where it has none), as the smile is built.
    ivs = np.array(
        [_otm_iv(by_strike[k], call_side=k >= forward) for k in strikes],
        dtype=float,
    )
    if not np.isfinite(ivs).any():
        raise StrategyInvalid(
            field,
            f"no IVs are archived for expiry {expiry.isoformat()} at {_ist(minute)} (analytics has not run for it).",
        )
    atm_iv = snapshot["atm_iv"] if snapshot and snapshot["atm_iv"] else float(maths.smile_iv(strikes, ivs, forward))
    return ExpiryChain(expiry, minute, forward, atm_iv, strikes, ivs, mids)


def _otm_iv(ivs: dict[str, float | None], *, call_side: bool) -> float:
    first, second = (OptionType.CE, OptionType.PE) if call_side else (OptionType.PE, OptionType.CE)
    for side in (first, second):
        value = ivs.get(side)
        if value is not None and value > 0:
            return float(value)
    return math.nan


def spot_at(*, underlying: Underlying, minute: datetime) -> float:
    quote = UnderlyingQuote.objects.filter(underlying=underlying, minute__lte=minute).order_by("-minute").first()
    if quote is not None:
        return float(quote.spot)
    spot = OptionQuote.objects.filter(underlying=underlying, minute=minute).values_list("spot", flat=True).first()
    if spot is None:
        raise ApplicationError(f"No {underlying.symbol} spot is archived at {_ist(minute)}.")
    return float(spot)


def lot_size_for(symbol: str, expiry: date) -> int:
    try:
        return rules.lot_size(symbol, expiry)
    except ValueError as exc:
        raise StrategyInvalid("symbol", f"the market rules have no lot size for {symbol}: {exc}") from None


def strategy_payoff(
    *,
    symbol: str,
    legs: list[LegInput],
    at: datetime | None = None,
    spots: list[float] | None = None,
    dates: list[date] | None = None,
    iv_shift: float = 0.0,
) -> Payoff:
    """The payoff of ``legs`` valued at the archived minute at or before ``at`` (default: now)."""
    underlying = underlying_for(symbol)
    at = at or timezone.now()
    if not legs:
        raise StrategyInvalid("legs", "give at least one leg.")
    chains: dict[date, ExpiryChain] = {}
    for i, leg in enumerate(legs):
        if leg.expiry not in chains:
            chains[leg.expiry] = expiry_chain(
                underlying=underlying, expiry=leg.expiry, at=at, field=f"legs[{i}].expiry"
            )
    minute = max(chain.minute for chain in chains.values())
    spot = spot_at(underlying=underlying, minute=minute)
    rate = float(settings.OPTRADING_RISK_FREE_RATE)
    exchange = underlying.exchange

    priced: list[maths.StrategyLeg] = []
    out_legs: list[LegOut] = []
    for i, leg in enumerate(legs):
        chain = chains[leg.expiry]
        t = years_to_expiry(minute, leg.expiry, exchange)
        if t <= 0:
            raise StrategyInvalid(f"legs[{i}].expiry", f"{leg.expiry.isoformat()} had expired by {_ist(minute)}.")
        price, source = leg.price, "given"
        if price is None:
            price, source = chain.mids.get((leg.strike, leg.option_type)), "mid"
            if price is None:
                raise StrategyInvalid(
                    f"legs[{i}].price",
                    f"no quote of {underlying.symbol} {leg.expiry.isoformat()} {leg.strike:g} {leg.option_type} is "
                    f"archived at {_ist(chain.minute)}; give a price.",
                )
        lot = lot_size_for(underlying.symbol, leg.expiry)
        quantity = leg.lots * lot * (1 if leg.side == "buy" else -1)
        iv = float(maths.smile_iv(chain.smile_strikes, chain.smile_ivs, leg.strike))
        priced.append(
            maths.StrategyLeg(
                strike=leg.strike,
                is_call=leg.option_type == OptionType.CE,
                quantity=quantity,
                price=price,
                t=t,
                iv=iv,
                carry=math.log(chain.forward / spot) / t,
            )
        )
        out_legs.append(
            LegOut(
                expiry=leg.expiry.isoformat(),
                strike=leg.strike,
                option_type=leg.option_type,
                side=leg.side,
                lots=leg.lots,
                lot_size=lot,
                quantity=abs(quantity),
                price=round(price, 4),
                price_source=source,
                iv=iv if math.isfinite(iv) else None,
            )
        )

    first = min(chains)
    today = to_ist(minute).date()
    for i, day in enumerate(dates or []):
        if not today <= day < first:
            raise StrategyInvalid(
                f"dates[{i}]",
                f"{day.isoformat()} is not between the valuation day {today} and the first expiry {first}.",
            )
    grid = np.asarray(spots, dtype=float) if spots else default_spots(priced, spot, chains[first].atm_iv)
    limits = maths.extremes(priced, spot, r=rate)
    before = []
    for day in dates if dates is not None else default_dates(minute, first, exchange):
        elapsed = 0.0 if day == today else max(0.0, year_fraction_minutes(minute, session_close(day, exchange)))
        values = maths.pnl(priced, grid, elapsed=elapsed, r=rate, iv_shift=iv_shift)
        before.append(DatedCurve(date=day.isoformat(), points=_points(grid, values)))
    atm_iv = chains[first].atm_iv
    return Payoff(
        symbol=underlying.symbol,
        minute=to_ist(minute).isoformat(),
        spot=spot,
        lot_size=lot_size_for(underlying.symbol, first),
        legs=out_legs,
        at_expiry=_points(grid, maths.at_expiry(priced, grid, r=rate)),
        before_expiry=before,
        breakevens=[round(x, 2) for x in maths.breakevens(priced, spot, r=rate)],
        max_profit=_money(limits.max_profit),
        max_loss=_money(limits.max_loss),
        unlimited={"profit": limits.unlimited_profit, "loss": limits.unlimited_loss},
        pop=None
        if atm_iv is None
        else maths.probability_of_profit(priced, spot, forward=chains[first].forward, sigma=atm_iv, r=rate),
        net_premium=round(maths.net_premium(priced), 2),
        greeks={name: round(value, 6) for name, value in maths.aggregate_greeks(priced, spot, r=rate).items()},
        margin=strategy_margin(
            underlying=underlying,
            legs=[
                MarginLeg(leg.expiry, leg.strike, leg.option_type, leg.side, out["quantity"])
                for leg, out in zip(legs, out_legs, strict=True)
            ],
        ),
    )


def default_spots(legs: list[maths.StrategyLeg], spot: float, atm_iv: float | None, points: int = 121) -> np.ndarray:
    """Spot ± four standard deviations to the first expiry (at least ±5 %), widened to every strike, plus the
    strikes themselves so the kinks are drawn."""
    t = maths.first_expiry(legs)
    width = max(4.0 * (atm_iv or 0.15) * math.sqrt(max(t, 1 / 365)), 0.05)
    low = min(spot * math.exp(-width), *(leg.strike for leg in legs))
    high = max(spot * math.exp(width), *(leg.strike for leg in legs))
    even = np.linspace(low, high, points)
    return np.unique(np.round(np.concatenate([even, [leg.strike for leg in legs], [spot]]), 2))


def default_dates(minute: datetime, expiry: date, exchange: str) -> list[date]:
    """The valuation day and up to four trading days after it before the expiry day, evenly spread."""
    today = to_ist(minute).date()
    days = []
    day = today + timedelta(days=1)
    while day < expiry:
        if is_trading_day(day, exchange):
            days.append(day)
        day += timedelta(days=1)
    if len(days) > MAX_DATES - 1:
        picks = np.linspace(0, len(days) - 1, MAX_DATES - 1).round().astype(int)
        days = [days[i] for i in sorted(set(picks.tolist()))]
    return [today, *days] if today < expiry else [today]


def _points(spots: np.ndarray, values: np.ndarray) -> list[PnlPoint]:
    return [PnlPoint(spot=round(float(s), 2), pnl=round(float(v), 2)) for s, v in zip(spots, values, strict=True)]


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _ist(moment: datetime) -> str:
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M IST")
