"""Celery tasks of the market app: thin wrappers around services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.brokers.base import TransientBrokerError, get_broker
from apps.market.services import instruments_sync


@shared_task(
    name="market.instruments_sync",
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
