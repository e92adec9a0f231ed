"""Celery entry points of the archive (scheduled in optrading/schedules.py)."""

from __future__ import annotations

from celery import shared_task

from apps.archive.services.partitions import partitions_ahead


@shared_task(name="marketdata.partitions_ahead", expires=3600)
def partitions_ahead_task() -> list[str]:
    """The partitions of today and the next OPTRADING_PARTITIONS_AHEAD trading days; run daily."""
    return partitions_ahead()
