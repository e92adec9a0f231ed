from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.health.selectors import health_get

MARK = {"ok": "ok      ", "degraded": "DEGRADED", "unknown": "UNKNOWN ", "down": "DOWN    "}


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # answers even when the database is down
    help = "Health of every component. Exit status 0 healthy, 1 degraded, 2 down (--json for the API's document)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the same JSON as GET /api/v1/health.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = health_get()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            for component in report.components:
                self.stdout.write(f"{MARK[component.status.value]} {component.name:<14} {component.detail}")
                if component.suggestion and component.status.value != "ok":
                    self.stdout.write(f"{'':<24}-> {component.suggestion}")
            self.stdout.write(f"overall: {report.status.value}")
        self.stdout.flush()
        sys.exit(report.exit_code)
