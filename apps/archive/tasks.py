"""Celery entry points of the archive (scheduled in optrading/schedules.py)."""

from __future__ import annotations

from celery import shared_task

from apps.analytics.services.daily_closes import daily_closes_compact
from apps.archive.services.partitions import partitions_ahead, partitions_compact


@shared_task(name="marketdata.partitions_ahead", expires=3600)
def partitions_ahead_task() -> list[str]:
    """The partitions of today and the next OPTRADING_PARTITIONS_AHEAD trading days; run daily."""
    return partitions_ahead()


@shared_task(name="marketdata.partitions_compact", expires=6 * 3600, soft_time_limit=3 * 3600)
def partitions_compact_task() -> list[str]:
    """Pack the closed days' option-quote partitions (after analytics has finished with them) and the daily-close
    rollups (which every write updates); run nightly."""
    return partitions_compact() + daily_closes_compact()
