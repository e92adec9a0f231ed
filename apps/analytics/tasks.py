"""Celery entry points: thin wrappers around the analytics services."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from celery import shared_task
from django.db import OperationalError

from apps.analytics.services.compute import analytics_backlog, analytics_compute
from apps.monitoring.metrics import record_analytics

logger = logging.getLogger(__name__)

CHUNK_MINUTES = 120
"""Minutes per underlying per task run; a larger backlog re-enqueues the task (saleor-style chunks)."""


@shared_task(
    name="analytics.compute",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    expires=300,
    soft_time_limit=240,
    time_limit=300,
)
def analytics_compute_task(underlying_ids: list[int] | None = None, minute: str | None = None) -> int:
    """Analyse every minute after the cursors (idempotent: the cursor makes a repeat a no-op), and
    ``minute`` (ISO) again if rows arrived for it after it was analysed. The catch-up run (no ``minute``: beat
    and the backlog re-enqueues) also analyses days stored behind the cursors (an older bhavcopy, a back-fill)."""
    started = time.monotonic()
    revisit = datetime.fromisoformat(minute) if minute else None
    behind = revisit is None
    processed = analytics_compute(underlying_ids=underlying_ids, limit=CHUNK_MINUTES, revisit=revisit, behind=behind)
    duration = time.monotonic() - started
    record_analytics(duration)
    if processed and analytics_backlog(underlying_ids=underlying_ids, behind=behind):
        analytics_compute_task.apply_async(kwargs={"underlying_ids": underlying_ids})
    logger.info("analytics: %d minute(s) in %.2fs", processed, duration)
    return processed
