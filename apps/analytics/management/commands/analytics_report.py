"""Print the chain analytics of a date's last snapshot: manage.py analytics_report NIFTY --date D --expiry E."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.analytics.services.report import analytics_report
from apps.core.errors import ApplicationError


def _date(text: str, *, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{name} must be a date as YYYY-MM-DD, got {text!r}.", returncode=2) from None


class Command(BaseCommand):
    help = "Chain analytics (forward, ATM IV, straddle, PCR, max pain, RR25/BF25, sentiment) of a date's last minute."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("symbol", help="Underlying symbol, e.g. NIFTY.")
        parser.add_argument("--date", required=True, help="Trade date (IST) as YYYY-MM-DD.")
        parser.add_argument("--expiry", required=True, help="Expiry date as YYYY-MM-DD.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        day = _date(options["date"], name="date")
        expiry = _date(options["expiry"], name="expiry")
        try:
            report = analytics_report(symbol=options["symbol"], day=day, expiry=expiry)
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
            return
        for key, value in report.items():
            if not isinstance(value, dict | list):
                self.stdout.write(f"{key:>16}: {value}")
