"""Turn one Kite-shaped quote into the numbers we store (pure: no database access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apps.market.clock import ist_naive_to_utc


def _level(depth: dict[str, Any] | None, side: str) -> tuple[float | None, int | None]:
    """Best price and quantity on one side, skipping Kite's zero-padded empty levels."""
    for level in (depth or {}).get(side) or []:
        price, quantity = float(level.get("price") or 0), int(level.get("quantity") or 0)
        if price > 0 or quantity > 0:
            return (price if price > 0 else None), quantity
    return None, None


@dataclass(frozen=True)
class QuoteFields:
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
    last_trade_time: datetime | None

    @property
    def net_change(self) -> float | None:
        """Computed from ohlc.close: Kite's own net_change is often 0."""
        return None if self.close_price is None else self.last_price - self.close_price


def quote_fields(quote: dict[str, Any]) -> QuoteFields:
    close = (quote.get("ohlc") or {}).get("close")
    bid, bid_qty = _level(quote.get("depth"), "buy")
    ask, ask_qty = _level(quote.get("depth"), "sell")
    average = quote.get("average_price")
    return QuoteFields(
        last_price=float(quote.get("last_price") or 0.0),
        average_price=float(average) if average else None,
        close_price=float(close) if close else None,
        volume=int(quote.get("volume") or 0),
        oi=int(quote.get("oi") or 0),
        oi_day_high=int(quote.get("oi_day_high") or 0),
        oi_day_low=int(quote.get("oi_day_low") or 0),
        bid=bid,
        bid_qty=bid_qty,
        ask=ask,
        ask_qty=ask_qty,
        last_trade_time=ist_naive_to_utc(quote.get("last_trade_time")),
    )
