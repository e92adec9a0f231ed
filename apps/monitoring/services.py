from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.monitoring.models import ErrorEvent


def error_record(*, component: str, code: str, message: str, suggestion: str = "") -> ErrorEvent:
    """Count an occurrence on the open event for (component, code), or open a new one."""
    now = timezone.now()
    with transaction.atomic():
        event = (
            ErrorEvent.objects.select_for_update()
            .filter(component=component, code=code, resolved=False)
            .order_by("-last_seen")
            .first()
        )
        if event is None:
            return ErrorEvent.objects.create(
                component=component,
                code=code,
                message=message[:4000],
                suggestion=suggestion,
                first_seen=now,
                last_seen=now,
            )
        ErrorEvent.objects.filter(pk=event.pk).update(
            count=F("count") + 1, last_seen=now, message=message[:4000], suggestion=suggestion or event.suggestion
        )
        event.refresh_from_db()
        return event


def error_resolve(*, event: ErrorEvent) -> ErrorEvent:
    event.resolved = True
    event.resolved_at = timezone.now()
    event.save(update_fields=["resolved", "resolved_at"])
    return event
