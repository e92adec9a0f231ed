"""python manage.py archive_partitions --before YYYY-MM-DD | --date YYYY-MM-DD"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.archive.management.commands._dates import parse_day
from apps.archive.services.days import day_archive, days_partitioned_before
from apps.core.errors import ApplicationError
from apps.market.clock import to_ist


class Command(BaseCommand):
    help = (
        "Write each day's partitions of the minute tables to zstd Parquet with a manifest under "
        "OPTRADING_ARCHIVE_DIR, verify the files by reading them back, then detach and drop the partitions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--before", help="Archive every partitioned day before this IST date (YYYY-MM-DD).")
        group.add_argument("--date", help="Archive this one IST day (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = to_ist(timezone.now()).date()
        try:
            if options["date"]:
                days = [parse_day(options["date"], "--date")]
            else:
                days = days_partitioned_before(parse_day(options["before"], "--before"))
                if not days:
                    self.stdout.write(f"No partitioned day before {options['before']}: nothing to archive.")
                    return
            for day in days:
                result = day_archive(day=day, today=today)
                counts = ", ".join(f"{table} {rows:,}" for table, rows in result.rows.items())
                self.stdout.write(f"{day}: archived to {result.directory} ({counts} rows), partitions dropped.")
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
