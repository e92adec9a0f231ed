from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.brokers.base import BrokerError
from apps.collection.services.minute import minute_collect
from apps.core.errors import ApplicationError
from apps.market.clock import ist_label
from apps.marketdata.models import CollectionStatus


class Command(BaseCommand):
    help = "Collect the next minute now, as the collect task does (all active underlyings, or the named ones)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--underlying", action="append", help="Symbol, e.g. NIFTY (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcome = minute_collect(now=timezone.now(), underlyings=options["underlying"])
        except (ApplicationError, BrokerError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        run = outcome.run
        if run is None:
            raise CommandError(f"nothing collected: {outcome.skipped}", returncode=1)
        minute = ist_label(run.minute) if run.minute else "-"
        self.stdout.write(
            f"run {run.pk} {run.status}: minute {minute}, {run.quotes_stored} quotes stored, "
            f"{run.instruments_received}/{run.instruments_requested} received, {run.instruments_missing} missing, "
            f"{run.quote_calls} quote calls, {run.duration_ms} ms; "
            f"overview {'stored' if outcome.overview_stored else 'not stored'}"
        )
        if run.status in {CollectionStatus.FAILED, CollectionStatus.SKIPPED}:
            raise CommandError(run.error or run.status, returncode=1)
