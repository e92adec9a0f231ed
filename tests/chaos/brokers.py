"""Brokers for the fault tests: the simulated market behind a live broker's clock, optionally slow, so a
collection can be caught (and killed) in the middle of its quote calls."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, date, datetime

from apps.brokers.base import QuoteDict
from apps.brokers.simulated import SimulatedBroker

AS_OF = date(2026, 11, 27)
"""The listing the instruments are synced from (a Friday); the minutes collected are on Monday 30-Nov-2026."""


class LiveClockBroker(SimulatedBroker):
    """Only the current minute, only in session (``simulated = False``), each quote call taking ``delay`` s."""

    simulated = False

    def __init__(self, *, delay: float = 0.0) -> None:
        super().__init__(seed=42, as_of=AS_OF)
        self.delay = delay

    def collection_minute(self, *, last_collected: datetime | None, now: datetime) -> datetime:
        return now.astimezone(UTC).replace(second=0, microsecond=0)

    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        time.sleep(self.delay)
        return super()._quote(keys, minute=minute)
