"""Celery tasks of the alerts, all on the notifications queue (``CELERY_TASK_ROUTES``: ``alerts.*``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from apps.alerts.services.deliveries import delivery_send
from apps.alerts.services.evaluate import rules_evaluate
from apps.alerts.services.faults import faults_check


@shared_task(
    name="alerts.evaluate",
    acks_late=True,
    reject_on_worker_lost=True,  # idempotent: the rules' cursors make a repeat a no-op
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=100,
    time_limit=120,
)
def evaluate_task(underlying_id: int | None, minute: str) -> int:
    """Evaluate the underlying's rules (``None``: the participant rules) up to ``minute`` (ISO)."""
    return len(rules_evaluate(underlying_id=underlying_id, up_to=datetime.fromisoformat(minute)))


@shared_task(
    name="alerts.deliver",
    acks_late=True,
    reject_on_worker_lost=True,  # a claimed delivery is never sent twice; a lost one is swept up
    ignore_result=True,
    soft_time_limit=110,
    time_limit=120,
)
def deliver_task(delivery_id: int) -> str | None:
    delivery = delivery_send(delivery_id)
    return delivery.status if delivery else None


@shared_task(name="alerts.faults_check", ignore_result=True, soft_time_limit=100, time_limit=120)
def faults_check_task() -> dict[str, Any]:
    """The worker's fault pass, beside the watchdog process (either one alone still reports the other)."""
    result = faults_check(now=timezone.now())
    return {"opened": result.opened, "cleared": result.cleared, "notices": [n.subject for n in result.notices]}
