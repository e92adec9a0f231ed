"""``manage.py kite_ticker``: live Kite ticks into the minute archive and the live feeds (off by default).

Run it as its own process (KiteTicker needs Twisted's reactor, one per process), beside the Celery
worker and beat, sharing their Redis (the analytics queue and the channel layer). It waits for a Kite
login instead of failing, so a supervisor can keep it running; Ctrl-C or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.brokers.base import BrokerError
from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.kite.stream import reactor_stop
from apps.collection.services.chain import CollectionSettings
from apps.collection.services.ticks import TickCollector
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Stream Kite ticks (KiteTicker, full mode) for the collected instruments and store them each minute."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--any-time",
            action="store_true",
            help="Store ticks outside market hours too (for a Kite double or a demo); by default only in session.",
        )
        parser.add_argument(
            "--snapshot-second",
            type=float,
            default=1.0,
            help="Second of each minute at which that minute's ticks are stored (default 1.0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.EMBEDDED:
            raise CommandError(
                "kite_ticker runs as its own process beside the Celery worker and shares Redis with it "
                "(analytics queue, live feeds); set REDIS_URL.",
                returncode=2,
            )
        if not 0 <= options["snapshot_second"] < 50:
            raise CommandError("--snapshot-second must be between 0 and 50.", returncode=2)
        try:
            kite = KiteBroker.from_settings()
            CollectionSettings.from_settings()  # a malformed collection setting fails now, not every minute
        except (BrokerError, ApplicationError) as exc:
            raise CommandError(str(exc), returncode=2) from exc

        stop = threading.Event()

        def request_stop(*_: Any) -> None:
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        collector = TickCollector(
            kite=kite,
            root=settings.KITE_TICKER_ROOT,
            market_hours_only=not options["any_time"],
            snapshot_second=options["snapshot_second"],
            say=self._say,
        )
        self._say(f"kite_ticker: api key {kite.config.api_key}, stream {settings.KITE_TICKER_ROOT}; Ctrl-C stops it")
        try:
            collector.run(stop)
        finally:
            time.sleep(0.5)  # let the close frames leave before the reactor stops
            reactor_stop()
        self._say("kite_ticker stopped")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
