"""A strategy's basket margin, asked of the configured broker (Kite's basket-margin API; docs/strategies.md). It never
fails the payoff: a broker without a margin system, no Kite session, a leg missing from the instrument master, or
Kite failing (token expired, 429, 5xx, network) all answer ``{"available": false, "reason": ...}`` with what went
wrong. Kite's answers are kept 30 s per account and basket (a new login asks afresh), so the payoff's what-if
sliders (which re-POST the same legs) do not spend Kite's rate limit.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.cache import cache

from apps.brokers.base import BasketMargin, BrokerError, MarginOrder, get_broker
from apps.market.models import Instrument, Underlying

logger = logging.getLogger(__name__)
CACHE_SECONDS = 30


@dataclass(frozen=True)
class MarginLeg:
    expiry: date
    strike: float
    option_type: str
    side: str  # "buy" | "sell"
    quantity: int  # units: lots x lot size


def margin_unavailable(reason: str) -> dict[str, Any]:
    return {
        "available": False,
        "reason": reason,
        "source": None,
        "initial": None,
        "final": None,
        "hedge_benefit": None,
        "span": None,
        "exposure": None,
        "premium": None,
    }


def margin_figures(margin: BasketMargin, *, source: str) -> dict[str, Any]:
    """The payoff's ``margin``: ``initial``/``final`` totals, the benefit, and ``final``'s breakdown (rupees)."""
    return {
        "available": True,
        "reason": "",
        "source": source,
        "initial": round(margin.initial.total, 2),
        "final": round(margin.final.total, 2),
        "hedge_benefit": round(margin.hedge_benefit, 2),
        "span": round(margin.final.span, 2),
        "exposure": round(margin.final.exposure, 2),
        "premium": round(margin.final.option_premium, 2),
    }


def strategy_margin(*, underlying: Underlying, legs: list[MarginLeg]) -> dict[str, Any]:
    """The basket margin of ``legs`` from the configured broker, or why there is none."""
    try:
        broker = get_broker()
    except BrokerError as exc:
        return margin_unavailable(f"No broker to ask for the margin: {exc}")
    ready, reason = broker.margin_ready()
    if not ready:
        return margin_unavailable(reason)
    orders = []
    for leg in legs:
        instrument = (
            Instrument.objects.filter(
                underlying=underlying, expiry=leg.expiry, strike=leg.strike, instrument_type=leg.option_type
            )
            .values("exchange", "tradingsymbol")
            .first()
        )
        if instrument is None:
            return margin_unavailable(
                f"{underlying.symbol} {leg.expiry.isoformat()} {leg.strike:g} {leg.option_type} is not in the "
                "instrument master, so it cannot be sent to the broker; run `manage.py sync_instruments`."
            )
        orders.append(
            MarginOrder(
                exchange=instrument["exchange"],
                tradingsymbol=instrument["tradingsymbol"],
                transaction_type="BUY" if leg.side == "buy" else "SELL",
                quantity=leg.quantity,
            )
        )
    key = _cache_key(broker.name, broker.margin_account(), orders)
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    try:
        margin = broker.basket_margin(orders)
    except BrokerError as exc:
        logger.warning("basket margin from %s failed: %s", broker.name, exc)
        suggestion = f" {exc.suggestion}." if exc.suggestion else ""
        said = str(exc).rstrip(".")
        return margin_unavailable(f"{broker.name.capitalize()} could not compute the margin: {said}.{suggestion}")
    figures = margin_figures(margin, source=broker.name)
    cache.set(key, figures, CACHE_SECONDS)
    return figures


def _cache_key(broker: str, account: str, orders: list[MarginOrder]) -> str:
    """Per account and basket: Kite counts the account's open positions in the margin."""
    text = account + "|" + "|".join(f"{o.exchange}:{o.tradingsymbol}:{o.transaction_type}:{o.quantity}" for o in orders)
    return f"optrading:margin:{broker}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"
