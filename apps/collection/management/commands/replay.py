"""python manage.py replay --date YYYY-MM-DD [--into DATABASE_URL] [--raw] [--speed N] [--underlying S ...]"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.collection.services.replay import replay_run
from apps.core.errors import ApplicationError
from apps.market.clock import ist_label


class Command(BaseCommand):
    help = (
        "Replay an archived day from this database's stored quotes through the whole pipeline (collection, "
        "analytics, alerts, websockets) into another database, at --speed market minutes per minute (0: at once)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--date", required=True, help="The IST trade date to replay, YYYY-MM-DD.")
        parser.add_argument(
            "--into", help="PostgreSQL URL of the database to replay into (required unless --raw: then this one)."
        )
        parser.add_argument(
            "--raw", action="store_true", help="Replay the raw archive (OPTRADING_RAW_ARCHIVE) instead of the quotes."
        )
        parser.add_argument("--speed", type=float, default=0.0, help="Market minutes per wall-clock minute.")
        parser.add_argument("--underlying", action="append", help="Replay only this underlying (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, got {options['date']!r}.", returncode=2) from None

        def progress(done: int, total: int, minute: datetime) -> None:
            sys.stderr.write(f"\rreplay {day}: {done}/{total} minutes ({ist_label(minute)})")
            if done == total:
                sys.stderr.write("\n")

        try:
            result = replay_run(
                day=day,
                speed=options["speed"],
                into=options["into"],
                symbols=options["underlying"],
                raw=options["raw"],
                progress=progress,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(
            f"{result.day}: {result.collected} of {result.minutes} minute(s) replayed for {', '.join(result.symbols)}, "
            f"{result.options_stored} option quotes stored."
        )
        for line in result.skipped:
            self.stdout.write(f"  skipped {line}")
