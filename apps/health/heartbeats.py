"""Writing and reading heartbeats. Time is passed in, so tests step the clock instead of sleeping."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from apps.core.leases import this_holder
from apps.core.queues import CeleryQueue
from apps.health.models import Heartbeat

HEARTBEAT_TASK = "health.heartbeat"
BEAT = "beat"
WATCHDOG = "watchdog"
STALE_AFTER_INTERVALS = 2


def worker_heartbeat_name(queue: str) -> str:
    return f"worker:{queue}"


def heartbeat_interval() -> int:
    """Seconds between worker and beat heartbeats (``OPTRADING_HEARTBEAT_SECONDS``)."""
    return max(int(settings.OPTRADING_HEARTBEAT_SECONDS), 1)


def heartbeat_write(*, name: str, now: datetime, interval_seconds: int, holder: str | None = None) -> None:
    """Upsert one heartbeat row (one statement; two writers at once both succeed)."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, beat_at=now, holder=holder or this_holder(), interval_seconds=interval_seconds)],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["beat_at", "holder", "interval_seconds"],
    )


@dataclass(frozen=True)
class HeartbeatState:
    name: str
    beat_at: datetime | None
    interval_seconds: int
    age_seconds: float | None
    holder: str

    @property
    def stale(self) -> bool:
        return self.age_seconds is None or self.age_seconds > STALE_AFTER_INTERVALS * self.interval_seconds

    def as_dict(self) -> dict[str, Any]:
        from apps.market.clock import to_ist

        return {
            "name": self.name,
            "at": to_ist(self.beat_at).isoformat() if self.beat_at else None,
            "age_seconds": round(self.age_seconds, 1) if self.age_seconds is not None else None,
            "interval_seconds": self.interval_seconds,
            "stale": self.stale,
            "holder": self.holder,
        }


def expected_heartbeats() -> dict[str, int]:
    """Every heartbeat the platform should be writing, with its interval."""
    interval = heartbeat_interval()
    names = {worker_heartbeat_name(q.value): interval for q in CeleryQueue}
    names[BEAT] = interval
    names[WATCHDOG] = max(int(settings.OPTRADING_WATCHDOG_SECONDS), 1)
    return names


def heartbeat_states(*, now: datetime) -> list[HeartbeatState]:
    """The expected heartbeats (never written: no age) and any others found, by name."""
    rows = {row.name: row for row in Heartbeat.objects.all()}
    states = []
    for name, interval in sorted({**expected_heartbeats(), **{n: r.interval_seconds for n, r in rows.items()}}.items()):
        row = rows.get(name)
        age = (now - row.beat_at).total_seconds() if row else None
        states.append(
            HeartbeatState(
                name=name,
                beat_at=row.beat_at if row else None,
                interval_seconds=row.interval_seconds if row else interval,
                age_seconds=age,
                holder=row.holder if row else "",
            )
        )
    return states


# --- beat's own heartbeat -----------------------------------------------------------------------
# Beat proves it is alive by publishing: when the beat thread publishes the heartbeat task, the
# "beat" heartbeat is written from that thread (the worker that later runs the task writes its own).
_beat_thread: int | None = None


def on_beat_init(**_: Any) -> None:
    global _beat_thread
    _beat_thread = threading.get_ident()


def on_after_task_publish(sender: str | None = None, **_: Any) -> None:
    if sender != HEARTBEAT_TASK or _beat_thread != threading.get_ident():
        return
    from django.utils import timezone

    heartbeat_write(name=BEAT, now=timezone.now(), interval_seconds=heartbeat_interval())


def beat_receivers_connect() -> None:
    from celery.signals import after_task_publish, beat_init

    beat_init.connect(on_beat_init, dispatch_uid="health.beat_init", weak=False)
    after_task_publish.connect(on_after_task_publish, dispatch_uid="health.beat_heartbeat", weak=False)
