"""Health, as every interface reads it (API, command, pages, the system-health feed, the watchdog)."""

from __future__ import annotations

from datetime import datetime

from apps.health.checks import health_report
from apps.health.components import HealthReport


def health_get(*, now: datetime | None = None) -> HealthReport:
    return health_report(now=now)
