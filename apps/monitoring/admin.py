from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apps.monitoring.models import ErrorEvent


@admin.register(ErrorEvent)
class ErrorEventAdmin(admin.ModelAdmin):
    list_display = ["last_seen", "severity", "component", "code", "count", "message", "suggestion", "resolved"]
    list_filter = ["severity", "component", "code", "resolved"]
    search_fields = ["message", "code", "suggestion"]
    readonly_fields = [
        "severity",
        "component",
        "code",
        "message",
        "suggestion",
        "first_seen",
        "last_seen",
        "count",
        "resolved_at",
    ]
    actions = ["mark_resolved"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Mark selected errors resolved")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[ErrorEvent]) -> None:
        queryset.update(resolved=True, resolved_at=timezone.now())
