"""One market minute, end to end: the one service the collect task and ``collect_once`` both call.

It owns everything around the chain collection: the market-hours gate (live brokers collect only in
session; the simulated market at any time), the owned lease (never two runs at once; a run that outlived
its lease cannot free another's), the minute (the broker's clock) and its de-duplication (a minute
already collected is not asked of the broker again), then the chain and the market overview of the same
minute. The lease is taken before the minute is chosen, so a duplicate delivery of the task that waited
for the first one finds the minute collected.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apps.brokers.base import Broker, get_broker
from apps.collection.services.chain import (
    CollectionSettings,
    chain_collect,
    last_collected_minute,
    underlyings_resolve,
)
from apps.core.leases import lease_acquire, lease_holder, lease_release
from apps.market.calendar import market_status
from apps.market.clock import ist_label
from apps.marketdata.models import CollectionRun, CollectionStatus
from apps.monitoring.services import error_record
from apps.overview.services import overview_collect

logger = logging.getLogger(__name__)

LEASE_NAME = "collection.minute"
LEASE_TTL = timedelta(seconds=55)
"""Just under a minute: a collection that outlives it has lost its minute anyway."""
ORPHAN_ERROR = "lost its worker before finishing (nothing of it was committed)"


@dataclass(frozen=True)
class MinuteOutcome:
    """What one call did: the run it made, or why it made none."""

    run: CollectionRun | None
    minute: datetime | None = None
    skipped: str = ""
    overview_stored: bool = False

    def as_dict(self) -> dict[str, Any]:
        if self.run is None:
            return {"skipped": self.skipped}
        return {
            "run": self.run.pk,
            "status": self.run.status,
            "stored": self.run.quotes_stored,
            "overview": self.overview_stored,
        }


def minute_collect(
    *, now: datetime, broker: Broker | None = None, underlyings: Sequence[str] | None = None
) -> MinuteOutcome:
    """Collect the broker's next minute for the given (default: every active) underlyings.

    Bad settings or unknown underlyings raise ApplicationError before anything is asked or written."""
    CollectionSettings.from_settings()
    underlyings_resolve(underlyings)
    broker = broker or get_broker()
    if not (broker.simulated or broker.any_time):
        status = market_status(now)
        if not status.is_open:
            return MinuteOutcome(run=None, skipped=f"market closed ({status.reason})")
    lease = lease_acquire(name=LEASE_NAME, ttl=LEASE_TTL, now=now)
    if lease is None:
        holder = lease_holder(name=LEASE_NAME) or "another process"
        return MinuteOutcome(run=None, skipped=f"another collection run is in progress ({holder})")
    try:
        _orphans_fail(broker=broker, at=now)
        last = last_collected_minute()
        minute = broker.collection_minute(last_collected=last, now=now)
        if last is not None and minute == last:
            return MinuteOutcome(run=None, minute=minute, skipped=f"minute {ist_label(minute)} is already collected")
        if last is not None and minute < last:
            return _clock_behind(minute=minute, last=last)
        run = chain_collect(broker=broker, underlyings=underlyings, now=now, minute=minute)
        overview = (
            _overview(broker, run) if run.status in (CollectionStatus.SUCCESS, CollectionStatus.PARTIAL) else False
        )
    finally:
        if not lease_release(lease=lease):
            logger.warning("the collection lease of %s was not released now (expired, or the database is down)", now)
    return MinuteOutcome(run=run, minute=minute, overview_stored=overview)


def _clock_behind(*, minute: datetime, last: datetime) -> MinuteOutcome:
    """The clock says a minute before the archive's last: a live broker would answer with prices of now,
    which must not be stored under a past minute. Nothing is collected until the clock catches up."""
    reason = f"the clock ({ist_label(minute)}) is behind the last collected minute ({ist_label(last)})"
    error_record(
        component="collection",
        code="clock_behind",
        message=f"Nothing collected: {reason}.",
        suggestion="Check the system clock (NTP) of the worker; collection resumes by itself once it is right.",
    )
    return MinuteOutcome(run=None, minute=minute, skipped=reason)


def _orphans_fail(*, broker: Broker, at: datetime) -> int:
    """Runs of this broker still ``running`` while we hold the lease (and have not started ours) lost their
    worker (it was killed, or the database went away under it): mark them failed, so the log tells the truth.
    A run that merely outlived its lease and still finishes overwrites this with its own outcome."""
    orphans = CollectionRun.objects.filter(broker=broker.name, status=CollectionStatus.RUNNING)
    ids = list(orphans.values_list("pk", flat=True))
    if not ids:
        return 0
    CollectionRun.objects.filter(pk__in=ids, status=CollectionStatus.RUNNING).update(
        status=CollectionStatus.FAILED,
        error=ORPHAN_ERROR,
        finished_at=at,
    )
    error_record(
        component="collection",
        code="collection_orphaned",
        message=f"{len(ids)} collection run(s) lost their worker before finishing (run {', '.join(map(str, ids))}).",
        suggestion="Nothing stored by a lost run is kept half-written; check the worker's logs (killed, out of "
        "memory, or the database restarted). Collection resumed with the next run.",
    )
    return len(ids)


def _overview(broker: Broker, run: CollectionRun) -> bool:
    """Breadth and sectors for the same minute: one more (paced) quote call, after the chain is safe.
    A failure is recorded and never undoes the chain."""
    assert run.minute is not None
    try:
        return overview_collect(broker=broker, minute=run.minute).created
    except Exception as exc:
        logger.exception("market overview collection failed for %s", run.minute)
        error_record(
            component="overview",
            code="overview_failed",
            message=f"{ist_label(run.minute)}: {exc.__class__.__name__}: {exc}"[:1000],
            suggestion="The option chain of that minute is stored; breadth and sectors resume next minute.",
        )
        return False
