"""Error events users can act on: recorded with one upsert, resolved by staff or when the fault clears."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from apps.monitoring.models import ErrorEvent

MESSAGE_LIMIT = 4000

# One statement on PostgreSQL and SQLite alike: the conflict target names the partial unique index
# ``errorevent_one_open`` (WHERE NOT resolved), so a second recorder counts on the open row instead of
# opening another. The suggestion is kept when the new one is empty.
_UPSERT = """
INSERT INTO {table} (component, code, message, suggestion, first_seen, last_seen, count, resolved)
VALUES (%s, %s, %s, %s, %s, %s, 1, false)
ON CONFLICT (component, code) WHERE NOT resolved DO UPDATE SET
    count = {table}.count + 1,
    last_seen = excluded.last_seen,
    message = excluded.message,
    suggestion = CASE WHEN excluded.suggestion = '' THEN {table}.suggestion ELSE excluded.suggestion END
RETURNING id
"""


def error_record(*, component: str, code: str, message: str, suggestion: str = "") -> ErrorEvent:
    """Count an occurrence on the open event for (component, code), or open a new one (one upsert)."""
    now = timezone.now()
    table = connection.ops.quote_name(ErrorEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(table=table), [component, code, message[:MESSAGE_LIMIT], suggestion, now, now])
        (pk,) = cursor.fetchone()
    return ErrorEvent.objects.get(pk=pk)


def error_resolve(*, event: ErrorEvent) -> ErrorEvent:
    event.resolved = True
    event.resolved_at = timezone.now()
    event.save(update_fields=["resolved", "resolved_at"])
    return event
