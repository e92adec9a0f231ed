"""python manage.py participants_report --date YYYY-MM-DD [--kind oi|volume] [--json]"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.errors import ApplicationError
from apps.participants.models import ParticipantKind
from apps.participants.selectors import participants_for_date


class Command(BaseCommand):
    help = "Print participants' index positioning for one session (net futures/calls/puts, long ratio, changes, label)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="Session date, YYYY-MM-DD.")
        parser.add_argument("--kind", choices=ParticipantKind.values, default=ParticipantKind.OI)
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date {options['date']!r} is not a YYYY-MM-DD date.", returncode=2) from exc
        try:
            report = participants_for_date(day, kind=options["kind"])
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(f"Participants {report['kind']} on {report['date']} (previous: {report['previous_date']})")
        self.stdout.write(
            f"{'':8}{'net fut':>12}{'net calls':>12}{'net puts':>12}{'long %':>9}{'Δ net fut':>12}  label"
        )
        for category, row in report["categories"].items():
            ratio = row["index_futures_long_ratio"]
            change = row["changes"]["net_index_futures"] if row["changes"] else None
            ratio_text = "" if ratio is None else f"{ratio:.1%}"
            change_text = "" if change is None else f"{change:+,}"
            self.stdout.write(
                f"{category:8}{row['net_index_futures']:>12,}{row['net_index_calls']:>12,}{row['net_index_puts']:>12,}"
                f"{ratio_text:>9}{change_text:>12}  {row['label']}"
            )
        ivr = report["institutional_vs_retail"]
        if ivr["ratio"] is not None:
            self.stdout.write(f"Institutional vs retail long ratio: {ivr['ratio']:.3f} ({ivr['reading']})")
