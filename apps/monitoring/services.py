"""Error events users can act on: recorded with one upsert, resolved by staff or when the fault clears."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from apps.monitoring.models import ErrorEvent, Severity

MESSAGE_LIMIT = 4000

# One statement on PostgreSQL and SQLite alike: the conflict target names the partial unique index
# ``errorevent_one_open`` (WHERE NOT resolved), so a second recorder counts on the open row instead of
# opening another. The suggestion is kept when the new one is empty.
_UPSERT = """
INSERT INTO {table} (component, code, message, suggestion, severity, first_seen, last_seen, count, resolved)
VALUES (%s, %s, %s, %s, %s, %s, %s, 1, false)
ON CONFLICT (component, code) WHERE NOT resolved DO UPDATE SET
    count = {table}.count + 1,
    last_seen = excluded.last_seen,
    message = excluded.message,
    severity = excluded.severity,
    suggestion = CASE WHEN excluded.suggestion = '' THEN {table}.suggestion ELSE excluded.suggestion END
RETURNING id
"""


def error_record(
    *,
    component: str,
    code: str,
    message: str,
    suggestion: str = "",
    severity: str = Severity.WARNING,
    now: datetime | None = None,
) -> ErrorEvent:
    """Count an occurrence on the open event for (component, code), or open a new one (one upsert).

    ``critical`` events reach the platform's alert channels (``apps.alerts``); the rest stay on the system page."""
    if severity not in Severity.values:
        raise ValueError(f"Unknown severity {severity!r}; choose one of {', '.join(Severity.values)}.")
    now = now or timezone.now()
    table = connection.ops.quote_name(ErrorEvent._meta.db_table)
    params: list[str | datetime] = [component, code, message[:MESSAGE_LIMIT], suggestion, severity, now, now]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(table=table), params)
        (pk,) = cursor.fetchone()
    return ErrorEvent.objects.get(pk=pk)


def error_resolve(*, event: ErrorEvent, now: datetime | None = None) -> ErrorEvent:
    event.resolved = True
    event.resolved_at = now or timezone.now()
    event.save(update_fields=["resolved", "resolved_at"])
    return event


def error_resolve_code(*, component: str, code: str, now: datetime | None = None) -> int:
    """Resolve the open event of (component, code), if any, because its condition cleared; returns 0 or 1.
    One conditional UPDATE, so two checkers resolving at once resolve it once."""
    return ErrorEvent.objects.filter(component=component, code=code, resolved=False).update(
        resolved=True, resolved_at=now or timezone.now()
    )
