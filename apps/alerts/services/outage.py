"""The one fault that cannot be written down: the database itself. The watchdog process remembers it in memory
and sends PROBLEM and RESOLVED straight through the transports to the configured targets (no delivery rows:
there is nowhere to write them; the fault webhook is not health-tracked meanwhile)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from apps.alerts.choices import Channel
from apps.alerts.services.deliveries import transport_for
from apps.alerts.transports.base import Message, Sleep, TransportError, real_sleep
from apps.alerts.transports.websocket import STAFF_GROUP
from apps.health.components import Component
from apps.market.clock import ist_label

logger = logging.getLogger(__name__)


def _targets() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for channel in settings.OPTRADING_ALERT_CHANNELS:
        if channel == Channel.EMAIL:
            out += [(channel, email) for email in settings.OPTRADING_ALERT_EMAILS]  # staff emails live in the database
        elif channel == Channel.WEBHOOK:
            out.append((channel, settings.OPTRADING_ALERT_WEBHOOK_URL))
        elif channel == Channel.TELEGRAM:
            out.append((channel, settings.OPTRADING_ALERT_TELEGRAM_CHAT_ID))
        elif channel == Channel.WEBSOCKET:
            out.append((channel, STAFF_GROUP))
    return out


@dataclass
class DatabaseOutage:
    since: datetime | None = None

    def observe(self, component: Component | None, *, now: datetime, sleep: Sleep = real_sleep) -> str | None:
        """Feed each pass's database component; returns "problem"/"resolved" when a notice was sent."""
        if component is None:
            return None
        down = component.status == "down"
        if down and self.since is None:
            self.since = now
            self._send(
                Message(
                    kind="fault.problem",
                    subject="[optrading] PROBLEM: database down",
                    text=f"{component.detail}\n\nSince {ist_label(now)}.\n\nWhat to do: {component.suggestion}",
                    payload={
                        "type": "fault.problem",
                        "version": 1,
                        "component": "health",
                        "code": "database_down",
                        "message": component.detail,
                        "suggestion": component.suggestion,
                    },
                ),
                sleep=sleep,
            )
            return "problem"
        if not down and self.since is not None:
            lasted = (now - self.since).total_seconds() / 60
            self._send(
                Message(
                    kind="fault.resolved",
                    subject="[optrading] RESOLVED: database down",
                    text=f"The database answers again at {ist_label(now)}, after {lasted:.0f} min.",
                    payload={
                        "type": "fault.resolved",
                        "version": 1,
                        "component": "health",
                        "code": "database_down",
                        "message": f"answers again after {lasted:.0f} min",
                        "suggestion": "",
                    },
                ),
                sleep=sleep,
            )
            self.since = None
            return "resolved"
        return None

    def _send(self, message: Message, *, sleep: Sleep) -> None:
        for channel, target in _targets():
            try:
                transport_for(channel, sleep=sleep).send(message, target)
            except TransportError as exc:
                logger.error("database outage notice via %s failed: %s", channel, exc)
            except Exception:
                logger.exception("database outage notice via %s crashed", channel)
