"""Reads of saved strategies, scoped to their owner (staff: everyone's), and a strategy's P&L through a day."""

from __future__ import annotations

from datetime import date
from functools import reduce
from operator import or_
from typing import Any, TypedDict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from apps.core.errors import NotFoundError
from apps.market import rules
from apps.market.clock import ist_day_bounds, to_ist
from apps.marketdata.models import OptionQuote, UnderlyingQuote
from apps.strategies.models import Strategy
from apps.strategies.services.payoff import mid_price

User = AbstractBaseUser | AnonymousUser


def strategy_list(*, user: User) -> QuerySet[Strategy]:
    strategies = Strategy.objects.select_related("underlying", "owner").order_by("-updated_at", "-id")
    return strategies if getattr(user, "is_staff", False) else strategies.filter(owner_id=user.pk)


def strategy_get(*, user: User, pk: int) -> Strategy:
    strategy = strategy_list(user=user).filter(pk=pk).first()
    if strategy is None:
        raise NotFoundError(f"No strategy with id {pk}.")
    return strategy


class PnlLeg(TypedDict):
    expiry: str
    strike: float
    option_type: str
    side: str
    lots: int
    quantity: int
    entry: float | None
    entry_source: str


class StrategyPnl(TypedDict):
    id: int
    symbol: str
    date: str
    legs: list[PnlLeg]
    minutes: list[str]
    spot: list[float | None]
    pnl: list[float | None]


def strategy_pnl(*, strategy: Strategy, day: date) -> StrategyPnl:
    """The strategy's P&L at each archived minute of ``day`` (IST), every leg marked at its mid. A leg without a
    price is entered at its mid at the first minute it is archived that day. A minute where a leg has no quote
    has no P&L (null), never a guess."""
    start, end = ist_day_bounds(day)
    symbol = strategy.underlying.symbol
    keys = [(leg["expiry"], float(leg["strike"]), leg["option_type"]) for leg in strategy.legs]
    match = reduce(or_, (Q(expiry=e, strike=k, option_type=o) for e, k, o in keys))
    rows = (
        OptionQuote.objects.filter(match, underlying=strategy.underlying, minute__gte=start, minute__lt=end)
        .order_by("minute")
        .values_list("minute", "expiry", "strike", "option_type", "bid", "ask", "last_price")
    )
    marks: dict[Any, dict[tuple[str, float, str], float]] = {}
    for minute, expiry, strike, option_type, bid, ask, last in rows:
        mid = mid_price(bid, ask, last)
        if mid is not None:
            marks.setdefault(minute, {})[(expiry.isoformat(), strike, option_type)] = mid
    minutes = sorted(marks)
    legs: list[PnlLeg] = []
    for leg, key in zip(strategy.legs, keys, strict=True):
        quantity = int(leg["lots"]) * rules.lot_size(symbol, date.fromisoformat(leg["expiry"]))
        entry, source = leg.get("price"), "given"
        if entry is None:
            source = "first_mid"
            entry = next((marks[m][key] for m in minutes if key in marks[m]), None)
        legs.append(
            PnlLeg(
                expiry=leg["expiry"],
                strike=float(leg["strike"]),
                option_type=leg["option_type"],
                side=leg["side"],
                lots=int(leg["lots"]),
                quantity=quantity,
                entry=entry,
                entry_source=source,
            )
        )
    pnl: list[float | None] = []
    for minute in minutes:
        total: float | None = 0.0
        for leg, key in zip(legs, keys, strict=True):
            mark = marks[minute].get(key)
            if mark is None or leg["entry"] is None or total is None:
                total = None
                continue
            sign = 1 if leg["side"] == "buy" else -1
            total += sign * leg["quantity"] * (mark - leg["entry"])
        pnl.append(None if total is None else round(total, 2))
    spots = dict(
        UnderlyingQuote.objects.filter(underlying=strategy.underlying, minute__in=minutes).values_list("minute", "spot")
    )
    return StrategyPnl(
        id=strategy.pk,
        symbol=symbol,
        date=day.isoformat(),
        legs=legs,
        minutes=[to_ist(m).isoformat() for m in minutes],
        spot=[spots.get(m) for m in minutes],
        pnl=pnl,
    )
