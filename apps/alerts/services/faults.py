"""Fault alerts: the platform tells its user when it needs them, and again when it is fine.

One pass (the watchdog process every ``OPTRADING_WATCHDOG_SECONDS``, and the worker's ``alerts.faults_check``
beside it, so either alone still reports the other):

1. health's components become fault conditions: a component down (for the disks: nearly full) opens a
   critical ``ErrorEvent`` (component ``health``), a component back to ok resolves it; ``unknown`` changes
   nothing. Repeated broker errors are one more condition.
2. every open critical event (these, a low end-of-day score, ...) not yet notified sends a PROBLEM notice to
   ``OPTRADING_ALERT_CHANNELS`` with its recovery suggestion; every notified one that has been resolved sends
   RESOLVED. Each (component, code) is told at most once per ``OPTRADING_ALERT_DEDUP_MINUTES`` about a new
   problem (a flapping fault is folded; if it is still open when the window ends, it is sent then).
   Transitions are claimed with conditional UPDATEs, so two checkers send each notice once.

Notices are sent from this process, not queued: the worker may be the fault.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.alerts.choices import NoticeKind
from apps.alerts.models import FaultNotice, FaultState
from apps.alerts.services.deliveries import deliveries_for_notice, deliveries_sweep, delivery_send
from apps.alerts.transports.base import Sleep, real_sleep
from apps.health.components import Component, HealthReport, Status
from apps.health.selectors import health_get
from apps.market.clock import ist_label
from apps.monitoring.metrics import record_fault_notice
from apps.monitoring.models import ErrorEvent, Severity
from apps.monitoring.services import error_record, error_resolve_code

logger = logging.getLogger(__name__)

HEALTH = "health"
FAULT_CODES = {
    "database": "database_down",
    "redis": "redis_down",
    "broker": "session_expired",
    "worker": "worker_heartbeat_lost",
    "beat": "beat_heartbeat_lost",
    "collection": "collection_stalled",
    "analytics": "analytics_stalled",
    "disk_database": "disk_nearly_full",
    "disk_archive": "archive_disk_nearly_full",
}
TITLES = {
    "database_down": "database down",
    "redis_down": "Redis down",
    "session_expired": "broker session expired or expiring before the open",
    "worker_heartbeat_lost": "worker heartbeat lost",
    "beat_heartbeat_lost": "beat heartbeat lost",
    "collection_stalled": "collection stalled",
    "analytics_stalled": "analytics stalled",
    "disk_nearly_full": "database disk nearly full",
    "archive_disk_nearly_full": "archive disk nearly full",
    "repeated_broker_errors": "repeated broker errors",
    "low_score": "low end-of-day data-quality score",
}
DISKS = frozenset({"disk_database", "disk_archive"})
BROKER_ERROR_WINDOW = timedelta(minutes=15)
ANOMALY_EXPIRY = timedelta(hours=1)
"""Anomaly warnings not seen again for this long are resolved: they were moments, not states."""


@dataclass
class FaultPass:
    opened: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    notices: list[FaultNotice] = field(default_factory=list)
    swept: int = 0


def _active(component: Component) -> bool | None:
    """True = a fault, False = fine, None = cannot tell (unknown): leave whatever is open as it is."""
    if component.status == Status.UNKNOWN:
        return None
    if component.name in DISKS:
        return component.status in (Status.DEGRADED, Status.DOWN)
    return component.status == Status.DOWN


def conditions_sync(*, report: HealthReport, now: datetime) -> tuple[list[str], list[str]]:
    """Open or resolve the critical events that mirror health; returns (codes open now, codes cleared)."""
    opened: list[str] = []
    cleared: list[str] = []
    for component in report.components:
        code = FAULT_CODES.get(component.name)
        active = _active(component)
        if code is None or active is None:
            continue
        if active:
            error_record(
                component=HEALTH,
                code=code,
                message=f"{component.name}: {component.detail}",
                suggestion=component.suggestion,
                severity=Severity.CRITICAL,
                now=now,
            )
            opened.append(code)
        elif error_resolve_code(component=HEALTH, code=code, now=now):
            cleared.append(code)
    threshold = int(settings.OPTRADING_BROKER_ERROR_ALERT_COUNT)
    recent = (
        ErrorEvent.objects.filter(component="broker", resolved=False, last_seen__gte=now - BROKER_ERROR_WINDOW)
        .exclude(code="session_required")  # the session has its own fault
        .order_by("-count")
    )
    worst = recent.filter(count__gte=threshold).first()
    if worst is not None:
        error_record(
            component=HEALTH,
            code="repeated_broker_errors",
            message=f"{worst.count} broker errors ({worst.code}) since {ist_label(worst.first_seen)}, the last at "
            f"{ist_label(worst.last_seen)}: {worst.message[:300]}",
            suggestion=worst.suggestion or "Check the broker's status and the network; collection retries each minute.",
            severity=Severity.CRITICAL,
            now=now,
        )
        opened.append("repeated_broker_errors")
    elif not recent.exists() and error_resolve_code(component=HEALTH, code="repeated_broker_errors", now=now):
        cleared.append("repeated_broker_errors")
    ErrorEvent.objects.filter(component="anomaly", resolved=False, last_seen__lt=now - ANOMALY_EXPIRY).update(
        resolved=True, resolved_at=now
    )
    return opened, cleared


def _title(component: str, code: str) -> str:
    return TITLES.get(code, f"{component} {code.replace('_', ' ')}")


def _notice(*, event: ErrorEvent, kind: str, now: datetime) -> FaultNotice:
    title = _title(event.component, event.code)
    if kind == NoticeKind.PROBLEM:
        subject = f"[optrading] PROBLEM: {title}"
        message = f"{event.message}\n\nSince {ist_label(event.first_seen)}."
    else:
        lasted = (event.resolved_at or now) - event.first_seen
        subject = f"[optrading] RESOLVED: {title}"
        message = (
            f"Cleared at {ist_label(event.resolved_at or now)} after {lasted.total_seconds() / 60:.0f} min "
            f"(since {ist_label(event.first_seen)}). It was: {event.message}"
        )
    return FaultNotice.objects.create(
        component=event.component,
        code=event.code,
        kind=kind,
        subject=subject,
        message=message,
        suggestion=event.suggestion if kind == NoticeKind.PROBLEM else "",
        event=event,
        created_at=now,
    )


def notices_send(*, now: datetime, sleep: Sleep = real_sleep) -> list[FaultNotice]:
    """Claim and send every due PROBLEM and RESOLVED notice (see the module docstring)."""
    window = timedelta(minutes=int(settings.OPTRADING_ALERT_DEDUP_MINUTES))
    sent: list[FaultNotice] = []
    open_events = {
        (e.component, e.code): e
        for e in ErrorEvent.objects.filter(severity=Severity.CRITICAL, resolved=False).order_by("first_seen")
    }
    for (component, code), event in open_events.items():
        state, _ = FaultState.objects.get_or_create(component=component, code=code)
        if state.notified:
            continue
        if state.last_problem_at is not None and now - state.last_problem_at < window:
            continue  # told about this fault within the window: folded, looked at again next pass
        with transaction.atomic():
            claimed = FaultState.objects.filter(
                pk=state.pk, notified=False, last_problem_at=state.last_problem_at
            ).update(notified=True, last_problem_at=now, event=event)
            if claimed != 1:
                continue  # another checker took it
            notice = _notice(event=event, kind=NoticeKind.PROBLEM, now=now)
            deliveries = deliveries_for_notice(notice, now=now)
        sent.append(notice)
        _send(notice, [d.pk for d in deliveries], sleep=sleep)
    for state in FaultState.objects.filter(notified=True):
        if (state.component, state.code) in open_events:
            continue
        with transaction.atomic():
            if FaultState.objects.filter(pk=state.pk, notified=True).update(notified=False, last_resolved_at=now) != 1:
                continue
            resolved = (
                ErrorEvent.objects.filter(component=state.component, code=state.code, resolved=True)
                .order_by("-resolved_at", "-id")
                .first()
            )
            if resolved is None:
                continue
            notice = _notice(event=resolved, kind=NoticeKind.RESOLVED, now=now)
            deliveries = deliveries_for_notice(notice, now=now)
        sent.append(notice)
        _send(notice, [d.pk for d in deliveries], sleep=sleep)
    return sent


def _send(notice: FaultNotice, delivery_ids: list[int], *, sleep: Sleep) -> None:
    record_fault_notice(notice.kind)
    for delivery_id in delivery_ids:
        try:
            delivery_send(delivery_id, sleep=sleep)
        except Exception:
            logger.exception("fault notice delivery %s failed", delivery_id)


def faults_check(*, now: datetime | None = None, sleep: Sleep = real_sleep) -> FaultPass:
    """One pass: health → conditions → notices, then re-send lost rule deliveries."""
    now = now or timezone.now()
    report = health_get(now=now)
    result = FaultPass()
    if report.component("database") is not None and report.component("database").status == Status.DOWN:  # type: ignore[union-attr]
        return result  # nothing can be recorded; the watchdog tells the user itself (DatabaseOutage)
    result.opened, result.cleared = conditions_sync(report=report, now=now)
    result.notices = notices_send(now=now, sleep=sleep)
    result.swept = deliveries_sweep(now=now, sleep=sleep)
    return result
