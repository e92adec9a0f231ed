"""The watchdog process: health every OPTRADING_WATCHDOG_SECONDS, fault notices to OPTRADING_ALERT_CHANNELS.

It runs apart from the Celery worker (``runplatform`` and docker compose start it) because a stopped worker is
one of the faults it reports; the worker's own ``alerts.faults_check`` reports a stopped watchdog in turn.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from apps.alerts.services.faults import faults_check
from apps.alerts.services.outage import DatabaseOutage
from apps.health.checks.services import database_check
from apps.health.heartbeats import WATCHDOG, heartbeat_write

logger = logging.getLogger(__name__)


def watchdog_pass(outage: DatabaseOutage) -> str:
    """One pass; returns a line for the log."""
    now = timezone.now()
    database = database_check(now=now)
    outage.observe(database, now=now)
    if database.status != "ok":
        return f"database down: {database.detail}"
    heartbeat_write(name=WATCHDOG, now=now, interval_seconds=max(int(settings.OPTRADING_WATCHDOG_SECONDS), 1))
    result = faults_check(now=now)
    notices = ", ".join(n.subject for n in result.notices) or "no notices"
    return f"open: {', '.join(result.opened) or 'none'}; cleared: {', '.join(result.cleared) or 'none'}; {notices}"


class Command(BaseCommand):
    help = "Watch the platform's health and send fault alerts (a long-running process; --once for one pass)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        outage = DatabaseOutage()
        stop = threading.Event()
        if options["once"]:
            self.stdout.write(watchdog_pass(outage))
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        interval = max(int(settings.OPTRADING_WATCHDOG_SECONDS), 1)
        self.stdout.write(
            f"watchdog: a pass every {interval} s; alert channels: "
            f"{', '.join(settings.OPTRADING_ALERT_CHANNELS) or 'none configured'}"
        )
        self.stdout.flush()
        while not stop.is_set():
            try:
                line = watchdog_pass(outage)
                logger.info("watchdog: %s", line)
            except Exception:  # the watchdog outlives whatever it watches
                logger.exception("watchdog pass failed")
            finally:
                close_old_connections()
            stop.wait(interval)
        self.stdout.write("watchdog stopped")
