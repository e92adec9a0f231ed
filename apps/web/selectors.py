"""What the pages need beyond the other apps' selectors: small, read-only, composed for one screen."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.monitoring.models import ErrorEvent


def error_list_open(*, limit: int = 50) -> QuerySet[ErrorEvent]:
    """Unresolved errors, most recent first, each with its recovery suggestion."""
    return ErrorEvent.objects.filter(resolved=False).order_by("-last_seen")[:limit]
