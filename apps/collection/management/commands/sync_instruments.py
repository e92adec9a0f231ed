"""Download the broker's instruments dump and upsert it (see apps.collection.services.instruments)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.brokers.base import BrokerError, get_broker
from apps.collection.services.instruments import DEFAULT_EXCHANGES, instruments_sync
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Sync instruments from the configured broker (or --broker) for the given exchanges."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--exchange",
            action="append",
            choices=DEFAULT_EXCHANGES,
            help="Exchange to sync; repeat for several (default: NFO, BFO, NSE, BSE).",
        )
        parser.add_argument("--broker", help="Broker name (default: OPTRADING_BROKER).")

    def handle(self, *args: Any, **options: Any) -> None:
        exchanges = options["exchange"] or list(DEFAULT_EXCHANGES)
        try:
            result = instruments_sync(broker=get_broker(options["broker"]), exchanges=exchanges)
        except (ApplicationError, BrokerError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(self.style.SUCCESS(f"Instruments synced: {result}."))
