"""The daily data-quality score (beat: after the close, and an evening retry; see ``optrading/schedules.py``)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.quality.services.eod import day_parse, eod_verify


@shared_task(name="quality.eod_verify", acks_late=True, ignore_result=True, expires=3 * 3600, time_limit=900)
def eod_verify_task(day: str | None = None) -> dict[str, Any]:
    """Score the last closed session (or ``day``, YYYY-MM-DD); idempotent, the report is replaced."""
    return eod_verify(day=day_parse(day) if day else None).as_dict()
