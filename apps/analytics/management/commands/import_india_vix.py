"""python manage.py import_india_vix FILE [FILE ...]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.analytics.services.india_vix import india_vix_import
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Import NSE's published India VIX daily history (NSE's historical VIX CSV, an ind_close_all_DDMMYYYY.csv, "
        "or date,open,high,low,close), so analytics_report shows the published close beside our index. "
        "All files or nothing: a bad file is reported with its line and column and nothing is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="CSV files of India VIX daily values.")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(name) for name in options["files"]]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path} is not a file; nothing was stored.", returncode=2)
        try:
            result = india_vix_import(paths=paths)
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(
            f"India VIX: {result.sessions} sessions from {result.first} to {result.last} "
            f"({result.created} new, {result.changed} changed, {result.unchanged} unchanged)."
        )
