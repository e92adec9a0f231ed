"""The simulated market: a Broker that speaks Kite Connect's shapes with seeded, reproducible prices.

* ``instruments()`` lists index, stock, future and option rows exactly as pykiteconnect parses the dump, for the
  expiry ladder in force on the simulated date (see ``universe``).
* ``quote(keys, minute=...)`` returns pykiteconnect's ``quote()`` output at that market minute; a quote is a pure
  function of (seed, key, minute).
* ``collection_minute()`` is the simulated clock: one session minute per collection run (docs/market.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from apps.brokers.base import (
    QUOTE_BATCH_SIZE,
    Broker,
    InstrumentRow,
    PermanentBrokerError,
    QuoteDict,
    RateLimiter,
)
from apps.brokers.simulated.quotes import QuoteEngine, minute_ref
from apps.brokers.simulated.universe import Contract, contracts_by_key, instrument_rows
from apps.market.calendar import (
    ONE_MINUTE,
    is_trading_day,
    next_trading_day,
    previous_trading_day,
    session_close,
    session_open,
)
from apps.market.clock import to_ist

TOO_MANY_TOKENS = "Too many tokens requested. Max permitted is 500."
_ENGINES: dict[int, QuoteEngine] = {}


class NoRateLimit(RateLimiter):
    """The simulated market answers instantly and has no quota; pacing it would only slow collection."""

    def acquire(self, kind: str) -> None:
        return None


def engine_for(seed: int) -> QuoteEngine:
    """One engine (and its caches) per seed per process."""
    if seed not in _ENGINES:
        _ENGINES[seed] = QuoteEngine(seed)
    return _ENGINES[seed]


def last_completed_session_day(now: datetime) -> date:
    """The last trading day whose session closed at or before ``now``."""
    day = to_ist(now).date()
    if not (is_trading_day(day) and session_close(day) <= now):
        day = previous_trading_day(day)
    return day


def next_session_minute(after: datetime) -> datetime:
    """The first session-minute start strictly after ``after``."""
    day = to_ist(after).date()
    floor = after.astimezone(UTC).replace(second=0, microsecond=0)
    if is_trading_day(day):
        if after < session_open(day):
            return session_open(day)
        candidate = floor + ONE_MINUTE
        if candidate < session_close(day):
            return candidate
    return session_open(next_trading_day(day))


class SimulatedBroker(Broker):
    name: ClassVar[str] = "simulated"
    simulated: ClassVar[bool] = True
    margin_unavailable: ClassVar[str] = (
        "The simulated market has no margin system: basket margin comes from Kite's basket-margin API, "
        "with OPTRADING_BROKER=kite and a Kite session."
    )

    def __init__(
        self,
        *,
        seed: int,
        as_of: date | None = None,
        clock: Callable[[], datetime] | None = None,
        rate_limiter: RateLimiter | None = None,
    ):
        super().__init__(rate_limiter=rate_limiter or NoRateLimit())
        self.seed = seed
        self._as_of = as_of
        self._clock = clock or (lambda: datetime.now(UTC))
        self.engine = engine_for(seed)

    def as_of(self) -> date:
        """The simulated date whose listing ``instruments()`` returns: the first session the clock simulates."""
        return self._as_of or last_completed_session_day(self._clock())

    def _instruments(self, exchange: str | None) -> list[InstrumentRow]:
        rows = instrument_rows(self.as_of())
        return [dict(row) for row in rows if exchange is None or row["exchange"] == exchange]

    def _contract(self, key: str, day: date) -> Contract | None:
        contract = contracts_by_key(day).get(key)
        if contract is None:
            contract = contracts_by_key(self.as_of()).get(key)
        return contract

    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        if len(keys) > QUOTE_BATCH_SIZE:
            raise PermanentBrokerError(TOO_MANY_TOKENS, code="too_many_tokens")
        ref = minute_ref(minute)
        result: dict[str, QuoteDict] = {}
        for key in keys:
            contract = self._contract(key, ref.calendar_day)
            if contract is None:
                continue
            quote: dict[str, Any] | None = self.engine.quote(contract, ref)
            if quote is not None:
                result[key] = quote
        return result

    def collection_minute(self, *, last_collected: datetime | None, now: datetime) -> datetime:
        """One simulated session minute per run. The first run starts at the open of the last completed session;
        each later run takes the next session minute, rolling over closes, weekends and holidays. The clock never
        runs ahead of ``now``: when it has caught up it returns ``last_collected`` again (nothing new to collect)."""
        if now.tzinfo is None:
            raise ValueError(f"now must be an aware datetime, got naive {now.isoformat()}.")
        if last_collected is None:
            return session_open(last_completed_session_day(now))
        candidate = next_session_minute(last_collected)
        if candidate > now:
            return last_collected.astimezone(UTC).replace(second=0, microsecond=0)
        return candidate
