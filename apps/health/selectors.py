"""Health, as every interface reads it (API, command, pages, the system-health feed, the watchdog)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from apps.health.checks import COMPONENTS, health_report
from apps.health.components import HealthReport

__all__ = ["COMPONENTS", "health_get"]


def health_get(*, now: datetime | None = None, only: Collection[str] | None = None) -> HealthReport:
    return health_report(now=now, only=only)
