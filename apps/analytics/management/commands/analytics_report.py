"""Print a date's analytics: manage.py analytics_report NIFTY --date D [--expiry E] [--json].

Without --expiry: our India-VIX-style index at the date's last archived minute (or the reason it is absent) beside
the published India VIX. With --expiry: that expiry's chain analytics as well."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.analytics.services.report import analytics_report, volatility_report
from apps.core.errors import ApplicationError


def _date(text: str, *, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{name} must be a date as YYYY-MM-DD, got {text!r}.", returncode=2) from None


class Command(BaseCommand):
    help = (
        "Our India-VIX-style index (or why it is absent) beside the published India VIX at a date's last minute; "
        "with --expiry also that expiry's chain analytics (forward, ATM IV, straddle, PCR, max pain, RR25/BF25, "
        "sentiment)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("symbol", help="Underlying symbol, e.g. NIFTY.")
        parser.add_argument("--date", required=True, help="Trade date (IST) as YYYY-MM-DD.")
        parser.add_argument("--expiry", help="Expiry date as YYYY-MM-DD: add that expiry's chain analytics.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        day = _date(options["date"], name="date")
        expiry = _date(options["expiry"], name="expiry") if options["expiry"] else None
        report: dict[str, Any] = {}
        try:
            if expiry is not None:
                report.update(analytics_report(symbol=options["symbol"], day=day, expiry=expiry))
            report.update(volatility_report(symbol=options["symbol"], day=day, expiry=expiry))
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
            return
        for key, value in report.items():
            if not isinstance(value, dict | list):
                self.stdout.write(f"{key:>22}: {value}")
        for label in ("near", "next"):
            term = report["our_vix_terms"].get(label)
            if term:
                self.stdout.write(f"{'our_vix ' + label:>22}: " + ", ".join(f"{k} {v}" for k, v in term.items()))
