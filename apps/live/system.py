"""The ``system.health`` payload: everything the system page shows live, read once per tick."""

from __future__ import annotations

from apps.alerts.selectors import delivery_latest
from apps.health.components import Status
from apps.health.selectors import health_get
from apps.live.publisher import PAYLOAD_VERSION, HealthMessage
from apps.market.clock import to_ist
from apps.monitoring.models import ErrorEvent
from apps.quality.selectors import quality_recent


def system_health_build() -> HealthMessage:
    report = health_get()
    database_up = (c := report.component("database")) is not None and c.status == Status.OK
    errors = []
    deliveries: list[dict[str, object]] = []
    quality: list[dict[str, object]] = []
    if database_up:
        for event in ErrorEvent.objects.filter(resolved=False).order_by("-last_seen")[:50]:
            errors.append(
                {
                    "id": event.pk,
                    "component": event.component,
                    "code": event.code,
                    "severity": event.severity,
                    "message": event.message[:300],
                    "suggestion": event.suggestion,
                    "count": event.count,
                    "last_seen": to_ist(event.last_seen).isoformat(),
                }
            )
        deliveries = delivery_latest(limit=20)
        quality = quality_recent(limit=10)
    return HealthMessage(
        type="system.health",
        version=PAYLOAD_VERSION,
        health=report.as_dict(),
        errors=errors,
        deliveries=deliveries,
        quality=quality,
    )
