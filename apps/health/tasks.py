"""The worker's heartbeat: beat sends this task to every queue on a schedule (``optrading/schedules.py``)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from apps.health.heartbeats import HEARTBEAT_TASK, heartbeat_interval, heartbeat_write, worker_heartbeat_name


@shared_task(name=HEARTBEAT_TASK, ignore_result=True, expires=25, soft_time_limit=10, time_limit=20)
def heartbeat_task(queue: str) -> None:
    """Written by whichever worker process took it from ``queue``; it expires before the next one is due,
    so a heartbeat stuck behind a backlog is dropped and the queue's heartbeat goes stale, as it should."""
    heartbeat_write(name=worker_heartbeat_name(queue), now=timezone.now(), interval_seconds=heartbeat_interval())
