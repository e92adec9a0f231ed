"""Every health check, run in order; a check that raises is reported ``unknown`` with the reason, never a 500.

Checks that read the database are not attempted while the database is down (each would wait for its own
connection attempt to fail): they are ``unknown``, saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from django.utils import timezone

from apps.health.checks.broker import broker_check
from apps.health.checks.disk import DISK_ARCHIVE, DISK_DATABASE, disk_archive_check, disk_database_check
from apps.health.checks.pipeline import analytics_check, collection_check
from apps.health.checks.runtime import WORKER, beat_check, watchdog_check, worker_check
from apps.health.checks.services import DATABASE, REDIS, database_check, redis_check, redis_configured
from apps.health.components import Component, HealthReport, Status
from apps.health.heartbeats import BEAT, WATCHDOG, HeartbeatState, heartbeat_states
from apps.monitoring.metrics import record_component_status, record_heartbeat_age

logger = logging.getLogger(__name__)

Check = Callable[..., Component]


def _guarded(name: str, check: Check, **kwargs: object) -> Component:
    try:
        return check(**kwargs)
    except Exception as exc:  # a broken check is a finding, not a crash of the health endpoint
        logger.exception("health check %s failed", name)
        return Component(
            name,
            Status.UNKNOWN,
            f"the check could not run: {exc.__class__.__name__}: {str(exc)[:300]}",
            "See the server log for the traceback.",
        )


COMPONENTS = (
    DATABASE,
    REDIS,
    "broker",
    WORKER,
    BEAT,
    WATCHDOG,
    "collection",
    "analytics",
    DISK_DATABASE,
    DISK_ARCHIVE,
)
"""Every component health reports on, in its order (Redis only when configured)."""


def health_report(*, now: datetime | None = None, only: Collection[str] | None = None) -> HealthReport:
    """Health of every component at ``now`` (default: the wall clock), or of the ``only`` ones: a process's
    readiness probe asks for what that process itself needs (e.g. database and Redis), not for the workers."""
    now = now or timezone.now()
    wanted = set(COMPONENTS if only is None else only)
    database = _guarded(DATABASE, database_check, now=now)
    components: list[Component] = [database] if DATABASE in wanted else []
    if redis_configured() and REDIS in wanted:
        components.append(_guarded(REDIS, redis_check, now=now))
    database_up = database.status == Status.OK
    heartbeats: dict[str, HeartbeatState] = {}
    if database_up:
        try:
            heartbeats = {s.name: s for s in heartbeat_states(now=now)}
        except Exception:
            logger.exception("could not read the heartbeats")
    db_checks: list[tuple[str, Check, dict[str, object]]] = [
        ("broker", broker_check, {}),
        (WORKER, worker_check, {"heartbeats": heartbeats}),
        (BEAT, beat_check, {"heartbeats": heartbeats}),
        (WATCHDOG, watchdog_check, {"heartbeats": heartbeats}),
        ("collection", collection_check, {}),
        ("analytics", analytics_check, {}),
        (DISK_DATABASE, disk_database_check, {}),
    ]
    for name, check, extra in db_checks:
        if name not in wanted:
            continue
        if not database_up or (extra.get("heartbeats") is not None and not heartbeats):
            components.append(
                Component(name, Status.UNKNOWN, "cannot be checked while the database is down", "Fix the database.")
            )
            continue
        components.append(_guarded(name, check, now=now, **extra))
    if DISK_ARCHIVE in wanted:
        components.append(_guarded(DISK_ARCHIVE, disk_archive_check, now=now))
    for component in components:
        record_component_status(component.name, component.status.value)
    for state in heartbeats.values():
        if state.age_seconds is not None:
            record_heartbeat_age(state.name, state.age_seconds)
    return HealthReport(checked_at=now, components=components, heartbeats=[s.as_dict() for s in heartbeats.values()])
