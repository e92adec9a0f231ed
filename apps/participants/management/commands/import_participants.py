"""python manage.py import_participants FILE_OR_DIR"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.errors import ApplicationError
from apps.participants.services import participants_import_path


class Command(BaseCommand):
    help = "Import NSE participant-wise OI/volume files (fao_participant_oi|vol_DDMMYYYY.csv): one file or a directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A fao_participant_*.csv file, or a directory of them.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcomes = participants_import_path(path=Path(options["path"]))
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        for outcome in outcomes:
            (self.stdout if outcome.ok else self.stderr).write(outcome.as_text())
            for warning in outcome.warnings:
                self.stdout.write(f"  note: {warning}")
        if not outcomes:
            raise CommandError(f"No fao_participant_*.csv files in {options['path']}.", returncode=2)
        failed = [o.file for o in outcomes if not o.ok]
        if failed:
            raise CommandError(f"{len(failed)} of {len(outcomes)} file(s) rejected: {', '.join(failed)}", returncode=2)
