from __future__ import annotations

from django.contrib import admin

from apps.core.admin_mixins import ReadOnlyAdmin
from apps.health.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["name", "beat_at", "interval_seconds", "holder"]
