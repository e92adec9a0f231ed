"""Celery tasks: thin wrappers that decide whether to run, then call one service."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from apps.brokers.base import TransientBrokerError, get_broker
from apps.collection.services.chain import chain_collect, last_collected_minute
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.verification import day_verify
from apps.market.calendar import market_status
from apps.overview.services import overview_collect

logger = logging.getLogger(__name__)

COLLECT_LOCK = "optrading:lock:collect"


@shared_task(
    name="collection.collect",
    acks_late=False,  # a lost run is replaced by the next minute's; re-running an old minute is useless
    ignore_result=True,
    soft_time_limit=50,
    time_limit=58,
)
def collect_task(underlyings: list[str] | None = None) -> dict[str, Any]:
    """Collect one minute. Live brokers only in market hours; never two runs at once."""
    broker = get_broker()
    if not broker.simulated:
        status = market_status(timezone.now())
        if not status.is_open:
            return {"skipped": status.reason}
    last = last_collected_minute()
    minute = broker.collection_minute(last_collected=last, now=timezone.now())
    if minute == last:
        return {"skipped": f"minute {minute:%Y-%m-%d %H:%M} UTC is already collected"}
    if not cache.add(COLLECT_LOCK, "1", timeout=55):
        return {"skipped": "another collection run is in progress"}
    try:
        run = chain_collect(broker=broker, underlyings=underlyings, minute=minute)
    finally:
        cache.delete(COLLECT_LOCK)
    _overview(broker, run.minute)
    return {"run": run.pk, "status": run.status, "stored": run.quotes_stored}


def _overview(broker: Any, minute: Any) -> None:
    """Breadth and sectors for the same minute: one more quote call, after the chain is safe."""
    try:
        overview_collect(broker=broker, minute=minute)
    except Exception:
        logger.exception("market overview collection failed for %s", minute)


@shared_task(name="collection.verify_day", ignore_result=True, time_limit=300)
def verify_day_task(day: str | None = None) -> dict[str, Any]:
    """Check the day's archive is complete; gaps become error events users can see."""
    from datetime import date

    report = day_verify(day=date.fromisoformat(day) if day else None)
    return report.as_dict()


@shared_task(
    name="collection.instruments_sync",
    acks_late=True,
    reject_on_worker_lost=True,  # the sync is idempotent, so a redelivery is safe
    autoretry_for=(TransientBrokerError,),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=5,
    expires=6 * 3600,
    soft_time_limit=540,
    time_limit=600,
)
def instruments_sync_task(exchanges: list[str] | None = None) -> dict[str, Any]:
    """Sync the configured broker's instruments (daily, before the open). Returns the counts as JSON."""
    broker = get_broker()
    if exchanges:
        return instruments_sync(broker=broker, exchanges=exchanges).as_dict()
    return instruments_sync(broker=broker).as_dict()
