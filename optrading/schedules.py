"""The beat schedule, defined in code and written to django-celery-beat's tables by
``python manage.py setup_periodic_tasks`` (idempotent) and again every hour by the schedule refresh.
Every entry expires before its next run, so a backlog never replays stale market jobs.

A live broker collects only in session minutes, and the calendar decides which those are: the collect
entries are today's session written as cron lines for today's date alone (09:15-15:29 IST, 15:39 from
2026-08-03, a weekend special session too, nothing on a holiday), rewritten by the hourly refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings

from apps.core.queues import CeleryQueue
from apps.market.calendar import is_trading_day, session_close, session_open
from apps.market.clock import to_ist

PREFIX = "optrading: "


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    every_seconds: int | None = None
    crontab: dict[str, str] = field(default_factory=dict)  # minute, hour, day_of_week, day_of_month, month; IST
    expires_seconds: int = 55
    queue: str = CeleryQueue.DEFAULT.value
    kwargs: dict[str, Any] = field(default_factory=dict)


def session_crontabs(day: date) -> list[dict[str, str]]:
    """Cron lines (IST) that fire at exactly the session minutes of ``day``: one line per partial hour
    at either end, one for the whole hours between. Empty on a day without a session."""
    if not is_trading_day(day):
        return []
    first = to_ist(session_open(day))
    last = to_ist(session_close(day)) - timedelta(minutes=1)
    dated = {"day_of_week": "*", "day_of_month": str(day.day), "month_of_year": str(day.month)}
    if first.hour == last.hour:
        return [{"minute": f"{first.minute}-{last.minute}", "hour": str(first.hour), **dated}]
    lines = [{"minute": f"{first.minute}-59", "hour": str(first.hour), **dated}]
    if last.hour - first.hour > 1:
        middle = f"{first.hour + 1}-{last.hour - 1}" if last.hour - first.hour > 2 else str(first.hour + 1)
        lines.append({"minute": "*", "hour": middle, **dated})
    lines.append({"minute": f"0-{last.minute}", "hour": str(last.hour), **dated})
    return lines


def _collect_entries(today: date) -> list[Entry]:
    if settings.OPTRADING_BROKER == "simulated":
        # The simulated market collects at any time, one simulated minute per interval.
        interval = max(int(settings.OPTRADING_COLLECT_INTERVAL), 1)
        return [
            Entry(
                "collect chain",
                "collection.collect",
                every_seconds=interval,
                expires_seconds=max(interval - 1, 1),
                queue=CeleryQueue.COLLECTION.value,
            )
        ]
    lines = session_crontabs(today)
    return [
        Entry(
            f"collect chain {index + 1}/{len(lines)}",
            "collection.collect",
            crontab=line,
            queue=CeleryQueue.COLLECTION.value,
        )
        for index, line in enumerate(lines)
    ]


def schedule(*, now: datetime) -> list[Entry]:
    """Every beat entry as of ``now`` (aware): the collect entries depend on today's IST session."""
    entries = [
        *_collect_entries(to_ist(now).date()),
        Entry(
            "schedule refresh",
            "platform.schedule_refresh",
            crontab={"minute": "1", "hour": "*"},
            expires_seconds=3000,
        ),
        Entry(
            "sync instruments",
            "collection.instruments_sync",
            crontab={"minute": "30", "hour": "8"},
            expires_seconds=3600,
        ),
        Entry(
            "partitions ahead",
            "marketdata.partitions_ahead",
            crontab={"minute": "10", "hour": "6"},
            expires_seconds=3600,
        ),
        Entry(
            "partitions compact",
            "marketdata.partitions_compact",
            crontab={"minute": "30", "hour": "1"},
            expires_seconds=3 * 3600,
        ),
        Entry(
            "analytics catch-up",
            "analytics.compute",
            every_seconds=300,
            expires_seconds=290,
            queue=CeleryQueue.ANALYTICS.value,
        ),
        Entry(
            "import participants",
            "participants.import_dir",
            crontab={"minute": "45", "hour": "19", "day_of_week": "mon-fri"},
            expires_seconds=3600,
        ),
        Entry(
            "import participants (morning retry)",
            "participants.import_dir",
            crontab={"minute": "0", "hour": "8", "day_of_week": "mon-sat"},
            expires_seconds=3600,
        ),
    ]
    return [*entries, *_operations_entries()]


def _operations_entries() -> list[Entry]:
    """Heartbeats (one per queue: beat writes its own when it publishes them, the worker that runs one writes the
    queue's), the fault check (beside the watchdog process, so either one alone still reports the other) and the
    end-of-day data-quality score (after the close on any weekday or Saturday; the task skips non-trading days)."""
    interval = max(int(settings.OPTRADING_HEARTBEAT_SECONDS), 1)
    heartbeats = [
        Entry(
            f"heartbeat {queue.value}",
            "health.heartbeat",
            every_seconds=interval,
            expires_seconds=max(interval - 1, 1),
            queue=queue.value,
            kwargs={"queue": queue.value},
        )
        for queue in CeleryQueue
    ]
    watchdog = max(int(settings.OPTRADING_WATCHDOG_SECONDS), 1)
    return [
        *heartbeats,
        Entry(
            "fault check",
            "alerts.faults_check",
            every_seconds=watchdog,
            expires_seconds=max(watchdog - 1, 1),
            queue=CeleryQueue.NOTIFICATIONS.value,
        ),
        Entry(
            "end-of-day quality",
            "quality.eod_verify",
            crontab={"minute": "15", "hour": "16", "day_of_week": "mon-sat"},
            expires_seconds=3 * 3600,
        ),
        Entry(
            "end-of-day quality (evening retry)",
            "quality.eod_verify",
            crontab={"minute": "30", "hour": "20", "day_of_week": "mon-sat"},
            expires_seconds=3 * 3600,
        ),
    ]
