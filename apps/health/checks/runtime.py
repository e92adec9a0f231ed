"""The platform's own processes, from their heartbeats: the Celery worker (one heartbeat per queue), beat,
and the watchdog that sends fault alerts. A heartbeat is stale after two intervals."""

from __future__ import annotations

from datetime import datetime

from apps.core.queues import CeleryQueue
from apps.health.components import Component, Status
from apps.health.heartbeats import BEAT, WATCHDOG, HeartbeatState, worker_heartbeat_name
from apps.market.clock import ist_label

WORKER = "worker"


def _seen(state: HeartbeatState) -> str:
    if state.beat_at is None:
        return "never written"
    return f"last at {ist_label(state.beat_at)}, {state.age_seconds:.0f} s ago"


def beat_check(*, now: datetime, heartbeats: dict[str, HeartbeatState]) -> Component:
    state = heartbeats[BEAT]
    data = state.as_dict()
    if state.stale:
        return Component(
            BEAT,
            Status.DOWN,
            f"beat heartbeat stale ({_seen(state)}; expected every {state.interval_seconds} s)",
            "Start Celery beat (`celery -A optrading beat`, `docker compose up -d beat`, or `manage.py runplatform`): "
            "without it nothing is scheduled, so nothing is collected.",
            data,
        )
    return Component(BEAT, Status.OK, f"scheduling ({_seen(state)})", data=data)


def worker_check(*, now: datetime, heartbeats: dict[str, HeartbeatState]) -> Component:
    queues = [heartbeats[worker_heartbeat_name(q.value)] for q in CeleryQueue]
    data = {"queues": {s.name.removeprefix("worker:"): s.as_dict() for s in queues}}
    stale = [s for s in queues if s.stale]
    if not stale:
        oldest = max(queues, key=lambda s: s.age_seconds or 0.0)
        return Component(WORKER, Status.OK, f"every queue served (oldest heartbeat {_seen(oldest)})", data=data)
    names = ", ".join(f"{s.name.removeprefix('worker:')} ({_seen(s)})" for s in stale)
    if heartbeats[BEAT].stale:
        return Component(
            WORKER,
            Status.UNKNOWN,
            f"no worker heartbeat from {names}, but beat is down too and it schedules them",
            "Start beat first; the worker's heartbeats resume with it.",
            data,
        )
    return Component(
        WORKER,
        Status.DOWN,
        f"no heartbeat from queue(s) {names}: the worker is stopped, or every process is busy",
        "Start the Celery worker (`celery -A optrading worker -Q "
        + ",".join(q.value for q in CeleryQueue)
        + "`, `docker compose up -d worker`, or `manage.py runplatform`); collection and analytics wait for it.",
        data,
    )


def watchdog_check(*, now: datetime, heartbeats: dict[str, HeartbeatState]) -> Component:
    state = heartbeats[WATCHDOG]
    if state.stale:
        return Component(
            WATCHDOG,
            Status.DEGRADED,
            f"watchdog heartbeat stale ({_seen(state)}): fault alerts now depend on the worker alone",
            "Start `python manage.py watchdog` (runplatform and docker compose start it), so a stopped worker is "
            "still reported.",
            state.as_dict(),
        )
    return Component(WATCHDOG, Status.OK, f"watching ({_seen(state)})", data=state.as_dict())
