"""Participant positions, typed and JSON-ready, for the API, pages and the report command."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TypedDict

from django.db.models import QuerySet

from apps.core.errors import ApplicationError, NotFoundError
from apps.participants.metrics import InstitutionalVsRetail, Positioning, changes, derived, institutional_vs_retail
from apps.participants.models import ParticipantCategory, ParticipantKind, ParticipantPosition
from apps.participants.parser import FIELDS

CATEGORY_KEYS: tuple[str, ...] = ("FII", "DII", "Pro", "Client")

Rows = dict[str, dict[str, int]]


class CategoryPositions(Positioning):
    changes: dict[str, float | int | None] | None
    """Each number minus the previous stored session's; None without one."""
    raw: dict[str, int]
    """The NSE file's row, in contracts."""


class ParticipantSession(TypedDict):
    kind: str
    date: str
    previous_date: str | None
    categories: dict[str, CategoryPositions]
    """Keyed FII, DII, Pro, Client."""
    total: dict[str, int]
    institutional_vs_retail: InstitutionalVsRetail


def _rows_by_date(*, kind: str, dates: list[date]) -> dict[date, Rows]:
    out: dict[date, Rows] = defaultdict(dict)
    for values in ParticipantPosition.objects.filter(kind=kind, date__in=dates).values("date", "category", *FIELDS):
        out[values["date"]][values["category"]] = {f: values[f] for f in FIELDS}
    return out


def _session(
    *, kind: str, day: date, rows: Rows, previous_day: date | None, previous: Rows | None
) -> ParticipantSession:
    categories: dict[str, CategoryPositions] = {}
    for category in CATEGORY_KEYS:
        positioning = derived(rows[category])
        today = {**rows[category], **positioning}
        before = {**previous[category], **derived(previous[category])} if previous else None
        categories[category] = CategoryPositions(**positioning, changes=changes(today, before), raw=rows[category])
    return ParticipantSession(
        kind=kind,
        date=day.isoformat(),
        previous_date=previous_day.isoformat() if previous_day else None,
        categories=categories,
        total=rows[ParticipantCategory.TOTAL],
        institutional_vs_retail=institutional_vs_retail(rows),
    )


def _sessions(*, kind: str) -> QuerySet[ParticipantPosition]:
    return ParticipantPosition.objects.filter(kind=kind, category=ParticipantCategory.TOTAL)


def participants_dates(*, kind: str = ParticipantKind.OI) -> list[date]:
    """Every stored session of ``kind``, newest first."""
    return list(_sessions(kind=kind).order_by("-date").values_list("date", flat=True))


def participants_for_date(day: date, *, kind: str = ParticipantKind.OI) -> ParticipantSession:
    """One session: per category the derived numbers, changes vs the previous stored session, label and raw row."""
    previous_day = _sessions(kind=kind).filter(date__lt=day).order_by("-date").values_list("date", flat=True).first()
    rows = _rows_by_date(kind=kind, dates=[d for d in (day, previous_day) if d is not None])
    if day not in rows:
        raise NotFoundError(f"No participant {kind} data is stored for {day:%Y-%m-%d}; import the NSE file first.")
    previous = rows[previous_day] if previous_day else None
    return _session(kind=kind, day=day, rows=rows[day], previous_day=previous_day, previous=previous)


def participants_history(date_from: date, date_to: date, *, kind: str = ParticipantKind.OI) -> list[ParticipantSession]:
    """Every stored session in [date_from, date_to], oldest first; changes are vs the session before each."""
    if date_from > date_to:
        raise ApplicationError(f"The range starts ({date_from:%Y-%m-%d}) after it ends ({date_to:%Y-%m-%d}).")
    before = _sessions(kind=kind).filter(date__lt=date_from).order_by("-date").values_list("date", flat=True).first()
    in_range = list(
        _sessions(kind=kind).filter(date__range=(date_from, date_to)).order_by("date").values_list("date", flat=True)
    )
    days = ([before] if before else []) + in_range
    rows = _rows_by_date(kind=kind, dates=days)
    out: list[ParticipantSession] = []
    previous_day = before
    for day in in_range:
        previous = rows[previous_day] if previous_day else None
        out.append(_session(kind=kind, day=day, rows=rows[day], previous_day=previous_day, previous=previous))
        previous_day = day
    return out
