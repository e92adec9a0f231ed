"""The health vocabulary: one ``Component`` per checked part, and the report that rolls them up."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apps.market.clock import to_ist


class Status(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    UNKNOWN = "unknown"
    """The check itself could not run (a dependency is down, a path is missing): never a 500."""
    DOWN = "down"


_RANK = {Status.OK: 0, Status.DEGRADED: 1, Status.UNKNOWN: 2, Status.DOWN: 3}


@dataclass(frozen=True)
class Component:
    name: str
    status: Status
    detail: str
    suggestion: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "suggestion": self.suggestion,
            "data": self.data,
        }


@dataclass(frozen=True)
class HealthReport:
    checked_at: datetime
    components: list[Component]
    heartbeats: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> Status:
        """down when any component is down; degraded when any is degraded or cannot be checked; else ok."""
        worst = max((_RANK[c.status] for c in self.components), default=0)
        if worst == _RANK[Status.DOWN]:
            return Status.DOWN
        return Status.OK if worst == 0 else Status.DEGRADED

    @property
    def http_status(self) -> int:
        """503 only when something is down: a degraded platform still serves (load balancers keep it)."""
        return 503 if self.status == Status.DOWN else 200

    @property
    def exit_code(self) -> int:
        return {Status.OK: 0, Status.DEGRADED: 1, Status.DOWN: 2}[self.status]

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "checked_at": to_ist(self.checked_at).isoformat(),
            "components": [c.as_dict() for c in self.components],
            "heartbeats": self.heartbeats,
        }
