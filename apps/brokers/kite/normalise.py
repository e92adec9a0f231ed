"""pykiteconnect's quote dicts made safe to use: floats for prices, no junk timestamps, no padding."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apps.brokers.base import QuoteDict

PRICE_FIELDS = ("last_price", "average_price", "net_change", "lower_circuit_limit", "upper_circuit_limit")
TIME_FIELDS = ("timestamp", "last_trade_time")
LAST_JUNK_YEAR = 1970
"""Outside market hours Kite sends epoch 0 (1970-01-01 05:30:00 IST) for timestamps: it means "none"."""


def quote_normalise(raw: dict[str, Any]) -> QuoteDict:
    """One full quote, normalised. Timestamps stay naive IST datetimes, exactly as pykiteconnect
    returns them (the collection service converts them), except junk ones which become None."""
    quote = dict(raw)
    for name in PRICE_FIELDS:
        if quote.get(name) is not None:
            quote[name] = float(quote[name])
    quote["ohlc"] = {k: float(v) for k, v in (raw.get("ohlc") or {}).items() if v is not None}
    quote["depth"] = {side: _levels((raw.get("depth") or {}).get(side)) for side in ("buy", "sell")}
    for name in TIME_FIELDS:
        value = quote.get(name)
        if isinstance(value, datetime) and value.year <= LAST_JUNK_YEAR:
            quote[name] = None
    # Kite's own net_change is often 0 (the exchange feed sends 0); the change is against the previous close.
    close = quote["ohlc"].get("close") or 0.0
    last = quote.get("last_price")
    quote["net_change"] = round(last - close, 6) if close > 0 and last is not None else 0.0
    return quote


def _levels(levels: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Real depth levels only: Kite pads each side to five levels with price 0 and quantity 0."""
    kept = []
    for level in levels or []:
        price, quantity = float(level.get("price") or 0), int(level.get("quantity") or 0)
        if price == 0 and quantity == 0:
            continue
        kept.append({"price": price, "quantity": quantity, "orders": int(level.get("orders") or 0)})
    return kept
