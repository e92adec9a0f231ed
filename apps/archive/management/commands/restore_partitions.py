"""python manage.py restore_partitions --date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.archive.management.commands._dates import parse_day
from apps.archive.selectors import archived_days
from apps.archive.services.days import day_restore
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Bring archived days back from their Parquet files: partitions recreated, every row exactly as it was."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Restore this IST day (YYYY-MM-DD).")
        parser.add_argument("--from", dest="start", help="First IST day of a range to restore (with --to).")
        parser.add_argument("--to", dest="end", help="Last IST day of the range (inclusive).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["date"] and (options["start"] or options["end"]):
            raise CommandError("Give either --date or --from and --to, not both.", returncode=2)
        try:
            if options["date"]:
                days = [parse_day(options["date"], "--date")]
            elif options["start"] and options["end"]:
                start, end = parse_day(options["start"], "--from"), parse_day(options["end"], "--to")
                if start > end:
                    raise CommandError(f"--from {start} is after --to {end}.", returncode=2)
                days = sorted(day for day in archived_days() if start <= day <= end)
                if not days:
                    raise CommandError(f"No archived day from {start} to {end}: nothing to restore.", returncode=2)
            else:
                raise CommandError("Give --date YYYY-MM-DD, or --from and --to.", returncode=2)
            for day in days:
                result = day_restore(day=day)
                counts = ", ".join(f"{table} {rows:,}" for table, rows in result.rows.items())
                self.stdout.write(f"{day}: restored from {result.directory} ({counts} rows).")
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
