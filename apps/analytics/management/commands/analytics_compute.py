"""python manage.py analytics_compute [--underlying S] [--from D --to D] [--recompute]

(Re)analyse archived days whatever the cursors say: days imported after the catch-up cursor passed them, or with
--recompute every minute of the range again. Safe beside the live worker (the cursor row lock)."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.analytics.services.recompute import analytics_range_compute
from apps.core.errors import ApplicationError


def _date(text: str | None, *, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{name} must be a date as YYYY-MM-DD, got {text!r}.", returncode=2) from None


class Command(BaseCommand):
    help = (
        "Analyse every archived minute in a range never analysed (unanalysed rows and no snapshot: e.g. an older "
        "bhavcopy imported after the catch-up cursor passed its day); --recompute analyses every minute again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--underlying", help="One underlying symbol (default: every active underlying).")
        parser.add_argument("--from", dest="date_from", help="First IST trade date, YYYY-MM-DD (with --to).")
        parser.add_argument("--to", dest="date_to", help="Last IST trade date, YYYY-MM-DD (with --from).")
        parser.add_argument("--recompute", action="store_true", help="Analyse every minute of the range again.")

    def handle(self, *args: Any, **options: Any) -> None:
        start = _date(options["date_from"], name="from")
        end = _date(options["date_to"], name="to")
        try:
            result = analytics_range_compute(
                symbol=options["underlying"], start=start, end=end, recompute=options["recompute"]
            )
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        span = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" if start and end else "the whole archive"
        for done in result.underlyings:
            self.stdout.write(f"{done.symbol}: {done.minutes} minute(s), {done.rows} option rows analysed")
        self.stdout.write(
            f"{result.minutes} minute(s) analysed over {span}"
            + (" (recomputed)" if result.recompute else " (only minutes never analysed)")
        )
