"""The broker interface every market-data source implements, and the registry that picks one.

Implementations return exactly what pykiteconnect returns, so the rest of the platform never
knows which one it talks to:

* ``instruments()``: the parsed instruments dump, a list of dicts with the 12 Kite columns
  (``instrument_token`` int, ``exchange_token`` str, ``expiry`` a ``date`` or ``''``, ...).
* ``quote(keys)``: ``{"EXCHANGE:TRADINGSYMBOL": {...17 Kite quote fields...}}`` where ``timestamp``
  and ``last_trade_time`` are naive IST datetimes (or None) and unknown keys are simply absent.
* ``basket_margin(orders)``: the margin a basket of orders would block, before (``initial``) and after
  (``final``) its hedge benefit, as Kite's ``/margins/basket`` computes it. Only a broker with a margin
  system offers it: ``margin_ready()`` says why not (the simulated market and a replayed day have none).
"""

from __future__ import annotations

import abc
import importlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from django.conf import settings

InstrumentRow = dict[str, Any]
QuoteDict = dict[str, Any]

QUOTE_BATCH_SIZE = 500
"""Kite's /quote accepts at most 500 instruments per call."""


class BrokerError(Exception):
    """A broker failure. ``transient`` failures may be retried; permanent ones are recorded."""

    transient: ClassVar[bool] = False
    code: str = "broker_error"
    suggestion: str = ""

    def __init__(self, message: str, *, code: str | None = None, suggestion: str | None = None):
        super().__init__(message)
        if code:
            self.code = code
        if suggestion is not None:
            self.suggestion = suggestion


class TransientBrokerError(BrokerError):
    transient = True


class PermanentBrokerError(BrokerError):
    transient = False


class SessionRequiredError(PermanentBrokerError):
    """No usable session: nobody logged in, or the token expired or was rejected."""

    code = "session_required"


class MarginUnavailableError(PermanentBrokerError):
    """This broker has no margin system (or cannot be asked now); the message says why."""

    code = "margin_unavailable"


@dataclass(frozen=True)
class MarginOrder:
    """One order of a basket, as Kite's margin calculator takes it (``quantity`` in units, not lots)."""

    exchange: str
    tradingsymbol: str
    transaction_type: Literal["BUY", "SELL"]
    quantity: int


@dataclass(frozen=True)
class MarginFigures:
    """Rupees. ``total`` is what would be blocked: SPAN + exposure + the premium of bought options (+ anything else
    the broker adds)."""

    total: float
    span: float
    exposure: float
    option_premium: float


@dataclass(frozen=True)
class BasketMargin:
    """``initial``: each order margined on its own, summed; ``final``: the basket together, with its hedge benefit
    (and, at Kite, the account's open positions)."""

    initial: MarginFigures
    final: MarginFigures

    @property
    def hedge_benefit(self) -> float:
        return self.initial.total - self.final.total


class RateLimiter(abc.ABC):
    """Paces calls per API key and endpoint class (``quote``, ``historical``, ``other``)."""

    @abc.abstractmethod
    def acquire(self, kind: str) -> None:
        """Block until one call of ``kind`` may be made."""


class LocalRateLimiter(RateLimiter):
    """A per-process limiter, enough when one process talks to the broker (embedded mode, tests)."""

    RATES: ClassVar[dict[str, float]] = {"quote": 1.0, "historical": 3.0, "other": 10.0}

    def __init__(self, rates: dict[str, float] | None = None, clock: Callable[[], float] = time.monotonic):
        self.rates = dict(rates or self.RATES)
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, kind: str) -> None:
        interval = 1.0 / self.rates.get(kind, self.rates["other"])
        with self._lock:
            now = self._clock()
            at = max(now, self._next.get(kind, now))
            self._next[kind] = at + interval
        delay = at - self._clock()
        if delay > 0:
            time.sleep(delay)


