"""Celery tasks of the composition layer."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.platform.services.periodic_tasks import periodic_tasks_setup


@shared_task(name="platform.schedule_refresh", ignore_result=True, expires=3000, soft_time_limit=100, time_limit=120)
def schedule_refresh_task() -> dict[str, Any]:
    """Rewrite the beat schedule for the current hour's IST day (today's session minutes)."""
    result = periodic_tasks_setup()
    return {"created": result.created, "updated": result.updated, "removed": result.removed}
