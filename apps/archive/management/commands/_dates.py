"""Date options of the archive commands: YYYY-MM-DD or a clear error before any work."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(
            f"{option} {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-19.", returncode=2
        ) from None
