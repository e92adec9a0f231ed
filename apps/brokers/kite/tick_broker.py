"""TickBroker: the broker interface answered from live ticks, so collection stores ticks like quotes.

``kite_ticker`` hands this to the collection service once a minute: planning (buckets, forward, ATM,
offsets), storage (one row per instrument per minute, first writer wins) and the after-commit hooks
(analytics, live feeds) are the same code as for ``/quote``; only the source differs. It never calls
Kite: a key whose instrument has not ticked is simply absent (recorded as missing, never stored as
zero), and the keys it was asked for are remembered so the stream can subscribe to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apps.brokers.base import Broker, InstrumentRow, PermanentBrokerError, QuoteDict, RateLimiter
from apps.brokers.kite.ticks import TickBook
from apps.market.models import Instrument


class NoRateLimit(RateLimiter):
    """Reading the local tick book costs Kite nothing."""

    def acquire(self, kind: str) -> None:
        return None


def instrument_tokens_by_key(keys: Sequence[str]) -> dict[str, int]:
    """``EXCHANGE:TRADINGSYMBOL`` → instrument token, for the listed (active) instruments among ``keys``."""
    by_exchange: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        exchange, _, symbol = key.partition(":")
        by_exchange[exchange].append(symbol)
    tokens: dict[str, int] = {}
    for exchange, symbols in by_exchange.items():
        rows = Instrument.objects.filter(exchange=exchange, tradingsymbol__in=symbols, active=True)
        for symbol, token in rows.values_list("tradingsymbol", "instrument_token"):
            tokens[f"{exchange}:{symbol}"] = token
    return tokens


class TickBroker(Broker):
    name = "kite_ticker"

    def __init__(self, *, book: TickBook, connected: Callable[[], tuple[bool, str]]):
        super().__init__(rate_limiter=NoRateLimit())
        self.book = book
        self._connected = connected
        self.requested: dict[str, int] = {}
        """Every key collection asked for since the last ``requested_take()``, with its token."""

    def ready(self) -> tuple[bool, str]:
        return self._connected()

    def _instruments(self, exchange: str | None) -> list[InstrumentRow]:
        raise PermanentBrokerError("The tick stream has no instruments dump; sync_instruments uses Kite's REST API.")

    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        tokens = instrument_tokens_by_key(keys)
        self.requested.update(tokens)
        quotes = self.book.quotes(tokens.values())
        return {key: quotes[token] for key, token in tokens.items() if token in quotes}

    def requested_take(self) -> dict[str, int]:
        requested, self.requested = self.requested, {}
        return requested

    def collection_minute(self, *, last_collected: datetime | None, now: datetime) -> datetime:
        """Ticks are now: the current minute, aware UTC."""
        return now.astimezone(UTC).replace(second=0, microsecond=0)
