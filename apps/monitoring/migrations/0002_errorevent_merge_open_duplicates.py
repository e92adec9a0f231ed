"""Data: before one open event per (component, code) becomes a constraint, fold older open duplicates
into the newest (their counts added, their first sighting kept) and mark them resolved."""

from __future__ import annotations

from django.db import migrations
from django.db.models import Count, F, Min, Sum


def merge_open_duplicates(apps, schema_editor):  # type: ignore[no-untyped-def]
    ErrorEvent = apps.get_model("monitoring", "ErrorEvent")
    open_events = ErrorEvent.objects.filter(resolved=False)
    groups = open_events.values("component", "code").annotate(n=Count("id")).filter(n__gt=1)
    for group in groups:
        same = open_events.filter(component=group["component"], code=group["code"]).order_by("-last_seen", "-id")
        keep = same.first()
        older = same.exclude(pk=keep.pk)
        totals = older.aggregate(count=Sum("count"), first_seen=Min("first_seen"))
        ErrorEvent.objects.filter(pk=keep.pk).update(count=F("count") + totals["count"])
        if totals["first_seen"] < keep.first_seen:
            ErrorEvent.objects.filter(pk=keep.pk).update(first_seen=totals["first_seen"])
        older.update(resolved=True, resolved_at=keep.last_seen)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(merge_open_duplicates, migrations.RunPython.noop)]
