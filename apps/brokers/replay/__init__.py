"""The replay broker (broker name "replay"): an archived day fed back through collection, minute by minute.

A ``ReplayDay`` holds what the broker answered that day: the instruments dump and, per market minute, every
quote by key, in Kite's exact shapes. It comes from the raw archive (``raw_archive.raw_day_read``, what
collection wrote with ``OPTRADING_RAW_ARCHIVE=true``) or from the stored quotes (built by the collection layer,
``apps.collection.services.replay``, which may read the archive). ``collection_minute`` walks the day's minutes
in order, so ``minute_collect`` stores, analyses, alerts and publishes each one as it did live.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import ClassVar

from apps.brokers.base import Broker, InstrumentRow, PermanentBrokerError, QuoteDict, RateLimiter, register
from apps.brokers.simulated.broker import NoRateLimit

__all__ = ["ReplayBroker", "ReplayDay", "build"]


@dataclass
class ReplayDay:
    day: date
    instruments: list[InstrumentRow]
    minutes: list[datetime]
    """The archived market minutes of the day (aware UTC), in order."""
    quotes_at: Callable[[datetime], dict[str, QuoteDict]]
    """Kite key → the 17-field quote, for one archived minute (read when the minute is replayed)."""
    listed_on: date | None = None
    """The date the instruments dump was fetched (its expired contracts are inactive from then); None: ``day``."""


class ReplayBroker(Broker):
    name: ClassVar[str] = "replay"
    any_time: ClassVar[bool] = True
    replays: ClassVar[bool] = True
    margin_unavailable: ClassVar[str] = (
        "A replayed day has no margin system: basket margin comes from Kite's basket-margin API, "
        "with OPTRADING_BROKER=kite and a Kite session."
    )

    def __init__(self, day: ReplayDay, *, rate_limiter: RateLimiter | None = None):
        super().__init__(rate_limiter=rate_limiter or NoRateLimit())
        self.day = day
        self._minutes = sorted(day.minutes)
        self._loaded: tuple[datetime, dict[str, QuoteDict]] | None = None

    def _at(self, minute: datetime) -> dict[str, QuoteDict]:
        """One read per minute: collection asks for a minute in several calls (head keys, option batches)."""
        minute = minute.astimezone(UTC)
        if self._loaded is None or self._loaded[0] != minute:
            self._loaded = (minute, self.day.quotes_at(minute))
        return self._loaded[1]

    def _instruments(self, exchange: str | None) -> list[InstrumentRow]:
        return [dict(row) for row in self.day.instruments if exchange is None or row["exchange"] == exchange]

    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        stored = self._at(minute)
        found = {key: copy.deepcopy(stored[key]) for key in keys if key in stored}
        if not found:
            raise PermanentBrokerError(
                f"The replayed day {self.day.day:%Y-%m-%d} holds none of these {len(keys)} keys at "
                f"{minute.isoformat()} (e.g. {keys[0]}).",
                code="replay_no_data",
                suggestion="Only what was archived can be replayed; the rest of the minute is unaffected.",
            )
        return found

    def collection_minute(self, *, last_collected: datetime | None, now: datetime) -> datetime:
        """The day's next archived minute after ``last_collected``; ``last_collected`` itself when the day is done."""
        if not self._minutes:
            raise PermanentBrokerError(f"Nothing archived for {self.day.day:%Y-%m-%d}.", code="replay_no_data")
        for minute in self._minutes:
            if last_collected is None or minute > last_collected:
                return minute
        return last_collected if last_collected is not None else self._minutes[-1]


@register("replay")
def build() -> Broker:
    raise PermanentBrokerError(
        "The replay broker is driven by `python manage.py replay --date YYYY-MM-DD`, not by OPTRADING_BROKER.",
        code="replay_not_configured",
        suggestion="Run manage.py replay with the day to replay (and --into for another database).",
    )
