from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.platform.services.periodic_tasks import periodic_tasks_setup


class Command(BaseCommand):
    help = "Write the beat schedule defined in optrading/schedules.py to the database (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = periodic_tasks_setup()
        self.stdout.write(
            f"periodic tasks: {result.created} created, {result.updated} updated, {result.removed} removed"
        )
