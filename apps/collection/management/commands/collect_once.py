from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.brokers.base import BrokerError
from apps.collection.services.chain import chain_collect
from apps.core.errors import ApplicationError
from apps.marketdata.models import CollectionStatus


class Command(BaseCommand):
    help = "Collect one minute of option chains now (all active underlyings, or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--underlying", action="append", help="Symbol, e.g. NIFTY (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = chain_collect(underlyings=options["underlying"])
        except (ApplicationError, BrokerError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(
            f"run {run.pk} {run.status}: minute {run.minute:%Y-%m-%d %H:%M} UTC, "
            f"{run.quotes_stored} quotes stored, {run.instruments_received}/{run.instruments_requested} received, "
            f"{run.instruments_missing} missing, {run.quote_calls} quote calls, {run.duration_ms} ms"
        )
        if run.status in {CollectionStatus.FAILED, CollectionStatus.SKIPPED}:
            raise CommandError(run.error or run.status, returncode=1)
