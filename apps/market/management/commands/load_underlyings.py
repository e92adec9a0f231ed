"""Create or update the collected underlyings from apps/market/rules/underlyings.json."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.market.services import underlyings_load


class Command(BaseCommand):
    help = "Create or update the five collected underlyings (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = underlyings_load()
        self.stdout.write(self.style.SUCCESS(f"{count} underlyings loaded."))