class Broker(abc.ABC):
    """A source of instruments and quotes with Kite Connect's shapes."""

    name: ClassVar[str]
    simulated: ClassVar[bool] = False
    any_time: ClassVar[bool] = False
    """Collects outside market hours (the simulated market, a replayed day): no market-hours gate."""
    replays: ClassVar[bool] = False
    """Answers from an archive (the replay broker): its responses are not archived again."""
    margin_unavailable: ClassVar[str] = "This broker has no margin system."
    """Why ``basket_margin`` is not offered, for a broker that does not offer it."""

    def __init__(self, *, rate_limiter: RateLimiter | None = None):
        self.rate_limiter = rate_limiter or LocalRateLimiter()

    def instruments(self, exchange: str | None = None) -> list[InstrumentRow]:
        """The instruments dump (all exchanges, or one), paced like every public call."""
        self.rate_limiter.acquire("other")
        rows = self._instruments(exchange)
        if settings.OPTRADING_RAW_ARCHIVE and not self.replays:
            from apps.brokers.raw_archive import raw_instruments_write, raw_root

            now = datetime.now().astimezone()
            raw_instruments_write(root=raw_root(settings.OPTRADING_ARCHIVE_DIR), exchange=exchange, rows=rows, now=now)
        return rows

    def quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        """Full quotes for at most 500 keys. ``minute`` is the market minute being collected;
        a live broker ignores it (it can only return now), a simulated one prices at it.

        Every call takes a slot from the rate limiter first, whoever calls it, so no caller can
        exceed the broker's rate (Kite: one quote call a second per API key)."""
        if not keys:
            return {}
        self.rate_limiter.acquire("quote")
        quotes = self._quote(keys, minute=minute)
        if settings.OPTRADING_RAW_ARCHIVE and not self.replays:
            from apps.brokers.raw_archive import raw_quotes_write, raw_root

            raw_quotes_write(root=raw_root(settings.OPTRADING_ARCHIVE_DIR), minute=minute, quotes=quotes)
        return quotes

    @abc.abstractmethod
    def _instruments(self, exchange: str | None) -> list[InstrumentRow]:
        """The implementation's unpaced dump."""

    @abc.abstractmethod
    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        """The implementation's unpaced quote call."""

    @abc.abstractmethod
    def collection_minute(self, *, last_collected: datetime | None, now: datetime) -> datetime:
        """The aware-UTC market minute the next collection run is for."""

    def ready(self) -> tuple[bool, str]:
        """Whether collection can call the broker now, and why not."""
        return True, "ok"

    def margin_ready(self) -> tuple[bool, str]:
        """Whether ``basket_margin`` can be asked now, and why not (no margin system, nobody logged in, ...)."""
        return False, self.margin_unavailable

    def margin_account(self) -> str:
        """Whose margin ``basket_margin`` computes now (it can count the account's open positions): callers
        keep answers per account. Empty when there is no account."""
        return ""

    def basket_margin(self, orders: Sequence[MarginOrder]) -> BasketMargin:
        """The basket's margin; :class:`MarginUnavailableError` from a broker without a margin system, another
        :class:`BrokerError` when the broker could not answer."""
        raise MarginUnavailableError(self.margin_unavailable)

    def quote_many(self, keys: Sequence[str], *, minute: datetime) -> Iterator[dict[str, QuoteDict]]:
        """Quotes in batches of at most 500 keys, each call paced by the rate limiter."""
        for batch in quote_batches(keys):
            yield self.quote(batch, minute=minute)


def quote_batches(keys: Sequence[str]) -> list[list[str]]:
    """The keys without repeats, in calls of at most 500 (Kite's /quote limit)."""
    unique = list(dict.fromkeys(keys))
    return [unique[start : start + QUOTE_BATCH_SIZE] for start in range(0, len(unique), QUOTE_BATCH_SIZE)]


_REGISTRY: dict[str, str] = {
    "simulated": "apps.brokers.simulated",
    "kite": "apps.brokers.kite",
    "replay": "apps.brokers.replay",
}
_FACTORIES: dict[str, Callable[[], Broker]] = {}


def register(name: str) -> Callable[[Callable[[], Broker]], Callable[[], Broker]]:
    """Register a factory that builds the broker ``name`` from settings."""

    def decorator(factory: Callable[[], Broker]) -> Callable[[], Broker]:
        _FACTORIES[name] = factory
        return factory

    return decorator


def get_broker(name: str | None = None) -> Broker:
    """The configured broker (``OPTRADING_BROKER``), built by its registered factory."""
    name = name or settings.OPTRADING_BROKER
    if name not in _FACTORIES:
        module = _REGISTRY.get(name)
        if module is None:
            raise PermanentBrokerError(f"Unknown broker {name!r}; choose one of {', '.join(sorted(_REGISTRY))}.")
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            raise PermanentBrokerError(f"Broker {name!r} is not available in this build ({exc}).") from exc
    return _FACTORIES[name]()
