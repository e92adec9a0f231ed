"""The beat schedule, defined in code and written to django-celery-beat's tables by
``python manage.py setup_periodic_tasks`` (idempotent). Every entry expires before its next run,
so a backlog never replays stale market jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

PREFIX = "optrading: "


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    every_seconds: int | None = None
    crontab: dict[str, str] = field(default_factory=dict)  # minute, hour, day_of_week; IST
    expires_seconds: int = 55
    queue: str = "celery"
    kwargs: dict[str, Any] = field(default_factory=dict)


def schedule() -> list[Entry]:
    simulated = settings.OPTRADING_BROKER == "simulated"
    if simulated:
        interval = max(int(settings.OPTRADING_COLLECT_INTERVAL), 1)
        collect = Entry(
            "collect chain",
            "collection.collect",
            every_seconds=interval,
            expires_seconds=max(interval - 1, 1),
            queue="collection",
        )
    else:
        # Every minute from 09:15 to 15:40 IST; the task itself checks holidays and the dated close.
        collect = Entry(
            "collect chain",
            "collection.collect",
            crontab={"minute": "*", "hour": "9-15", "day_of_week": "mon-fri"},
            queue="collection",
        )
    entries = [
        collect,
        Entry(
            "sync instruments",
            "collection.instruments_sync",
            crontab={"minute": "30", "hour": "8", "day_of_week": "*"},
            expires_seconds=3600,
        ),
        Entry(
            "analytics catch-up",
            "analytics.compute",
            every_seconds=300,
            expires_seconds=290,
            queue="analytics",
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
    if not simulated:
        entries.append(
            Entry(
                "verify day",
                "collection.verify_day",
                crontab={"minute": "0", "hour": "17", "day_of_week": "mon-fri"},
                expires_seconds=3600,
            )
        )
    return entries
