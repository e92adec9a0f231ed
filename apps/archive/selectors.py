"""Which days are archived (their partitions dropped, their rows in Parquet), for the API and pages to say so."""

from __future__ import annotations

from datetime import date, datetime

from apps.archive.models import ArchivedDay
from apps.core.errors import ApplicationError


class ArchivedError(ApplicationError):
    """The requested minute is in an archived day: gone from the database on purpose, not missing."""

    status_code = 410


def archived_days() -> dict[date, datetime]:
    """Days archived and not restored: day → when it was archived."""
    return dict(ArchivedDay.objects.filter(restored_at__isnull=True).values_list("day", "archived_at"))


def archived_day_check(day: date) -> None:
    """Raise ``ArchivedError`` (HTTP 410) when ``day`` is archived, saying when and how to bring it back."""
    archived_at = archived_days().get(day)
    if archived_at is not None:
        raise ArchivedError(
            f"{day.isoformat()} is archived (on {archived_at:%Y-%m-%d} UTC): its minutes are in Parquet, not in "
            f"the database; restore with: python manage.py restore_partitions --date {day.isoformat()}"
        )


def archived_days_between(*, first: date, last: date) -> list[date]:
    """The days from ``first`` to ``last`` (both included) that are archived and not restored, oldest first."""
    rows = ArchivedDay.objects.filter(restored_at__isnull=True, day__gte=first, day__lte=last)
    return sorted(rows.values_list("day", flat=True))
