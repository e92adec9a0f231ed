"""Celery tasks: each one calls one service, declaring its reliability."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from apps.brokers.base import TransientBrokerError, get_broker
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.minute import minute_collect


@shared_task(
    name="collection.collect",
    # Idempotent (the lease and the minute's de-duplication), so a delivery lost with its worker is
    # redelivered and may run again; it expires before the next minute, when it would be useless.
    acks_late=True,
    reject_on_worker_lost=True,
    expires=55,
    ignore_result=True,
    soft_time_limit=50,
    time_limit=58,
)
def collect_task(underlyings: list[str] | None = None) -> dict[str, Any]:
    """Collect the next minute (see ``minute_collect``)."""
    return minute_collect(now=timezone.now(), underlyings=underlyings).as_dict()


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
    if exchanges:
        return instruments_sync(broker=get_broker(), exchanges=exchanges).as_dict()
    return instruments_sync(broker=get_broker()).as_dict()
