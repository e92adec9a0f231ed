"""Import NSE's published India VIX daily history (``apps.analytics.india_vix_csv`` parses it), so the published
close of a session sits beside our India-VIX-style index of the same session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from apps.analytics.india_vix_csv import IndiaVixFileError, VixDay, india_vix_parse
from apps.analytics.models import IndiaVixClose
from apps.core.errors import ApplicationError

VALUES = ("open", "high", "low", "close")


@dataclass(frozen=True)
class IndiaVixImport:
    sessions: int
    first: date
    last: date
    created: int
    changed: int
    unchanged: int


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc
        raise ApplicationError(f"{path.name}: cannot read the file ({reason}); nothing was stored.") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def india_vix_import(*, paths: Sequence[Path]) -> IndiaVixImport:
    """Store every session of the files, or nothing: a bad file (or two files disagreeing about a date) raises
    ApplicationError naming the file, line and column. Re-importing a session replaces its values."""
    days: dict[date, tuple[VixDay, str]] = {}
    for path in paths:
        try:
            parsed = india_vix_parse(_read(path))
        except IndiaVixFileError as exc:
            raise ApplicationError(f"{path.name}: {exc}; nothing was stored.", extra={"file": str(path)}) from exc
        for day in parsed:
            seen = days.get(day.date)
            if seen is not None and any(getattr(seen[0], v) != getattr(day, v) for v in VALUES):
                raise ApplicationError(
                    f"{path.name}: line {day.line}: {day.date} differs from {seen[1]} line {seen[0].line}; "
                    "nothing was stored."
                )
            days[day.date] = (day, path.name)
    if not days:
        raise ApplicationError("No file given; nothing was stored.")
    existing = {
        row["date"]: tuple(row[v] for v in VALUES)
        for row in IndiaVixClose.objects.filter(date__in=list(days)).values("date", *VALUES)
    }
    now = timezone.now()
    rows = [
        IndiaVixClose(
            date=d,
            open=day.open,
            high=day.high,
            low=day.low,
            close=day.close,
            source=source[:255],
            imported_at=now,
        )
        for d, (day, source) in sorted(days.items())
    ]
    with transaction.atomic():
        IndiaVixClose.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["date"], update_fields=[*VALUES, "source", "imported_at"]
        )
    changed = sum(1 for r in rows if r.date in existing and existing[r.date] != tuple(getattr(r, v) for v in VALUES))
    return IndiaVixImport(
        sessions=len(rows),
        first=rows[0].date,
        last=rows[-1].date,
        created=sum(1 for r in rows if r.date not in existing),
        changed=changed,
        unchanged=len(existing) - changed,
    )
