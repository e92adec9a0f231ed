from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from optrading.schedules import PREFIX, Entry, schedule


@dataclass(frozen=True)
class ScheduleResult:
    created: int
    updated: int
    removed: int


def periodic_tasks_setup(*, now: datetime | None = None, entries: list[Entry] | None = None) -> ScheduleResult:
    """Write the schedule as of ``now`` to django-celery-beat's tables. Running it again changes nothing;
    our entries that are no longer in the code (yesterday's collect lines) are removed; entries made by
    hand are left alone."""
    entries = schedule(now=now or timezone.now()) if entries is None else entries
    created = updated = 0
    with transaction.atomic():
        for entry in entries:
            defaults: dict[str, object] = {
                "task": entry.task,
                "kwargs": json.dumps(entry.kwargs),
                "queue": entry.queue,
                "expire_seconds": entry.expires_seconds,
                "enabled": True,
                "interval": None,
                "crontab": None,
            }
            if entry.every_seconds:
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=entry.every_seconds, period=IntervalSchedule.SECONDS
                )
            else:
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=entry.crontab.get("minute", "*"),
                    hour=entry.crontab.get("hour", "*"),
                    day_of_week=entry.crontab.get("day_of_week", "*"),
                    day_of_month=entry.crontab.get("day_of_month", "*"),
                    month_of_year=entry.crontab.get("month_of_year", "*"),
                    timezone="Asia/Kolkata",
                )
            task, was_created = PeriodicTask.objects.get_or_create(name=PREFIX + entry.name, defaults=defaults)
            if was_created:
                created += 1
                continue
            changed = [f for f, v in defaults.items() if getattr(task, f) != v]
            if changed:
                for f in changed:
                    setattr(task, f, defaults[f])
                task.save()
                updated += 1
        names = [PREFIX + e.name for e in entries]
        removed, _ = PeriodicTask.objects.filter(name__startswith=PREFIX).exclude(name__in=names).delete()
    return ScheduleResult(created=created, updated=updated, removed=removed)
