"""KiteTicker ticks turned into the quote shape the rest of the platform reads, and the book that keeps them.

pykiteconnect parses the binary frames into dicts with v4 names (``volume_traded``, ``average_traded_price``,
...), ``change`` in percent and datetimes that are naive *host-local* time (``datetime.fromtimestamp``). The
collection service reads Kite's ``/quote`` shape with naive IST datetimes, so each tick is converted once, on
arrival, and the collection code stays the same for both sources. Pure Python: no Django, no Twisted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from apps.brokers.base import QuoteDict
from apps.brokers.kite.normalise import quote_normalise
from apps.market.clock import IST


def host_local_to_ist(value: Any) -> datetime | None:
    """pykiteconnect's ``datetime.fromtimestamp(epoch)`` (naive, in the host's zone) as naive IST, the
    convention of Kite's REST quotes. Works whatever TZ the process runs with."""
    if not isinstance(value, datetime):
        return None
    aware = value.astimezone() if value.tzinfo is None else value  # naive → the host's local zone
    return aware.astimezone(IST).replace(tzinfo=None)


def tick_quote(tick: dict[str, Any], previous: QuoteDict | None = None) -> QuoteDict:
    """One tick as a normalised Kite full quote. Fields a shorter packet (ltp, quote) lacks are kept
    from ``previous``, so an ltp tick after a full one moves the price without blanking the depth."""
    quote: dict[str, Any] = dict(previous or {})
    quote["instrument_token"] = tick["instrument_token"]
    quote["last_price"] = tick["last_price"]
    renames = {
        "last_traded_quantity": "last_quantity",
        "average_traded_price": "average_price",
        "volume_traded": "volume",
        "total_buy_quantity": "buy_quantity",
        "total_sell_quantity": "sell_quantity",
        "oi": "oi",
        "oi_day_high": "oi_day_high",
        "oi_day_low": "oi_day_low",
        "ohlc": "ohlc",
        "depth": "depth",
    }
    for tick_name, quote_name in renames.items():
        if tick_name in tick:
            quote[quote_name] = tick[tick_name]
    if "exchange_timestamp" in tick:
        quote["timestamp"] = host_local_to_ist(tick["exchange_timestamp"])
    if "last_trade_time" in tick:
        quote["last_trade_time"] = host_local_to_ist(tick["last_trade_time"])
    for name in ("timestamp", "last_trade_time"):
        quote.setdefault(name, None)
    for name in ("volume", "oi", "oi_day_high", "oi_day_low", "last_quantity", "buy_quantity", "sell_quantity"):
        quote.setdefault(name, 0)
    # quote_normalise recomputes net_change from ohlc.close (the tick's own ``change`` is a percentage),
    # drops zero-padded depth levels and turns 1970 timestamps (no trade yet) into None.
    return quote_normalise(quote)


class TickBook:
    """The latest state of every streamed instrument, written by the ticker thread, read at each minute.

    Thread-safe. ``clear()`` on disconnect: after a reconnect Kite sends a fresh snapshot of every
    subscribed token, and until then nothing old may pass for current.
    """

    def __init__(self) -> None:
        self._quotes: dict[int, QuoteDict] = {}
        self._lock = threading.Lock()

    def update(self, ticks: Iterable[dict[str, Any]]) -> int:
        """Apply a batch of pykiteconnect ticks; returns how many were applied."""
        applied = 0
        with self._lock:
            for tick in ticks:
                token = tick.get("instrument_token")
                if not isinstance(token, int) or tick.get("last_price") is None:
                    continue
                self._quotes[token] = tick_quote(tick, self._quotes.get(token))
                applied += 1
        return applied

    def quotes(self, tokens: Iterable[int]) -> dict[int, QuoteDict]:
        """Copies of the latest quotes of the given tokens that have ticked (others are absent)."""
        with self._lock:
            return {t: dict(self._quotes[t]) for t in tokens if t in self._quotes}

    def discard(self, tokens: Iterable[int]) -> None:
        """Forget unsubscribed tokens, so a stale price cannot be stored for them later."""
        with self._lock:
            for token in tokens:
                self._quotes.pop(token, None)

    def clear(self) -> None:
        with self._lock:
            self._quotes.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._quotes)
