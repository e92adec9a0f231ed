from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.errors import ApplicationError
from apps.quality.services.eod import day_parse, eod_verify


class Command(BaseCommand):
    help = (
        "Score a trading day's data quality (default: the last closed session), store it and alert below "
        "OPTRADING_QUALITY_ALERT_BELOW. Bad input exits 2 before any work."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="IST trading day, YYYY-MM-DD (default: the last closed session).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = day_parse(options["date"]) if options["date"] is not None else None
            quality = eod_verify(day=day)
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(quality.as_dict(), indent=2))
            return
        if not quality.trading_day:
            self.stdout.write(f"{quality.day.isoformat()}: not a trading day ({quality.reason}); nothing to score")
            return
        self.stdout.write(
            f"{quality.day.isoformat()}: score {quality.score:.1f} ({quality.expected_minutes} minutes expected)"
        )
        for u in quality.underlyings:
            missing = u.expected_minutes - u.collected_minutes
            self.stdout.write(
                f"  {u.symbol:<11} {u.score:6.1f}  minutes {u.collected_minutes}/{u.expected_minutes}"
                f"{' (gaps ' + ', '.join(u.gaps[:5]) + ')' if missing else ''}, "
                f"contracts missing {u.missing_contracts}/{u.planned_contracts}, stale/zero {u.bad_quotes}/{u.rows}, "
                f"no IV {u.iv_failed}, repeated minutes {u.repeated_minutes}"
            )
        for note in quality.notes:
            self.stdout.write(f"  note: {note}")
